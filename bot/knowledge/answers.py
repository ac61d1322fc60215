"""What to answer about a procedure, and the answer texts (pure functions).

``resolve`` decides which procedure and which part of it ("aspect": fee,
forms, ...) a message asks about, from the NLU result, the words of the
message and the conversation so far. ``render_*`` turn a knowledge-base entry
into chat messages of at most 2,000 characters (Zalo's limit).
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Set, Tuple

from bot.core.content import read_texts
from bot.core.split_text import split_text
from bot.knowledge.referrals import Referral, Referrals, outermost
from bot.knowledge.store import CHANNELS, FeeCase, KnowledgeBase, Procedure, Topic
from bot.nlu.lexicon import Spelling, spelling
from bot.nlu.text import Phrases, canonical, find_phrase, find_phrases, fold

# A procedure intent this confident is a new question, even while a
# clarifying question is open.
NEW_QUESTION_CONFIDENCE = 0.5
# A follow-up ("... cần giấy tờ gì") that names no procedure, while
# out_of_scope is this likely, is about something else ("đăng ký kết hôn cần
# giấy tờ gì"): answering for the current procedure would be a wrong answer.
OUT_OF_SCOPE_DOUBT = 0.25
# A procedure or topic named in the message that the classifier gives less
# than this is a word in passing ("tôi đã có tài khoản VNeID rồi"): it does
# not keep another agency's matter from being the question.
BELIEVED = 0.01
# Scores are sums of confidences and bonuses, so a lead of exactly the margin
# (1.4 against 1.3: two procedures the words name, one with a topic's bonus)
# comes out a hair either side of it in floating point. Such a lead is not
# clearly ahead: the answer needs more than the margin, by this much.
SCORE_ROUNDING = 1e-6
# How to report a crime: a crime told in one's own words (data/tipoffs.yml report_phrases) is its matter.
CRIME_REPORT = "security.crime_report"


def forms_base_url() -> str:
    return os.environ.get("FORMS_BASE_URL", "http://localhost:5080/forms").rstrip("/")


@dataclass
class AnswerConfig:
    aspects: Dict[str, Dict[str, Any]]
    follow_up_buttons: List[str]
    ellipsis_phrases: List[str]
    ask_which_procedure: str
    ask_candidates: str
    ask_procedure_or_matter: str
    matter_button: str
    not_understood: str
    system_error: str
    confidence: Dict[str, float]
    domain_words: List[str] = field(default_factory=list)  # words of the police's matters (see resolve)
    domain_not_within: List[str] = field(default_factory=list)  # phrases that hold one but mean else ("xe buýt")
    crime_words: List[str] = field(default_factory=list)  # a crime told ("bị lừa"): data/tipoffs.yml report_phrases
    check_again: str = ""
    forms_sent: str = "{forms}"
    default_portal: Dict[str, str] = field(default_factory=dict)
    procedure_buttons: Dict[str, List[Dict[str, str]]] = field(default_factory=dict)
    brief_overviews: Dict[str, str] = field(default_factory=dict)
    brief_buttons: List[str] = field(default_factory=list)
    feedback_buttons: List[Dict[str, str]] = field(default_factory=list)
    first_answer_buttons: List[str] = field(default_factory=list)  # which details first, when room is short
    feedback: Dict[str, Any] = field(default_factory=dict)  # actions/feedback.py's texts
    overview: Dict[str, str] = field(default_factory=dict)
    documents_for_all: str = ""
    documents_if: str = "{case}"
    documents_case_words: List[str] = field(default_factory=list)
    referrals: Referrals = field(default_factory=lambda: Referrals("", []))
    spelling: Spelling = field(default_factory=lambda: Spelling({}))  # phone abbreviations (data/lexicon.yml)

    @classmethod
    def load(cls) -> "AnswerConfig":
        texts = read_texts("answers.yml")
        return cls(**texts, referrals=Referrals.load(), spelling=spelling(known=tuple(texts.get("domain_words") or ())),
                   crime_words=read_texts("tipoffs.yml").get("report_phrases") or [])

    def expand(self, text: str) -> str:
        """The text with phone abbreviations spelled out, for matching phrases
        (``bot.nlu.lexicon.Spelling``)."""
        return self.spelling.expand(text)

    def aspect_of_intent(self, intent: Optional[str]) -> Optional[str]:
        for name, aspect in self.aspects.items():
            if intent and aspect.get("intent") == intent:
                return name
        return None


def named_procedures(kb: KnowledgeBase, text: str) -> List[Tuple[str, int, int]]:
    """Procedures the text names by one of their aliases: (id, start, end),
    longest names first, never two overlapping names."""
    found: List[Tuple[str, int, int]] = []
    before = canonical(text).lower()
    general = [(s, e) for t in kb.topics.values() for s, e, _ in find_phrases(text, t.names)]
    for procedure in kb.procedures.values():
        for start, end, phrase in find_phrases(text, procedure.names):
            if len(phrase.split()) <= 2 and _PLACE.search(before[:start]):
                continue  # "nơi thường trú", "chỗ tạm trú": a place, not the procedure
            if len(phrase.split()) <= 2 and _STATE.search(before[:start]) and _STATE_AT.match(before, end):
                continue  # "đang tạm trú ở nhà thuê": where one lives, not the procedure
            if any(s <= start and end <= e and e - s > end - start for s, e in general):
                continue  # inside a topic's general name ("tạm vắng" in "tạm trú tạm vắng")
            if before.startswith("chuyen ", start) and _MATTER_OF.search(fold(before[:start])):
                continue  # "vuong chuyen ho khau" typed without diacritics: a matter (chuyện), not a move
            found.append((procedure.id, start, end))
    found.sort(key=lambda f: f[1] - f[2])
    chosen: List[Tuple[str, int, int]] = []
    for pid, start, end in found:
        if all(end <= s or start >= e for _, s, e in chosen):
            chosen.append((pid, start, end))
    return chosen


# the word before a residence that makes it a place: "nơi thường trú", "chỗ tạm trú" ("cho" typed without
# diacritics is "for": "đăng ký cho tạm trú" is no place)
_PLACE = re.compile(r"(?<!\w)(?:nơi|noi|nơi đang|noi dang|chỗ|chỗ đang|địa phương|dia phuong|địa chỉ|dia chi)\s+$")
# before "chuyen" typed without diacritics: "chuyện" (a matter: "vướng chuyện hộ khẩu"), not "chuyển"
_MATTER_OF = re.compile(r"(?<!\w)(?:vuong|may|nhieu|cac|nhung|gap)\s+$")
# a residence as a state: "đang tạm trú ở …", "hiện thường trú tại …"
_STATE = re.compile(r"(?<!\w)(?:đang|dang|hiện|hien|vẫn|van|còn|con)\s+$")
_STATE_AT = re.compile(r"\s+(?:ở|o|tại|tai|bên|ben|trên|tren)\b")


def named_procedure(kb: KnowledgeBase, text: str) -> Tuple[Optional[str], str]:
    """The procedure the text names by its longest alias, and the text (in
    canonical form) with that name removed."""
    names = named_procedures(kb, text)
    if not names:
        return None, text
    owner, start, end = names[0]
    message = canonical(text)
    return owner, message[:start] + " " + message[end:]


@dataclass
class Decision:
    procedure: Optional[str] = None
    aspect: Optional[str] = None  # the part asked about (the one most clearly asked, when several)
    aspects: List[str] = field(default_factory=list)  # every part asked about, in the message's order
    topic: Optional[Topic] = None  # ask which procedure of this topic
    candidates: List[str] = field(default_factory=list)  # ask which of these procedures
    also: Optional[str] = None  # another procedure the same message asks about: offered as a button
    ask_which: bool = False  # a follow-up with no procedure to refer to
    out_of_scope: bool = False
    referral: Optional[Referral] = None  # the agency that handles an out-of-scope matter
    matter: Optional[str] = None  # with candidates: another agency's matter also asked, as written
    question: Optional[str] = None  # with a matter: the question back that sets them apart, if not the usual one
    not_understood: bool = False


_SENTENCE = re.compile(r"[^.!?;\n]+[.!?;\n]*")
_QUESTION_WORDS = Phrases(["?", "không", "ko", "k", "chưa", "gì", "j", "nào", "sao", "đâu", "bao nhiêu", "bao lâu",
                           "mấy", "thế nào", "như thế nào", "ra sao", "được không", "cho hỏi", "xin hỏi", "làm sao",
                           "có phải"])
# not a question: "chua chay" (chữa cháy), "mấy anh bên đó" (those people), "mấy chục cái" (dozens), the "sao" of a
# copy ("bản sao giấy khai sinh", "sao y", "sao kê")
_NOT_QUESTION = re.compile(r"chua chay\b|may\s+(?:anh|chi|ong|ba|dua|co|chu|ban|em|bac|thang|tui|nguoi ta|chuc)\b"
                           r"|(?<=\bban )sao\b|sao\s+(?:y|ke|luc|chep)\b")
# a sentence putting a matter off: "mấy việc bên công an thì tôi sẽ hỏi sau", "cái đó tính sau"
_ASK_LATER = re.compile(r"\b(?:hoi|tinh)\s+sau\b(?!\s+(?:khi|do|nay)\b)")
_WANT_WORDS = Phrases(["muốn", "cần", "xin"])
# "can" typed without diacritics before these is the "căn" of "căn cước", "căn hộ", "căn nhà", "căn phòng", not "cần"
_CAN_NOUNS = r"\s+(?:cuoc|ho|nha|phong)\b"
_NOT_WANT = re.compile(r"can" + _CAN_NOUNS)
# a time in the past before a want word: a want already acted on, in the story
_PAST = re.compile(r"\b(?:(?:hom|bua)(?!\s+nay\b)|lan truoc|nam ngoai|thang truoc|tuan truoc|hoi truoc|truoc day"
                   r"|khi(?!\s+nao\b))\b")  # "khi xin lại bản sao… thì mới phát hiện": the moment of the story
# at most three words, and no comma, between a word and the one it acts on
_OBJECT = re.compile(r"^\s*(?:\w+\s+){0,3}$")


def asking_spans(text: str) -> List[Tuple[int, int]]:
    """The sentences of a message that ask something (a question word or
    mark), else its last sentence (in the canonical text's coordinates)."""
    message = canonical(text)
    sentences = [(m.start(), m.end()) for m in _SENTENCE.finditer(message) if m.group(0).strip()]
    # among words typed with their marks, "may" (to sew) is no "mấy"
    asking = [s for s in sentences if "?" in message[s[0]:s[1]] or asks(message[s[0]:s[1]])]
    return asking or sentences[-1:]


def asks(sentence: str) -> bool:
    """Whether a sentence holds a question word; not the "chua" of "chua chay"
    (chữa cháy) typed without diacritics, nor the "mấy" of "mấy anh" (those);
    not a sentence that puts a matter off ("… thì tôi hỏi sau")."""
    folded = fold(canonical(sentence))  # the offsets of find_phrases
    if _ASK_LATER.search(folded):
        return False  # "mấy việc bên công an thì tôi sẽ hỏi sau": put off, not asked
    return any(not _NOT_QUESTION.match(folded, start) for start, _, _ in find_phrases(sentence, _QUESTION_WORDS, True))


def wanting_span(text: str) -> Optional[Tuple[int, int]]:
    """The last sentence before the message's last question that says what
    the citizen wants ("Giờ em muốn chuyển hộ khẩu về căn mới. Cho em hỏi cần
    mang giấy gì…"): the need that a question naming nothing asks about."""
    message = canonical(text)
    question = question_span(text)
    wanting = [(m.start(), m.end()) for m in _SENTENCE.finditer(message[:question[0]]) if want_words(m.group(0))]
    return wanting[-1] if wanting else None


def want_words(sentence: str) -> List[Tuple[int, int, str]]:
    """The words saying what one wants ("muốn", "cần", "xin"); not the "can"
    of "can cuoc" typed without diacritics, nor a want of the past ("hôm lên
    phường xin xác nhận cư trú…")."""
    folded = fold(canonical(sentence))
    return [w for w in find_phrases(sentence, _WANT_WORDS, True)
            if not _NOT_WANT.match(folded, w[0]) and not _PAST.search(folded[:w[0]])]


# a question that only asks which papers to bring or get ("Có cần mang căn cước theo không?", "Tôi có phải xin lý
# lịch tư pháp không?"): for what is asked before it
_BRING_ONLY = re.compile(r"\W*(?:(?:voi lai|va|con|ma)\s+)?(?:\w+\s+){0,2}?(?:co\s+)?(?:can|phai)\s+"
                         r"(?:mang|dem|nop|them|kem|xuat trinh|chuan bi|xin)\b")


def question_span(text: str) -> Tuple[int, int]:
    """Where the question is in a message that tells a story first: the last
    sentence with a question word (or mark), else the last sentence; the one
    before it when the last only asks which papers to bring ("Làm giấy khai
    sinh cho bé ở đâu? Có cần mang căn cước của hai vợ chồng không")."""
    spans = asking_spans(text) or [(0, len(canonical(text)))]
    if len(spans) > 1 and _BRING_ONLY.match(fold(canonical(text)), spans[-1][0], spans[-1][1]):
        return spans[-2]
    return spans[-1]


def procedure_scores(kb: KnowledgeBase, config: AnswerConfig, confidence: Dict[str, float],
                     text: str, named: List[Tuple[str, int, int]]) -> Dict[str, float]:
    """How likely each procedure is: the classifier's confidence, plus the
    evidence of the words: a procedure named by one of its aliases (more so
    inside the question when the message names several), and the case of a
    topic ("lần đầu", "bị mất") once the topic is clear."""
    weights = config.confidence
    question = question_span(text)
    scores = {p: confidence.get(p, 0.0) for p in kb.procedures}
    # a child's procedure named for a child the text says is older ("con gái tôi 15 tuổi … căn cước cho con")
    outgrown = {p for t in kb.topics.values() for p in t.outgrown(text)}
    named = [n for n in named if n[0] not in outgrown]
    message = fold(canonical(text))
    # a procedure named only as a paper another named one needs ("giấy ANTT … có cần lý lịch tư pháp không")
    # is no procedure asked
    asked_for = {n[0] for n in named if need_asked_before(message, n[1]) is None}
    needed = {n[0] for n in named} - asked_for if asked_for else set()
    for pid in {n[0] for n in named if not told_as_done(message, n[1], n[2])} - needed:  # not "đã đăng ký tạm trú rồi"
        scores[pid] += weights["alias_bonus"]
    if len({n[0] for n in named}) > 1:  # the story names one, the question asks about another
        for pid in {n[0] for n in named if question[0] <= n[1] and n[2] <= question[1]} - needed:
            scores[pid] += weights["question_bonus"]
    # a topic named only as what another paper must match ("bằng lái … cho khớp với căn cước") is not asked
    named_topics = {t.id for t in kb.topics.values()
                    if any(not _REFERENCE.search(message[:s]) for s, _, _ in find_phrases(text, t.names))}
    named_ids = {n[0] for n in named}
    done_names = [n for n in named if _ALREADY.search(message[:n[1]]) or cannot(message, n[1], n[2])
                  or (_DONE_AT.match(message, n[2]) and not _EVENT.search(message, n[1], n[2]))]
    live_names = [n for n in named if n not in done_names]
    named_cases: Set[str] = set()  # the case of each topic the message names with one of its cases

    @functools.lru_cache(maxsize=None)
    def papers() -> List[Tuple[str, int, int]]:  # every paper named (topics' and other agencies'), when needed
        return ([(t.id, s, e) for t in kb.topics.values() for s, e, _ in find_phrases(text, t.names)]
                + [(r.id, s, e) for r in config.referrals.referrals for s, e, _ in find_phrases(text, r.phrases)])

    for topic in kb.topics.values():
        options = [o.procedure for o in topic.options]
        named_topic = topic.id in named_topics
        for option in set(options):
            if named_topic:  # "hộ chiếu", "bằng lái": one of these...
                scores[option] += weights["topic_bonus"]
            elif named_topics and option not in named_ids:  # ...not another topic's case
                scores[option] -= weights["topic_bonus"]
        # a procedure named as done names no case ("báo mất hộ chiếu rồi, giờ làm cuốn mới"), nor does the state
        # of another paper ("giấy khai sinh cũng thất lạc", "bằng lái hết hạn")
        cases = topic.cases_named(blanked(text, [(s, e) for _, s, e in done_names] + others_states(text, topic, papers)),
                                  live_names)
        for pid, start, end in live_names:  # an option named by its alias names its case too ("sang tên xe")
            if pid in options:
                cases[pid] = max(cases.get(pid, 0), end - start)
        if not cases:
            continue
        case = max(cases, key=cases.get)  # the longest case phrase (of the question's, when it names some)...
        in_question = topic.cases_named(canonical(text)[question[0]:question[1]])
        if in_question and case not in in_question and set(in_question) <= set(cases):
            case = max(in_question, key=in_question.get)  # "… chưa làm thu hồi đăng ký. em tự đi sang tên được không"
        ahead = sorted(cases, key=lambda o: confidence.get(o, 0.0), reverse=True)
        asked = [pid for pid, s, e in named if pid in cases and question[0] <= s and e <= question[1]]  # by an alias
        if len(ahead) > 1 and confidence.get(ahead[0], 0.0) - confidence.get(ahead[1], 0.0) >= weights["case_margin"]:
            # ...unless the words name several cases and the classifier clearly prefers one, and the
            # question does not name another by its alias ("đã đổi sang thẻ PET…, xin cấp gplx quốc tế")
            case = ahead[0]
            if asked and ahead[0] not in topic.cases_named(canonical(text)[question[0]:question[1]]):
                case = max(asked, key=cases.get)
        mass = confidence.get(topic.intent, 0.0) + sum(confidence.get(o, 0.0) for o in set(options))
        relevant = (named_topic
                    or confidence.get(topic.intent, 0.0) >= max(scores.values())
                    or max(options, key=scores.get) == max(scores, key=scores.get))
        if relevant:
            scores[case] = max(scores[case], mass + weights["alias_bonus"])
        if named_topic:
            named_cases.add(case)
    # a topic named with its case ("thẻ căn cước … cong vênh") beats a guess that the words name neither by
    # an alias nor by its topic's name ("xe đò" in the story)
    best = max(scores, key=scores.get)
    guessed = best not in named_ids and not any(  # nor by its topic's name ("cư trú")
        t.id in named_topics and best in {o.procedure for o in t.options} for t in kb.topics.values())
    if guessed and len(named_cases) == 1:
        case = next(iter(named_cases))
        scores[case] = max(scores[case], scores[best] + weights["margin"])
    elif guessed and confidence.get(best, 0.0) < weights["guess_beside_topic"] and any(
            t.id in named_topics for t in kb.topics.values()
            if best not in {o.procedure for o in t.options} and best.split(".")[0] != t.id):
        # another topic named by its name ("căn cước"), none of its cases: a guess of a procedure the words do
        # not name, unless the classifier is sure of it, is asked back, not answered
        scores[best] = min(scores[best], weights["answer"] - 0.01)
    return scores


def resolve(
    kb: KnowledgeBase,
    config: AnswerConfig,
    intent: Optional[str],
    ranking: List[Dict[str, Any]],
    text: str,
    slots: Dict[str, Any],
    second_opinion: Optional[Dict[str, float]] = None,
) -> Decision:
    """Which procedure and aspect the latest message asks about; or a question
    back, or out of scope. A wrong procedure costs the citizen more than a
    question back, so a procedure is answered only when it is clearly ahead.
    A question back keeps the part the words ask about ("làm cccd cần giấy
    tờ gì": the documents), answered once the citizen picks the case,
    whichever intent the classifier gave the message. ``second_opinion``:
    the second model's own probabilities (the parse's ``second_opinion``),
    where the blend in ``ranking`` hides them."""
    written, text = text or "", config.expand(text or "")
    decision = _decide(kb, config, intent, ranking, text, slots)
    if decision.procedure and not slots.get("clarifying"):
        # places as written: expanding splits a name it does not know ("Saitama")
        if (doubt := config.referrals.doubted(written, decision.procedure)) is not None:
            # "Ba tôi ở Houston, hộ chiếu hết hạn": the passport at home, or at the mission there?
            return Decision(candidates=[decision.procedure], matter=doubt.doubt.ask, question=doubt.doubt.question,
                            aspect=decision.aspect)
        if (second_opinion or {}).get("out_of_scope", 0.0) >= config.confidence["second_not_ours"]:
            # the second model gives "not ours" real weight, though the blend led to a procedure: with another
            # agency's matter named and no procedure in the question itself ("Em xin visa du học Úc, trung tâm
            # đòi CT07 dịch tiếng Anh. Em in từ VNeID ra thì lãnh sự có nhận không…"), that procedure or the matter?
            question = question_span(text)
            if (not any(question[0] <= s and e <= question[1] for _, s, e in named_procedures(kb, text))
                    and (found := config.referrals.match(text, question, matter_context)) is not None):
                return Decision(candidates=[decision.procedure], matter=canonical(text)[found[1]:found[2]],
                                aspect=decision.aspect)
    if (decision.topic is not None or decision.candidates) and decision.aspect is None:
        decision.aspect = aspects_of(config, kb, text, None, {})[0]
    return decision


def _decide(kb: KnowledgeBase, config: AnswerConfig, intent: Optional[str], ranking: List[Dict[str, Any]],
            text: str, slots: Dict[str, Any]) -> Decision:
    """``resolve``'s decision, ``text`` expanded (``AnswerConfig.expand``)."""
    weights = config.confidence
    confidence = {r["name"]: r.get("confidence", 0.0) for r in ranking}
    if intent and intent not in confidence:
        confidence[intent] = 1.0
    named = named_procedures(kb, text)
    named_ids = [n[0] for n in named]
    aspect_intent = config.aspect_of_intent(intent)
    open_topic = kb.topics.get(slots.get("clarifying") or "")
    scores = procedure_scores(kb, config, confidence, text, named)
    ranked = sorted(scores, key=scores.get, reverse=True)
    best, s1, s2 = ranked[0], scores[ranked[0]], scores[ranked[1]]
    out_of_scope = confidence.get("out_of_scope", 0.0)

    def answer(procedure: str) -> Decision:
        aspect, aspects = aspects_of(config, kb, text, aspect_intent, slots)
        return Decision(procedure=procedure, aspect=aspect, aspects=aspects,
                        also=next((n for n in named_ids if n != procedure), None))

    if open_topic is not None:
        options = [o.procedure for o in open_topic.options]
        chosen = open_topic.case_named(text) or next((n for n in named_ids if n in options), None)
        new_question = intent in kb.procedures and intent not in options and confidence[intent] >= NEW_QUESTION_CONFIDENCE
        if chosen is None and intent in options:
            chosen = intent
        if chosen is None and not new_question and intent not in ("out_of_scope", "nlu_fallback"):
            chosen = max(options, key=scores.get)  # the reply to the question: the likeliest option
        if chosen is not None:
            return answer(chosen)

    if aspect_intent:
        referral = None if named else other_agency(config, text, [])[0]
        if not named and (out_of_scope >= OUT_OF_SCOPE_DOUBT or (referral and s1 < weights["certain"])):
            return not_ours(config, text, referral)  # "mất sổ đỏ làm lại bao lâu"
        if named or s1 >= weights["switch"]:
            return answer(best)  # a procedure or case named in the new message wins over the context
        current = slots.get("procedure")
        if current:
            topic = next((t for t in kb.topics.values() if current in [o.procedure for o in t.options]), None)
            return answer((topic and topic.case_named(text)) or current)
        topic = next((t for t in kb.topics.values() if find_phrase(text, t.names)), None)
        if topic is not None:
            return Decision(topic=topic, aspect=aspect_intent)
        return Decision(aspect=aspect_intent, ask_which=True)

    topic = max(kb.topics.values(), key=lambda t: confidence.get(t.intent, 0.0), default=None)
    topic_confidence = confidence.get(topic.intent, 0.0) if topic else 0.0
    topic_names = [(t.id, f[0], f[1]) for t in kb.topics.values() for f in find_phrases(text, t.names)]
    named_topics = {t[0] for t in topic_names}
    belief = {t.id: max([confidence.get(t.intent, 0.0)] + [confidence.get(p, 0.0) for p in kb.procedures
                                                           if p.split(".")[0] == t.id or p in {o.procedure for o in t.options}])
              for t in kb.topics.values()}
    referral, overrides_name, contested = other_agency(config, text, named + topic_names,
                                            lambda name: belief.get(name, confidence.get(name, 0.0)) >= BELIEVED)
    if (referral is not None and best in kb.procedures and confidence.get(best, 0.0) >= weights["certain"]
            and (matter_only_told(config, text, referral, named + topic_names)
                 or procedure_asked_apart(kb, text, referral, best, named + topic_names)
                 or named_alone_beside(text, referral, best))):
        # the classifier is sure of a procedure the questions ask about in the police's words, and the
        # other agency's matter is only in the story ("hợp đồng mua bán có công chứng. … Giờ em muốn đăng
        # ký sang tên chính chủ thì cần mang gì"), or asked apart, as a second question ("làm lại cà vẹt ở
        # đâu? … Trong lúc chờ chạy xe có bị CSGT phạt không?")
        referral, overrides_name, contested = None, False, None
    question = question_span(text)
    if (referral is not None and best == CRIME_REPORT and confidence.get(best, 0.0) >= weights["certain"]
            and (found := config.referrals.match(text, question, matter_context)) is not None
            and find_phrase(blanked(text, [(0, max(found[2], question[0]))]), config.crime_words) is not None):
        # a crime reported in the question, after the other agency's matter ("người bán đưa sổ đỏ giả … muốn tố
        # giác lừa đảo"): the matter is what the crime was about (not "bị trộm … giờ làm lại sổ đỏ ở đâu")
        referral, overrides_name, contested = None, False, None
    asked = asked_matter(config, text)
    if (needs := matter_needs_paper(text, asked, named + topic_names)) is not None:
        return Decision(out_of_scope=True, referral=needs)  # "đăng ký hộ kinh doanh có cần hộ khẩu không"
    if asked is None and (wanted := wanted_matter_needs(config, text, named + topic_names)) is not None:
        return Decision(out_of_scope=True, referral=wanted)  # "muốn đăng ký người phụ thuộc… Cần giấy tờ gì"
    if referral is None and general_matter_asked(config, text, named + topic_names):
        return Decision(out_of_scope=True)  # "đèn đường cháy bóng cả tuần nay, báo công an được không"
    unsure = intent == "nlu_fallback"  # the classifier has no opinion: only the words can tell "not ours"
    if ((intent == "out_of_scope" or (not unsure and out_of_scope >= max(s1, topic_confidence)))
            and not (named and s1 > out_of_scope)):
        matter = (asked is not None and not paper_needed(config, text, named + topic_names)
                  and not matter_only_condition(text, asked, named))
        # the words name a procedure or a topic, and no other agency's matter in the question: a
        # long story told in the words of the "not ours" examples may still be ours
        message = fold(canonical(text))
        ours_by_words = not matter and any(not told_as_done(message, s, e) for _, s, e in named + topic_names)
        if referral is None and (s1 >= weights["ask_back_not_ours"] or ours_by_words) and not (
                intent == "out_of_scope" and matter):
            live = [n for n in named if not told_as_done(message, n[1], n[2])]
            asked = [question]
            if not any(question[0] <= s and e <= question[1] for _, s, e in named + topic_names):
                asked += [w for w in [wanting_span(text)] if w]  # "Giờ em muốn chuyển hộ khẩu… Cần mang gì"
            if ours_by_words and len({n[0] for n in live}) == 1 and any(
                    a <= s and e <= b for _, s, e in live for a, b in asked):
                if (brought_for := paper_brought_for_matter(config, text, live[-1])) is not None:
                    return not_ours(config, text, brought_for)  # "xin visa … có cần nộp giấy CT07 không"
                return answer(live[0][0])  # the one procedure named, and in the question: "… giấy đó xin ở đâu"
            if out_of_scope >= weights["sure_not_ours"] and not any(
                    a <= s and e <= b for _, s, e in named + topic_names for a, b in asked):
                # the classifier is sure, and the question names no procedure or topic: the police's words are only
                # the story's ("Con tôi học bên Úc …, hộ chiếu của cháu sắp hết hạn. Giờ cháu đổi ở đâu?"): no question back
                return not_ours(config, text, None)
            if s1 >= weights["ask_back_not_ours"]:
                return Decision(candidates=candidates_of(ranked, scores, weights))  # maybe ours after all: ask
            # only the words say ours: the procedures they name, or the topic's question (not those told as done)
            if live:
                return Decision(candidates=list(dict.fromkeys(n[0] for n in live))[:3])
            if out_of_scope >= weights["sure_not_ours"] and (
                    matter := config.referrals.match(text, question, matter_context)) is not None:
                # only a topic's word ("căn cước", "cà vẹt") beside another agency's matter, and the classifier
                # sure it is not ours: that agency's ("mã số thuế … dùng số căn cước được không")
                return not_ours(config, text, matter[0])
            topics = [t for t in topic_names if not told_as_done(message, t[1], t[2])]
            return Decision(topic=kb.topics[topics[0][0]])
        return not_ours(config, text, referral)
    # with no procedure or topic named, the cases' words ("lần đầu", "xe mới") do not make the classifier surer
    sure = s1 if named or topic_names else confidence.get(best, 0.0)
    if (referral is not None and not overrides_name and best in kb.procedures and out_of_scope < OUT_OF_SCOPE_DOUBT
            and confidence.get(best, 0.0) >= weights["answer"] and paper_asked_as_needed(text, asked)):
        # "Em muốn nộp lại biển và cà vẹt thì cần mang giấy chứng tử không": the classifier is sure of a
        # procedure, and the matter is only a paper asked yes or no as one to bring for it
        referral = None
    if referral is not None and (overrides_name or sure < weights["certain"] or only_matter_asked(config, text, asked, named + topic_names)):
        return Decision(out_of_scope=True, referral=referral)
    if (referral is None and not named and out_of_scope >= OUT_OF_SCOPE_DOUBT and asked is not None
            and not paper_needed(config, text, topic_names)):
        # only a topic's word ("đăng ký xe") beside the matter asked about; unless asked whether the
        # topic's procedure needs the matter's paper ("làm cccd lần đầu có phải mang giấy khai sinh k")
        return not_ours(config, text, None)
    if contested and confidence.get(best, 0.0) < weights["certain"]:
        # another agency's matter asked beside a procedure the words name: either may be meant, and a
        # wrong procedure costs more than a question back
        return Decision(candidates=[best], matter=canonical(text)[contested[0]:contested[1]])
    # the police's words, but not those of a procedure told as done ("tạm trú xong rồi, hỏi chỗ tuyển thợ may")
    message = fold(canonical(text))
    done = [(s, e) for _, s, e in named + topic_names if told_as_done(message, s, e)]
    rest = blanked(text, done)
    supported = bool(len(done) < len(named + topic_names) or domain_word(config, rest)
                     or any(t.cases_named(rest) for t in kb.topics.values())
                     # a crime told in one's own words ("bị lừa chuyển khoản") is the police's: how to report it
                     or (best == CRIME_REPORT and find_phrase(rest, config.crime_words) is not None))
    if not supported and confidence.get(best, 0.0) < weights["unsupported"]:
        # no word of the police's matters, and the classifier is not sure: a question back when it
        # hesitates between procedures, else not understood (the message reaches content staff)
        candidates = candidates_of(ranked, scores, weights) if s1 >= weights["ask_back"] else []
        return Decision(candidates=candidates) if len(candidates) > 1 else Decision(not_understood=True)
    if not named and len(named_topics) == 1:  # "làm căn cước cần những gì": the topic, but which case?
        named_topic = kb.topics[next(iter(named_topics))]
        if not named_topic.cases_named(text) and (
                topic_asked_as_such(text, topic_names)  # "hỏi về hộ khẩu": whatever the classifier guesses
                or (best in {o.procedure for o in named_topic.options}
                    and (confidence.get(best, 0.0) < weights["topic_only"] or _WHICH_UNKNOWN.search(fold(canonical(text)))))):
            return Decision(topic=named_topic)
    if s1 >= weights["answer"] and s1 - s2 >= weights["margin"] + SCORE_ROUNDING:
        if unsure and not named and not topic_names:
            # no opinion of the classifier, and no procedure or topic named: a case word alone ("lần đầu") is a
            # guess between topics ("dag ky xe lan dau": a vehicle's, not a card's)
            return Decision(candidates=candidates_of(ranked, scores, weights))
        return answer(best)
    if unsure and {n[0] for n in named if not told_as_done(message, n[1], n[2])} == {best} and referral is None:
        return answer(best)  # the classifier has no opinion, and the words name this one procedure alone
    if topic is not None and topic_confidence >= s1 and topic_confidence >= weights["ask_back"]:
        return Decision(topic=topic)
    if s1 >= weights["ask_back"]:
        candidates = candidates_of(ranked, scores, weights)
        for t in kb.topics.values():
            options = {o.procedure for o in t.options}
            if set(candidates) <= options and len(candidates) > 1:  # all cases of one topic: ask its question
                return Decision(topic=t)
            if t.id in named_topics and not set(candidates) & options:  # "hộ chiếu", but none of its cases
                return Decision(topic=t)
        return Decision(candidates=candidates)
    if len(named_topics) == 1 and not named:  # "hỏi về gplx": the topic, and nothing the classifier knows
        return Decision(topic=kb.topics[next(iter(named_topics))])
    return Decision(not_understood=True)


def others_states(text: str, topic: Topic, papers: Callable[[], List[Tuple[str, int, int]]]) -> List[Tuple[int, int]]:
    """The topic's case phrases that tell the state of another paper named
    just before them (``papers()``: (topic or matter id, start, end)), not of
    the topic's own: "giấy khai sinh cũng thất lạc" in a question about a
    first identity card, "bằng lái hết hạn" beside one."""
    cases = find_phrases(text, topic.case_phrases)
    if not cases:
        return []
    message = fold(canonical(text))
    before = [(key, e) for key, _, e in papers()]
    spans = []
    for start, end, _ in cases:
        owners = {key for key, e in before if e <= start and _STATE_OF.fullmatch(message, e, start)}
        if owners and topic.id not in owners:
            spans.append((start, end))
    return spans


def named_alone_beside(text: str, referral: Referral, procedure: str) -> bool:
    """Whether the matter is named only by its ``alone`` phrases (the rest,
    if any, told as done) beside ``procedure``, one of those it does not
    name a matter beside ("sang lại quán karaoke … đứng tên hộ kinh doanh mới
    thì dùng tiếp giấy ANTT cũ được không": who applies for the police's
    paper)."""
    if not (procedure in referral.alone_beside or procedure.split(".")[0] in referral.alone_beside):
        return False
    message = fold(canonical(text))
    return bool(referral.alone) and all(matter_done(message, s, e) for s, e, _ in find_phrases(
        text, [p for p in referral.phrases if p not in referral.alone]))


def matter_only_told(config: AnswerConfig, text: str, referral: Referral,
                     names: List[Tuple[str, int, int]]) -> bool:
    """Whether another agency's matter is named by its own words only in
    sentences that tell the story, neither in a sentence that asks nor in the
    one saying what the citizen wants, while those name a procedure, a topic
    or a word of the police's matters (not a place: "khám ở chỗ tạm trú")."""
    message = fold(canonical(text))
    places = [(s, e) for s, e, _ in find_phrases(text, referral.phrases)]
    live = [(s, e) for s, e in places if not matter_done(message, s, e)]  # not "cho khớp với khai sinh"
    asked = asking_spans(text) + [w for w in [wanting_span(text)] if w]
    if not places or any(a <= e and s <= b for a, b in asked for s, e in live):
        return False  # also a matter known only by whose paper it is ("người Đức … hộ chiếu")
    lower = canonical(text).lower()
    police = [(s, e) for _, s, e in names] + [(s, e) for s, e in police_words(config, text) if not _PLACE.search(lower[:s])]
    return any(a <= s and e <= b for a, b in asked for s, e in police)


def asked_yes_or_no(message: str, ask: "re.Match[str]", end: int) -> bool:
    """Whether the word ``ask`` (found by ``_NEEDS`` in the folded text) asks
    yes or no whether what ends at ``end`` is needed: "có cần", "có phải",
    "bắt buộc", or "… không" closing its clause."""
    if fold(ask.group(0)) in ("co phai", "bat buoc") or message[:ask.start()].endswith("co "):
        return True
    after = _CLAUSE_END.search(message, end)
    return _YES_NO.search(message, end, after.start() if after else len(message)) is not None


_PAPER = re.compile(r"giay\b")
_PAPER_BEFORE = re.compile(r"\bgiay\s+$")


def procedure_asked_apart(kb: KnowledgeBase, text: str, referral: Referral, procedure: str,
                          names: List[Tuple[str, int, int]]) -> bool:
    """Whether a sentence that asks, or says what the citizen wants, names
    ``procedure`` (by an alias or its topic's name, not as done) and not
    another agency's matter named elsewhere in the message."""
    message = fold(canonical(text))
    places = [(s, e) for s, e, _ in find_phrases(text, referral.phrases)]
    if not places:
        return False  # a matter known only by whose paper it is ("người Đức … hộ chiếu")
    places = [(s, e) for s, e in places if not matter_done(message, s, e)]  # not "cho khớp với khai sinh"
    topic = next((t for t in kb.topics.values() if procedure in {o.procedure for o in t.options}), None)
    # by its topic's name, not as the paper ("giấy đăng ký xe vẫn đứng tên bố")
    own = [(s, e) for name, s, e in names
           if (name == procedure or (topic is not None and name == topic.id and not _PAPER.match(message, s)
                                     and not _PAPER_BEFORE.search(message[:s])))
           and not told_as_done(message, s, e)]
    # (nor one pointing back at the matter's paper: "… xin giấy này ở đâu")
    return any(a <= s and e <= b and not any(a <= pe and ps <= b for ps, pe in places)
               and not refers_back(message, (a, b), places, names)
               for a, b in asking_spans(text) for s, e in own)


def general_matter_asked(config: AnswerConfig, text: str, names: List[Tuple[str, int, int]]) -> bool:
    """Whether the message names a matter of no agency (``general_phrases``:
    street lights, electricity, jobs) and nothing of the police's but as done:
    no procedure or topic, and no police word in its question."""
    if not find_phrases(text, config.referrals.general_phrases):
        return False
    message = fold(canonical(text))
    question = question_span(text)
    return (all(told_as_done(message, s, e) for _, s, e in names)
            and not domain_word(config, canonical(text)[question[0]:question[1]]))


def not_ours(config: AnswerConfig, text: str, referral: Optional[Referral]) -> Decision:
    """Out of scope, with the agency its phrase names (a procedure named beside
    it was only in passing, since the question is not ours), or else the
    agency whose words the question shares most, if one clearly does."""
    weights = config.confidence
    found = referral is None and config.referrals.match(text, question_span(text), matter_context)
    return Decision(out_of_scope=True, referral=referral or (found and found[0]) or config.referrals.nearest(
        text, weights["agency_similarity"], weights["agency_lead"]))


def matter_asked(config: AnswerConfig, text: str) -> bool:
    """Another agency's matter is named in the question sentence: when the
    classifier too says "not ours", a police word beside it ("mã số thuế cá
    nhân giờ là số căn cước") is only context, not a reason to ask back."""
    return asked_matter(config, text) is not None


def asked_matter(config: AnswerConfig, text: str) -> Optional[Tuple[Referral, int, int]]:
    """The other agency's matter named in the question sentence, not told as
    done ("đã nộp trước bạ", "làm khai sinh xong"): (referral, start, end)."""
    question = question_span(text)
    found = config.referrals.match(text, question, matter_context)
    if (found is not None and question[0] <= found[1] and found[2] <= question[1]
            and not matter_done(fold(canonical(text)), found[1], found[2])):
        return found
    return None


def domain_word(config: AnswerConfig, text: str) -> bool:
    """Whether the text holds a word of the police's matters (``police_words``)."""
    return bool(police_words(config, text))


def police_words(config: AnswerConfig, text: str) -> List[Tuple[int, int]]:
    """Where the text holds a word of the police's matters, not inside a
    phrase that means something else ("xe" in "bến xe", "xe buýt")."""
    other = find_phrases(text, config.domain_not_within)
    return [(a, b) for a, b, _ in find_phrases(text, config.domain_words)
            if not any(s <= a and b <= e for s, e, _ in other)]


def only_matter_asked(config: AnswerConfig, text: str, found: Optional[Tuple[Referral, int, int]],
                      names: List[Tuple[str, int, int]]) -> bool:
    """Whether the question names another agency's matter and no word of the
    police's ("…phải có chứng thực chữ ký thì mới làm sang tên được. Chứng
    thực chỗ nào?"), and does not ask whether it is needed: however sure the
    classifier is of the story's procedure, the question is the matter's.
    ``found`` is the matter asked (``asked_matter``)."""
    question = question_span(text)
    if found is None:
        return False
    needs = needs_asked(text, question[0], found[1])
    message = canonical(text)
    asks = _NEEDS.match(message, needs) if needs is not None else None
    if asks and (any(e <= needs for _, _, e in names) or paper_to_bring(text, question[0], found[1])
                 or _JUST_BEFORE.match(message[asks.end():found[1]])):
        # not "làm … có cần công chứng không", "giấy mua bán có cần chứng thực không", "cần những giấy tờ gì
        # về đất đai": a paper of the procedure; but "công ty có phải báo cáo gì cho ban chỉ huy quân sự"
        return False
    ends, folded = [e for _, e, _ in find_phrases(message, found[0].phrases)], fold(message)  # the matter's phrases
    if not any(question[0] <= e and s <= question[1] for _, s, e in names) and not any(
            not acted_on(folded, ends, a) for a, _ in police_words(config, message)
            if question[0] <= a < question[1]):
        return True
    # the matter last, just before the question's end ("xe mới sang tên xong, có phải đi đăng kiểm lại không")
    return _ASKED_LAST.match(message[found[2]:question[1]]) is not None and not any(found[2] <= s for _, s, _ in names)


# a police word at most three words after the matter's phrase, in its clause: what the matter acts on
# ("công chứng giấy tặng cho xe", "dịch thuật hộ chiếu")
_ACTED_ON = re.compile(r"^\s+(?:(?!(?:o|dau|roi|moi|thi|de|khong|ko|nao|sao|duoc)\b)\w+\s+){0,3}$")


def acted_on(folded: str, ends: List[int], at: int) -> bool:
    """Whether the police word at ``at`` of the ``folded`` message is only
    the object of another agency's matter whose phrase ends (``ends``) just
    before it."""
    return any(e <= at and _ACTED_ON.match(folded[e:at]) for e in ends)


def paper_asked_as_needed(text: str, found: Optional[Tuple[Referral, int, int]]) -> bool:
    """Whether the matter asked (``found``, from ``asked_matter``) is a paper
    asked yes or no as needed ("có cần mang giấy chứng tử không", "cần quyết
    định xuất ngũ không")."""
    if found is None:
        return False
    message = fold(canonical(text))
    ask = need_asked_before(message, found[1])
    return (ask is not None and (_PAPER_AT.match(message, found[1]) or _PAPER_NEXT.match(message, ask.end()))
            and asked_yes_or_no(message, ask, found[2]))


def paper_needed(config: AnswerConfig, text: str, names: List[Tuple[str, int, int]]) -> bool:
    """The question asks whether a procedure named before (``names``) needs
    another agency's paper ("làm cccd lần đầu có phải mang giấy khai sinh
    không"), or whether a copy of it will do: the paper is a document of the
    procedure."""
    question = question_span(text)
    found = config.referrals.match(text, question, matter_context)
    if found is None or found[1] < question[0]:
        return False
    asks = paper_asked_at(text, question[0], found[1])  # "có phải mang giấy khai sinh", "… bản photo có được"
    return asks is not None and any(e <= asks for _, _, e in names)


# a procedure named by its deed, not its paper ("báo tạm vắng", "làm căn cước", "đăng ký thường trú")
_DEED = re.compile(r"(?:khai bao|thong bao|trinh bao|bao|khai|lam|dang ky|dang ki|dk|xin|doi|cap|gia han|tach|nhap|cat"
                   r"|chuyen|xoa)\b")
_NEAR = re.compile(r"^\W*(?:\w+\W+){0,6}$")  # at most six words between the matter and the asking word
_YES_NO = re.compile(r"\b(?:khong|ko|k|hong|hok|chua)\b")  # "… không", asked yes or no
_CLAUSE_END = re.compile(r"[,.;!?\n]")


def matter_needs_paper(text: str, found: Optional[Tuple[Referral, int, int]],
                       names: List[Tuple[str, int, int]]) -> Optional[Referral]:
    """The other agency's matter whose question asks whether it needs a police
    paper named after it ("đăng ký hộ kinh doanh có cần hộ khẩu thường trú
    không"): what its file holds is that agency's to say. Not a deed asked
    after it ("đi nghĩa vụ có cần làm tạm vắng không"): that is the police's.
    ``found`` is the matter asked (``asked_matter``)."""
    question = question_span(text)
    if found is None:
        return None
    referral, _, end = found
    message = canonical(text)
    folded = fold(message)
    for _, start, _ in names:
        if not end <= start <= question[1] or _DEED.match(folded, start):
            continue
        clause = _CLAUSE_END.search(folded, start, question[1])
        for needs in _NEEDS.finditer(message, end, start):
            # the matter is what needs it: just before the asking word, no police name between them;
            # asked yes or no in that clause ("có cần hộ khẩu không"), not "… hay phải có căn cước" nor
            # "đại sứ quán bảo cần IDP, làm online được không" (the police's paper is the question)
            if (_BRING.match(folded[needs.end():start]) and _NEAR.match(folded[end:needs.start()])
                    and not folded.startswith("hay", needs.start())
                    and _YES_NO.search(folded, start, clause.start() if clause else question[1])
                    and not any(end <= s and e <= needs.start() for _, s, e in names)):
                return referral
    return None


def paper_brought_for_matter(config: AnswerConfig, text: str, name: Tuple[str, int, int]) -> Optional[Referral]:
    """The other agency's matter, when the police paper named last (``name``)
    is only asked yes or no as one to bring ("đăng ký kết hôn … có cần mang
    giấy tạm trú theo không", "xin visa … có cần thêm lý lịch tư pháp
    không"): the paper belongs to that matter's file. Not a deed asked
    ("có phải làm tạm vắng không"), nor a matter told as done. Or asked in
    which copy to hand in ("xin visa … nộp CT07 bản gốc hay photo")."""
    _, start, end = name
    message = canonical(text)
    folded = fold(message)
    if _DEED.match(folded, start):
        return None
    question = question_span(text)
    copy = _COPY_ACCEPTED.match(folded, end)
    if not copy:
        clause_end = _CLAUSE_END.search(folded, end, question[1])
        if not _YES_NO.search(folded, end, clause_end.start() if clause_end else question[1]):
            return None
        since = max([question[0]] + [m.end() for m in _CLAUSE_END.finditer(folded, question[0], start)])
        if not any(_BRING.match(folded[n.end():start]) or _PAPER_NEXT.match(message, n.end(), start)
                   for n in _NEEDS.finditer(message, since, start)):
            return None
    found = config.referrals.match(text, None, matter_context)
    if found is None or matter_done(folded, found[1], found[2]) or (copy and found[2] > start):
        return None  # (the copy's form is no matter: "nộp bản sao căn cước có chứng thực hay photo")
    return found[0]


def wanted_matter_needs(config: AnswerConfig, text: str, names: List[Tuple[str, int, int]]) -> Optional[Referral]:
    """The other agency's matter the citizen says they want ("muốn …"), in the
    sentence before the question, when the question only asks what it needs
    ("muốn đăng ký người phụ thuộc cho mẹ. Cần giấy tờ gì, có cần xác nhận
    tạm trú không"): the police's papers named there belong to that file,
    which the other agency lists. Not when the wanting sentence names a police
    procedure, nor when the question names one as a deed ("có phải làm tạm
    vắng không")."""
    want, question = wanting_span(text), question_span(text)
    found = config.referrals.match(text, want, matter_context) if want else None
    if found is None or not want[0] <= found[1] < want[1]:
        return None
    message = canonical(text)
    folded = fold(message)
    # the matter is what is wanted: at most three words after "muốn" ("muốn đăng ký người phụ thuộc")
    wanting_ends = [want[0] + end for _, end, word in want_words(message[want[0]:want[1]]) if fold(word) == "muon"]
    if not any(end <= found[1] and _OBJECT.match(folded[end:found[1]]) for end in wanting_ends):
        return None
    if any(want[0] <= s < want[1] or (question[0] <= s < question[1] and _DEED.match(folded, s)) for _, s, _ in names):
        return None
    return found[0] if _NEEDS.search(message, question[0], question[1]) else None


def needs_asked(text: str, start: int, end: int) -> Optional[int]:
    """Where, between ``start`` and ``end`` of the canonical text, a word asks
    whether something is needed ("cần", "có phải mang", "can" typed without
    diacritics but not the "căn" of "căn cước")."""
    found = _NEEDS.search(canonical(text), start)  # the whole text after it: "cần đi…" is no paper
    return found.start() if found and found.end() <= end else None


def paper_asked_at(text: str, start: int, matter: int) -> Optional[int]:
    """Where, between ``start`` and the matter at ``matter`` of the canonical
    text, the question asks whether something is needed (``needs_asked``);
    or ``matter`` itself when the matter is a paper asked about in a copy
    (``paper_form_asked``: "giấy đăng ký kết hôn bản photo có được
    không"). None when neither."""
    if paper_form_asked(fold(canonical(text)), matter):
        return matter
    return needs_asked(text, start, matter)


def paper_asked_for(message: str, start: int, matter: int) -> bool:
    """Whether the matter's words at ``matter`` of the folded text are a paper
    asked for right after a word asking whether it is needed, from ``start``
    ("có cần giấy khai sinh không", not "có phải đổi giấy đăng ký hộ kinh
    doanh"), or asked about in a copy (``paper_form_asked``)."""
    return paper_form_asked(message, matter) or any(
        _PAPER_AT.match(message, matter) and _BRING.match(message[found.end():matter])
        for found in _NEEDS.finditer(message, start, matter))


def matter_only_condition(text: str, found: Optional[Tuple[Referral, int, int]],
                          names: List[Tuple[str, int, int]]) -> bool:
    """Whether the matter asked (``found``, from ``asked_matter``) is only the
    condition of a procedure asked after it (``asked_after_condition``)."""
    if found is None:
        return False
    places = outermost({(s, e) for s, e, _ in find_phrases(text, found[0].phrases)})
    message = fold(canonical(text))
    return any(asked_after_condition(message, places, s) for _, s, _ in names)


def asked_after_condition(message: str, places: Iterable[Tuple[int, int]], start: int) -> bool:
    """Whether the procedure named at ``start`` of the folded text is asked
    after the matter (``places``) as its condition, in one sentence: "đang
    trong diện nghĩa vụ quân sự thì làm hộ chiếu được không"."""
    ends = [pe for _, pe in places]
    return bool(ends) and max(ends) <= start and _THEN_ASKED.match(message, max(ends), start) is not None


def paper_form_asked(message: str, start: int) -> bool:
    """Whether the paper at ``start`` of the folded text is asked about as one
    handed in, in a copy ("giấy đăng ký kết hôn bản photo có được không",
    "trích lục khai tử nộp bản sao hay bản chính"), or the matter is the form
    of the copy asked about ("nộp bản sao căn cước có chứng thực hay photo
    là được"), or whether a paper must be certified ("hợp đồng thuê có cần
    công chứng không"): a paper for the procedure."""
    return bool((_PAPER_AT.match(message, start) and _COPY_ACCEPTED.match(message, start))
                or _COPY_FORM.match(message, start)
                or (_CERTIFIED.match(message, start) and _FORM_NEEDED.search(message, max(0, start - 60), start)))


def paper_to_bring(text: str, start: int, end: int) -> bool:
    """Whether, between ``start`` and ``end``, a word asks whether a paper is
    needed, with the paper right after it ("cần giấy ủy quyền hay giấy giám
    hộ"), not a deed ("có phải đăng ký…")."""
    message = canonical(text)
    found = _NEEDS.search(message, start)
    return bool(found and found.end() <= end and _PAPER_NEXT.match(message, found.end(), end)
                and not _WHICH_PAPERS.match(fold(message), found.end(), end))


# which papers, not whether one: "cần mang giấy gì lên đại sứ quán" asks the matter's documents
_WHICH_PAPERS = re.compile(r"\s+(?:mang\s+|dem\s+|nop\s+|chuan bi\s+)?(?:giay(?:\s+to)?\s+|nhung\s+)?(?:gi|j)\b")


def candidates_of(ranked: List[str], scores: Dict[str, float], weights: Dict[str, float]) -> List[str]:
    """The likely procedures to offer in a question back (at most 3)."""
    floor = max(weights["ask_back"], scores[ranked[0]] * weights["candidate_ratio"])
    return [p for p in ranked[:3] if scores[p] >= floor]


# asking whether a paper is needed: "cần mang…", "có phải công chứng…", "… hay phải công chứng"
_CAN = r"can(?!" + _CAN_NOUNS + ")"  # "can" typed without diacritics, not the "căn" of "căn cước"
# not before a deed ("có bắt buộc đi đính chính sổ", "có phải chuyển đăng ký nghĩa vụ"): no paper asked
_NEEDS = re.compile(r"(?<!\w)(?:cần|phải có|có phải|hay phải|bắt buộc|" + _CAN + r"|phai co|co phai|hay phai|bat buoc)(?!\w)"
                    r"(?!\s+(?:phải\s+|phai\s+)?(?:đi|di|chuyển|chuyen)\b)")

# a paper at most one word after the word asking whether it is needed ("cần giấy…", "có phải mang bản sao…")
_PAPER_NEXT = re.compile(r"\s+(?:\w+\s+)?(?:giấy|giay|bản|ban sao|mang|nộp|nop|trích lục|trich luc|sổ|so|chụp|chup"
                         r"|photo|hợp đồng|hop dong)\b")

# at most two words between a matter's phrase and the paper it acts on ("chứng thực bản sao sổ hộ khẩu")
_PAPER_AT = re.compile(r"(?:giay|ban sao|trich luc|so)\b")
# nothing but a bracket, a dash or "mẫu" between two names of one procedure ("giấy xác nhận cư trú CT07")
_SIDE_BY_SIDE = re.compile(r"[\s(\-:]*(?:mau\s+)?$")
# the matter as the condition, "thì", then the procedure asked, in one sentence
_THEN_ASKED = re.compile(r"[^.?!;]*\bthi\s+(?:\w+\s+){0,3}$")
# a paper, then whether a copy of it will do ("… bản photo có được không", "… nộp bản sao hay bản chính")
_COPY_ACCEPTED = re.compile(r"[^.?!]{0,40}?\b(?:ban photo|ban sao|photo|ban chinh|ban goc|ban scan|ban chup)\b"
                            r"[^.?!]{0,25}?(?:\b(?:co duoc|duoc khong|duoc ko|dc ko|dc khong|duoc k|la duoc|la du)\b"
                            r"|\bhay\s+(?:ban\s+)?(?:photo|sao|chinh|goc)\b)")
# a copy's form asked: certified or a plain photocopy ("có chứng thực hay photo", "công chứng hay bản thường")
_COPY_FORM = re.compile(r"(?:co\s+)?(?:chung thuc|cong chung|sao y)\s+(?:\w+\s+){0,2}?hay\s+(?:ban\s+)?"
                        r"(?:photo|thuong|chup|sao|goc|chinh)\b")
# a paper, then whether it must be certified ("hợp đồng thuê có cần công chứng không"): the form of the paper
_FORM_NEEDED = re.compile(r"\b(?:hop dong|giay)(?:\s+\w+){0,3}\s+(?:co\s+)?(?:can|phai|bat buoc)\s+$")
_CERTIFIED = re.compile(r"(?:cong chung|chung thuc)\b")
_BRING = re.compile(r"^\s*(?:(?:mang|nop|co|them|kem)\s+){0,2}$")
_JUST_BEFORE = re.compile(r"^\s*(?:\w+\s+){0,2}$")
# the last of the papers listed after the word asking whether they are needed ("mang cả thẻ thương binh với …")
_LISTED = re.compile(r"^\s*(?:\w+\s+){1,6}(?:voi|va|hoac|,)\s+$")
# a matter told as done before its phrase ("đã nộp lệ phí trước bạ", "đã công chứng", "làm xong căn cước")
_ALREADY = re.compile(r"\bda\s+(?!(?:bi|mat|lam mat|danh mat|het)\b)(?:\w+\s+){0,2}$|\bxong\s+$")
# a residence named as a place: "ở / về nơi (đang) tạm trú", "nơi / chỗ em đang tạm trú" (folded, "nơi" may be
# "nói" and "chỗ" "cho": "họ nói tạm trú hết hạn", "cho em tạm trú")
_WHO = r"(?:(?:em|e|toi|minh|con|chau|anh|chi)\s+)?"
_PLACE_OF = re.compile(rf"\b(?:o|ve|tai|den|tu)\s+noi\s+{_WHO}(?:dang\s+)?$|\b(?:noi|cho)\s+{_WHO}dang\s+$")
# a procedure just done ("mới đổi căn cước", "vừa làm tạm trú"); not "rồi mới", "thì mới", "bao lâu mới"
# (only then)
_JUST = re.compile(r"(?<!\broi )(?<!\bthi )(?<!\blau )(?<!\bkhi )\b(?:moi|vua)\s+(?!(?:bi|mat|het)\b)(?:\w+\s+){0,2}$")
# a matter held: "có (giấy / sổ / thẻ / bản / hợp đồng) …" before it and "rồi" just after ("có giấy đăng ký
# hộ kinh doanh rồi", "có hợp đồng công chứng rồi")
_HAVE = re.compile(r"\bco\s+(?:giay\s+|so\s+|the\s+|ban\s+|hop dong\s+)?$")
_HELD = re.compile(r"\s*(?:\w+\s+){0,2}?roi\b")
# "xong" asked about, not told: "bao lâu (thì) xong", "mấy ngày xong", "khi nào xong"
_WHEN_DONE = "".join(rf"(?<!\b{w} )(?<!\b{w} thi )" for w in ("lau", "ngay", "gio", "nao", "hom", "tuan", "thang"))
# a matter told as done after its phrase ("làm giấy khai sinh xong", "khai sinh cho con xong"); not "rồi",
# which also follows a loss ("mất sổ đỏ rồi")
_FINISHED = re.compile(r"\s*(?:\w+\s+){0,2}?" + _WHEN_DONE + r"xong\b")
# a procedure told as done ("đã xóa tạm trú rồi", "có cà vẹt rồi"), before the matter asked; not what
# follows once it is done ("tách hộ xong có được cấp sổ mới không", "… xong thì …"), nor a paper lost
# ("cà vẹt cũng cháy mất rồi"), nor "xong" asked about ("sang tên xe máy bao lâu xong")
_DONE = re.compile(r"(?![^.,;:!?]{0,20}?\b(?:mat|hu|hong)\s+roi\b)[^.,;:!?]{0,20}?\b(?:roi|"
                   + _WHEN_DONE + r"xong(?!\s+(?:co|thi)\b))\b")
# the turn from the story to the question inside one sentence ("…, vậy giấy đăng kiểm có phải đổi không")
_TURN = re.compile(r"[,;]\s*(?:vay|gio|bay gio|nay)\b")
# a topic asked about as a whole: its name just after "thủ tục", "vấn đề", "chuyện", "việc" ("thủ tục thẻ căn cước")
_AS_SUCH = re.compile(r"\b(?:(?:thu tuc|van de|chuyen|viec)\s+(?:ve\s+|lien quan (?:den|toi)\s+|cua\s+)?"
                      r"|hoi\s+(?:(?:xiu|chut|ti|them)\s+)?ve\s+)(?:the\s+|giay\s+)?$")
# the words between a paper's name and its state ("giấy khai sinh cũng thất lạc", "bằng lái bị mất")
_STATE_OF = re.compile(r"\s*(?:(?:cung|bi|da|thi|con|lai|deu|van|moi|nua)\s+){0,2}")
# the citizen says they do not know which procedure they need ("không biết phải làm loại nào", "không rõ
# mình cần làm gì", "không biết bắt đầu từ đâu"): the topic's question, unless a case is named
_WHICH_UNKNOWN = re.compile(r"\b(?:khong|chua|ko|k)\s+(?:biet|ro)\s+(?:la\s+)?(?:(?:minh|em|toi|tui|chau)\s+)?"
                            r"(?:(?:phai|can|nen)\s+)?(?:di\s+)?lam\s+(?:(?:thu tuc|loai|cai|giay)\s+)?(?:gi|nao)\b"
                            r"|\b(?:khong|chua|ko|k)\s+biet\s+(?:phai\s+)?bat dau tu dau\b")
# a police paper named after the matter only to compare ("như hộ chiếu thường", "chứ không phải…")
_CONTRAST = re.compile(r"\b(?:nhu|giong|khac|chu khong phai|thay vi|hay(?:\s+\w+){0,2})\s+$")
# nothing but question words after the matter at the end of a question ("… đăng kiểm lại không?")
_ASKED_LAST = re.compile(r"^\s*(?:lại\s+|lai\s+)?(?:không|ko|k|hông|hong|chưa|chua|ở đâu|o dau|ở mô|o mo)?\s*[?.!]*\s*$")
# the paper another one is compared with or must match ("khớp với căn cước", "so với thẻ căn cước")
_REFERENCE = re.compile(r"\b(?:khop voi|so voi|trung voi|khac voi|giong voi|giong nhu|theo|trong khi)\s+(?:the\s+|so\s+)?$")
# a police paper named after the matter as one the citizen brings anyway ("ngoài thẻ căn cước ra")
_BESIDES = re.compile(r"\bngoai\s+(?:the\s+|giay\s+|so\s+)?$")
# the matter just after the police paper's name and "của" only says whose paper it is
_OWNER = re.compile(r"^\s*(?:\w+\s+)?cua\s+$")
# the procedure named as the purpose, just after "để" ("…, cần để làm hộ chiếu cho con")
_FOR = re.compile(r"\bde\s+(?:\w+\s+)?$")
# the matter done for a procedure ("tuyên bố mất tích để xóa hộ khẩu"): the procedure is the purpose, in
# the same sentence ("xin visa để dẫn đoàn. … xin giấy xác nhận cư trú" names no purpose)
_PURPOSE = re.compile(r"^\s*(?:\w+\s+){0,2}?de\b")


def other_agency(config: AnswerConfig, text: str, named: List[Tuple[str, int, int]],
                 believed: Callable[[str], bool] = lambda name: True
                 ) -> Tuple[Optional[Referral], bool, Optional[Tuple[int, int]]]:
    """Another agency's matter named in the text, and whether its phrase
    reads better than a procedure name in the text because it is longer and
    overlaps it ("hộ chiếu ngoại giao", "thẻ tạm trú"). Next to a procedure
    name that it does not overlap, the matter does not count, unless the
    name is only context for it (``names_only_context``), the classifier
    does not ``believe`` that name at all (a word in passing), or the matter
    is in the question and the name only in the story before it. Third: where
    the matter is named in the question beside a procedure name the classifier
    believes, which leaves the matter out (the question may be either)."""
    question = question_span(text)
    found = config.referrals.match(text, question, matter_context)
    if found is None:
        return None, False, None
    referral, start, end = found
    message = fold(canonical(text))
    asked = question[0] <= start and end <= question[1]
    places = [(s, e) for s, e, _ in find_phrases(text, referral.phrases)]
    paired = bool(referral.paired_with) and (start, end) not in places  # found through its `paired` words
    if not paired and places and all(matter_done(message, ps, pe) for ps, pe in outermost(places)):
        return None, False, None  # the matter only told as done ("đã nộp lệ phí trước bạ", "làm khai sinh xong")
    if (referral.alone and all(matter_done(message, ps, pe) for ps, pe, _ in
                               find_phrases(text, [p for p in referral.phrases if p not in referral.alone]))
            and any((name in referral.alone_beside or name.split(".")[0] in referral.alone_beside)
                    and not told_as_done(message, s, e) for name, s, e in named)):
        return None, False, None  # "hộ kinh doanh bán gas … giấy ANTT": who applies for the procedure named
    overrides = False
    names = joined(message, named)
    for name, s, e in names:
        if any(s2 <= s and e <= e2 and e2 - s2 > e - s for _, s2, e2 in names):
            continue  # a topic's name inside a procedure's ("cư trú" in "giấy xác nhận cư trú"): that one's
        if paired and find_phrase(text[s:e], referral.paired_with):
            overrides = True  # "hộ chiếu" again, of the foreigner the message is about
        elif any(ps < e and s < pe and not (s <= ps and pe <= e) for ps, pe in places):
            # the matter's phrase, wherever it is named again, holds or extends the name
            # ("làm lại hộ chiếu công vụ": the qualifier follows the paper)
            overrides = True
        elif e <= start and _OWNER.match(message[e:start]):
            return None, False, None  # "giấy chứng nhận ANTT của người nước ngoài": only whose paper
        elif e <= start or s >= end or (s <= start and end <= e):
            if names_only_context(referral, message, places, names, (name, s, e), (start, end)):
                overrides = True
            elif asked_after_condition(message, places, s):
                return None, False, None  # "đang trong diện nghĩa vụ quân sự thì làm hộ chiếu được không"
            elif not asked and refers_back(message, question, places, names):
                overrides = True  # "em cần giấy xác nhận tình trạng hôn nhân … xin giấy này ở đâu"
            elif not (asked or paired) and only_procedure_asked(text, message, referral, places, (s, e)):
                return None, False, None  # "…sổ hồng đứng tên bố vợ. Xin hỏi nhập khẩu vào nhà vợ…"
            elif not (asked or paired) and only_procedure_wanted(text, places, (s, e)):
                return None, False, None  # "…đi bộ đội… Giờ em muốn chuyển hộ khẩu… Cho em hỏi cần mang giấy gì"
            elif asked and not (question[0] <= s and e <= question[1]):
                # the story names the procedure, the question asks about the matter; unless it asks
                # whether the procedure needs the matter's paper ("cần mang giấy chứng tử không")
                # (before the matter's first place in the question: "công chứng hợp đồng … có bắt buộc…"
                # asks about the matter)
                first = min([ps for ps, _ in places if question[0] <= ps] + [start])
                if paper_to_bring(text, question[0], first) or paper_asked_for(message, question[0], first):
                    # "…, cần giấy ủy quyền hay giấy giám hộ gì", "có cần giấy khai sinh không", "giấy đăng ký
                    # kết hôn bản photo có được không"
                    return None, False, None
                overrides = overrides or needs_asked(text, question[0], first) is None
            elif (asked and len(outermost(places)) > max(1, sum(n[0] == name for n in names))
                  and needs_asked(text, e, max(outermost(places))[0]) is None):
                # the matter named again and again, the procedure once: the matter is asked; unless
                # a later mention asks whether the procedure needs its paper ("tách khẩu sau ly hôn
                # có cần giấy ly hôn không")
                overrides = True
            elif e <= start and any(e <= ps and need_asked_before(message, ps, e) for ps, _ in places):
                # the matter's paper asked as one the procedure named before needs ("nhập khẩu về nhà
                # chồng…, có cần mang giấy đăng ký kết hôn không")
                return None, False, None
            elif paired and not (question[0] <= s and e <= question[1]) and (question[0] < end <= question[1] or any(
                    question[0] <= ps and pe <= question[1] for ps, pe, _ in find_phrases(text, referral.paired_with))):
                # the question asks about the passport abroad ("có làm ở bên Úc được không"), the story names a
                # police word ("hộ khẩu")
                continue
            elif believed(name):
                # unless it asks whether the procedure needs the matter's paper ("làm căn cước cho con có
                # cần giấy khai sinh không"): the paper is one of the procedure's documents
                # (in the matter's clause: not "có phải mang sổ hộ khẩu không, công chứng di chúc ở đâu")
                at = paper_asked_at(text, e, start) if e <= start else None
                needs = at is not None and not _CLAUSE_END.search(message, at, start)
                return None, False, ((start, end) if asked and not needs else None)
        else:
            overrides = True
    return referral, overrides, None


# the question points back at a paper named before: "xin giấy này ở đâu", "cái giấy đó làm ở mô",
# "sửa thông tin đó ở đâu"
# ("cái / việc / thủ tục / đăng ký / khoản này" may point at an act too: "việc này", "khoản này")
_PAPER_POINTERS, _ACT_POINTERS = ("giay", "loai giay", "mau", "thong tin"), ("cai", "viec", "thu tuc", "dang ky", "khoan")
_BACK_REFERENCE = re.compile(rf"\b({'|'.join(_PAPER_POINTERS + _ACT_POINTERS)})\s+(?:nay|do|ni|no|ay)\b")


def refers_back(message: str, question: Tuple[int, int], places: List[Tuple[int, int]],
                names: List[Tuple[str, int, int]]) -> bool:
    """Whether the question (``message`` folded) points back at a paper
    named before it ("giấy này"), or at an act ("việc / khoản này"), and
    the last one named before it is the matter's (at ``places``): no
    procedure's name, nor a police paper ("sổ hộ khẩu"), between them."""
    pointer = _BACK_REFERENCE.search(message, question[0], question[1])
    if pointer is None:
        return False
    # "giấy này" points back at a paper; "cái / việc / thủ tục này" at whatever was named last ("đăng ký NVQS …
    # Cái này đăng ký ở đâu", "đổi tên công ty … thủ tục thay đổi đăng ký này")
    before = [pe for ps, pe in places if pe <= pointer.start() and (
        pointer.group(1) in _ACT_POINTERS or _PAPER_WORD.match(message, ps)
        or _PAPER_WORD_BEFORE.search(message[:ps]) or message[ps:].startswith("xac nhan"))]
    return bool(before) and not any(
        max(before) <= s < pointer.start() and ("." in name or _PAPER_WORD.match(message, s)
                                                or _PAPER_WORD_BEFORE.search(message[:s]))
        for name, s, _ in names)


def joined(message: str, named: List[Tuple[str, int, int]]) -> List[Tuple[str, int, int]]:
    """Names of one procedure or topic written side by side joined into one:
    "giấy xác nhận cư trú (mẫu) CT07" is one name, not two."""
    result: List[Tuple[str, int, int]] = []
    for name in sorted(named, key=lambda n: (n[1], -n[2])):
        same = [i for i, n in enumerate(result) if n[0] == name[0]]
        last = result[same[-1]] if same else None
        if last and last[2] <= name[1] and _SIDE_BY_SIDE.match(message, last[2], name[1]):
            result[same[-1]] = (last[0], last[1], name[2])
        else:
            result.append(name)
    return result


def only_procedure_asked(text: str, message: str, referral: Referral, places: List[Tuple[int, int]],
                         name: Tuple[int, int]) -> bool:
    """Whether a sentence that asks names the procedure (``name``, not as
    done, nor as the paper of the foreigner the matter is about) while the
    matter (``places``) is named only in sentences that tell the story
    (``message``: the text folded)."""
    s, e = name
    asking = asking_spans(text)
    return (any(a <= s and e <= b for a, b in asking) and not any(a <= pe and ps <= b for a, b in asking for ps, pe in places)
            and not told_as_done(message, s, e) and not find_phrase(text[s:e], referral.paired_with))


def only_procedure_wanted(text: str, places: List[Tuple[int, int]], name: Tuple[int, int]) -> bool:
    """Whether the questions name neither the procedure (``name``) nor the
    matter (``places``), and the sentence saying what the citizen wants
    names the procedure and not the matter."""
    asking = asking_spans(text)
    if any(a <= e and s <= b for a, b in asking for s, e in places + [name]):
        return False
    wanting = wanting_span(text)
    if wanting is None or not (wanting[0] <= name[0] and name[1] <= wanting[1]) or any(
            wanting[0] <= e and s <= wanting[1] for s, e in places):
        return False
    # the procedure is what is wanted, a few words after the word: "muốn chuyển hộ khẩu", not
    # "muốn chuyển qua tên em, căn cước em cũng đổi rồi"
    sentence = canonical(text)[wanting[0]:name[0]]
    return any(_OBJECT.match(sentence[w[1]:]) for w in want_words(sentence))


def topic_asked_as_such(text: str, topic_names: List[Tuple[str, int, int]]) -> bool:
    """Whether the message asks about a topic as a whole ("thủ tục thẻ căn
    cước bây giờ làm thế nào", "chuyện hộ chiếu"): its name just after
    "thủ tục", "vấn đề", "chuyện" or "việc" (the caller has found none of
    its cases named)."""
    message = fold(canonical(text))
    return any(_AS_SUCH.search(message[max(0, s - 30):s]) for _, s, _ in topic_names)


def need_asked_before(message: str, start: int, since: Optional[int] = None) -> "Optional[re.Match[str]]":
    """The word asking whether the words at ``start`` of the folded text are
    needed, just before them or before the list they end ("có cần lý lịch tư
    pháp không", "cần làm bản khai lý lịch với phiếu LLTP không"), looked for
    from ``since`` (else the 60 characters before)."""
    asks = list(_NEEDS.finditer(message, max(0, start - 60) if since is None else since, start))
    if asks and (_JUST_BEFORE.match(message[asks[-1].end():start]) or _LISTED.match(message[asks[-1].end():start])):
        clause = _CLAUSE_END.search(message, start)
        if _SPEAKER_NEEDS.search(message, 0, asks[-1].start()) and not _YES_NO.search(
                message, start, clause.start() if clause else len(message)):
            return None  # "Tôi cần giấy xác nhận cư trú để nộp cho công ty": what the citizen asks for
        return asks[-1]
    return None


# the citizen saying what they need, not asking whether it is needed ("tôi cần …", "em đang cần …")
_SPEAKER_NEEDS = re.compile(r"(?:^|[.,;!?\n]\s*|\b(?:thi|nen|gio|nay)\s+)(?:\w+\s+){0,2}"
                            r"(?:toi|tui|em|minh|chau|con|chung toi|bon em|tao|t|e)\s+(?:dang\s+|rat\s+|thi\s+)?$")


# "rồi", "xong" right after a name: its deed done ("báo mất hộ chiếu rồi"), not a loss or an expiry told
_DONE_AT = re.compile(r"\s*(?:roi|xong)\b")
_EVENT = re.compile(r"\b(?:het|hong|hu|rach|uot|that lac)\b")


def blanked(text: str, spans: List[Tuple[int, int]]) -> str:
    """The canonical text with the words at ``spans`` blanked out."""
    text = canonical(text)
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def told_as_done(message: str, start: int, end: int) -> bool:
    """Whether the words at ``start``-``end`` of the folded text are told as
    done: "… rồi", "… xong" just after, or "đã (được) …", "mới …" just before;
    or as impossible (``cannot``), or only as a place ("về nơi tôi đang tạm
    trú"), which are no question about it either."""
    return bool(_DONE.match(message[end:]) or _ALREADY.search(message[:start]) or _JUST.search(message[:start])
                or _PLACE_OF.search(message[:start]) or cannot(message, start, end))


def cannot(message: str, start: int, end: int) -> bool:
    """Whether the words at ``start``-``end`` of the folded text are told as
    impossible: "không/chưa …" just before, "được" at most three words after."""
    return bool(_CANNOT.search(message[:start]) and _CANNOT_AFTER.match(message[end:]))


# told as impossible: "không (thể)/chưa …" just before, "được" at most three words after ("bên đó không đăng
# ký tạm trú được", "chưa đăng ký tạm trú bên đó được")
_CANNOT = re.compile(r"\b(?:khong|chua|ko|k)\s+(?:the\s+)?$")
_CANNOT_AFTER = re.compile(r"\s*(?:\w+\s+){0,3}?duoc\b")


# a paper brought for a matter, at most three words after the word bringing it ("mang theo căn cước với giấy
# khai sinh", "nộp kèm bản sao sổ đỏ")
_BROUGHT = re.compile(r"\b(?:mang|mang theo|nop|nop kem|kem|kem theo|xuat trinh|co can|can co|phai co)"
                      r"\s+(?:\w+\s+){0,3}$")
# a paper's word, at the start of a matter's phrase or just before it
_PAPER_WORDS = r"giay|ban sao|ban chinh|trich luc|so|hop dong|van ban|quyet dinh|lenh goi|thong bao"
_PAPER_WORD = re.compile(rf"(?:{_PAPER_WORDS})\b")
_PAPER_WORD_BEFORE = re.compile(rf"\b(?:{_PAPER_WORDS})\s+$")
# a matter named as what the deed avoids: "nộp lại biển số để khỏi phát sinh phạt nguội", "kẻo bị phạt"
_AVOIDED = re.compile(r"\b(?:de khoi|de tranh|tranh bi|keo|de khong bi)\s+(?:\w+\s+){0,2}$")
# a divorce told as past: "ly hôn rồi mà vẫn chung hộ" (a loss may follow "rồi" too, so only this event)
_DIVORCED = re.compile(r"(?:ly|li) (?:hon|di)(?: \w+){0,2} roi\b")


def matter_context(message: str, start: int, end: int) -> bool:
    """Whether another agency's matter at ``start``-``end`` of the folded text
    is only context: told as done, held or matched (``matter_done``), or a
    paper brought ("phải mang theo căn cước với giấy khai sinh")."""
    return matter_done(message, start, end) or bool(
        (_PAPER_WORD.match(message, start) or _PAPER_WORD_BEFORE.search(message[:start]))
        and _BROUGHT.search(message[:start]))


def matter_done(message: str, start: int, end: int) -> bool:
    """Whether another agency's matter at ``start``-``end`` of the folded text
    is told as done: "đã …" just before it, "… xong" just after, or held:
    "có (giấy) … rồi" ("tôi có giấy đăng ký hộ kinh doanh rồi"), or named
    only as a paper one has besides or must match ("ngoài trích lục khai tử
    thì cần gì nữa", "sửa năm sinh cho khớp với khai sinh"), or as what the
    deed avoids ("để khỏi phát sinh phạt nguội"); a divorce told as past
    ("ly hôn rồi") too."""
    return bool(_ALREADY.search(message[:start]) or _FINISHED.match(message, end)
                or (_HAVE.search(message[:start]) and _HELD.match(message, end))
                or _BESIDES.search(message[:start]) or _REFERENCE.search(message[:start])
                or _AVOIDED.search(message[:start]) or _DIVORCED.match(message, start))


# "…, còn <matter> thì …": the clause turns from what was said before to the matter
_STILL = re.compile(r"[,;.]\s*con\s+(?:\w+\s+){0,2}$")
_STILL_THEN = re.compile(r"\s*(?:\([^()]*\)\s*)?(?:\w+\s+){0,3}?thi\b")


def names_only_context(referral: Referral, message: str, places: List[Tuple[int, int]],
                       named: List[Tuple[str, int, int]], name: Tuple[str, int, int],
                       matter: Tuple[int, int]) -> bool:
    """Whether a procedure name beside another agency's matter (``message``
    folded, ``places`` of the matter's phrases) only gives its context: the
    matter acts on that paper, the paper is only compared, told as done, or
    what the matter is for."""
    procedure, s, e = name
    start, end = matter
    outer = min(s2 for _, s2, e2 in named if s2 <= s and e <= e2)  # "cư trú" in "giấy xác nhận cư trú"
    if any(pe <= outer and _JUST_BEFORE.match(message[pe:outer]) for ps, pe in places) and (
            procedure in referral.acts_on or procedure.split(".")[0] in referral.acts_on):
        return True  # "chứng thực giấy xác nhận cư trú": the matter acts on the police paper
    if e <= start and any(e <= ps and _STILL.search(message[e:ps]) and _STILL_THEN.match(message, pe)
                          for ps, pe in places):
        return True  # "căn cước thì biết làm lại rồi, còn sổ đỏ thì xin ở đâu": the question turns to the matter
    if s >= end and _CONTRAST.search(message[:s]):
        return True  # "hộ chiếu công vụ … như hộ chiếu thường": the police paper only compared
    if s >= end and _BESIDES.search(message[:s]):
        return True  # "bảo hiểm xã hội tự nguyện … ngoài thẻ căn cước có cần mang gì": a paper brought for it
    ask = need_asked_before(message, s, end) if s >= end else None
    if ask is not None and _PAPER_NEXT.match(message, ask.end()) and asked_yes_or_no(message, ask, e):
        # "xin cấp lại giấy nvqs ở đâu, có cần mang cccd không", "… có phải mang cả thẻ thương binh với căn
        # cước không": a paper the matter needs (not "bên bảo hiểm bảo cần giấy xác nhận cư trú, xin ở đâu":
        # where to get the police's paper)
        return True
    # the matter asked as a paper needed ("có phải mang giấy khai sinh", "có cần …"), not said to be ("cần thêm
    # 2 bản sao có chứng thực")
    # (or in its clause, asked yes or no: "giờ đi đổi thẻ thì cần mang trích lục thay đổi hộ tịch không")
    clause = max((m.end() for m in _CLAUSE_END.finditer(message, 0, start)), default=0)
    needed = need_asked_before(message, start) or _NEEDS.search(message, clause, start)
    asked_if_needed = needed is not None and asked_yes_or_no(message, needed, end)
    if told_as_done(message, s, e) or (e <= start and _TURN.search(message[e:start]) and not asked_if_needed):
        # "trình báo công an rồi, giờ xin cấp lại sổ đỏ", "…, giờ có thẻ căn cước rồi…", "đã được khai báo
        # lưu trú": the procedure is done (not "…, vậy có phải mang giấy khai sinh không": its paper)
        return True
    # "tuyên bố mất tích để xóa hộ khẩu", "trích lục khai sinh xin ở đâu, cần để làm hộ chiếu":
    # the procedure is what the matter is for
    return (any(pe <= s and _PURPOSE.search(message[pe:s]) and not _SENTENCE_END.search(message[pe:s])
                for ps, pe in places)
            or (s >= end and _FOR.search(message[:s]) is not None))


def aspects_of(config: AnswerConfig, kb: KnowledgeBase, text: str, aspect_intent: Optional[str],
               slots: Dict[str, Any]) -> Tuple[Optional[str], List[str]]:
    """The part of the procedure asked about most clearly (the follow-up
    intent, or the longest aspect phrase outside the procedure's name), and
    every part asked about in the order asked: that one and the aspects whose
    phrases are in the message's questions ("giấy tờ gì, lệ phí bao nhiêu,
    làm ở đâu"). A phrase inside a longer one ("hồ sơ" in "nộp hồ sơ ở đâu")
    does not count."""
    _, rest = named_procedure(kb, text)
    owner = {p: n for n, a in config.aspects.items() for p in a["phrases"]}
    found = sorted(find_phrases(rest, list(owner)), key=lambda f: (f[0] - f[1], f[0]))
    chosen: List[Tuple[int, int, str]] = []
    for start, end, phrase in found:
        if all(end <= s or start >= e for s, e, _ in chosen):
            chosen.append((start, end, phrase))
    first = aspect_intent or (owner[chosen[0][2]] if chosen else None)
    if first is None:
        if slots.get("aspect") and find_phrase(text, config.ellipsis_phrases):
            return slots["aspect"], [slots["aspect"]]
        return None, []
    spans = asking_spans(rest)
    asked = [owner[p] for s, e, p in sorted(chosen, key=lambda f: f[0])
             if any(a <= s and e <= b for a, b in spans)]
    return first, list(dict.fromkeys(asked if first in asked else [first] + asked))


# ---------------------------------------------------------------- rendering


@dataclass
class Reply:
    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)
    custom: Optional[Dict[str, Any]] = None


def form_url(code: str) -> str:
    return f"{forms_base_url()}/{code}.docx"


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


# a full stop, "?" or "!" and then a word: the end of a sentence (also for names_only_context above)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\w)")


def first_sentence(text: str) -> str:
    """The text up to the end of its first sentence: a full stop before a
    capital letter or a figure ("TP. Hồ Chí Minh" aside, the sentences of
    data/procedures end so)."""
    for end in _SENTENCE_END.finditer(text):
        following = text[end.end()]
        if (following.isupper() or following.isdigit()) and not text[:end.start()].endswith(("TP.", "Tp.")):
            return text[:end.start()]
    return text


CASES_SHOWN_CHARS = 120  # the first answer names the cases of the documents up to this length
_LONG_BRACKET = re.compile(r"\s*\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
_SHORT_BRACKET_WORDS = 4


def short_item(item: str) -> str:
    """A document as the first answer lists it: its first sentence without
    explanations, i.e. without brackets of more than a few words ("(khoản 2
    Điều 5 Nghị định ...)", but "(mẫu CT01)" stays), and up to a colon or the
    comma after a bracket ("Giấy khai đăng ký xe (mẫu ĐKX10), kê khai ...")."""
    text = _LONG_BRACKET.sub(lambda m: m.group(0) if len(m.group(1).split()) <= _SHORT_BRACKET_WORDS else "",
                             first_sentence(item))
    text = re.split(r"[:;]\s|(?<=\)),\s", text, maxsplit=1)[0]
    return text.rstrip(" .;,")


def short_lead(text: str) -> str:
    """The first sentence of a text, unless it is one case of several ("Công
    an cấp xã: cơ sở lưu trú dưới 10 phòng. Phòng PC06: ...", "Thu hồi: ...")
    whose others the first answer cannot leave out."""
    lead = first_sentence(text)
    return text if re.match(r"[^:]{1,40}:\s", lead) else lead


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def case_heading(config: AnswerConfig, when: str) -> str:
    """A document's case as a heading: "Nếu người chưa thành niên"; a case
    that already reads as one ("Khi ...", "Bước 1, ...") as it is."""
    case = when.rstrip(" .")
    if any(fold(case.lower()).startswith(fold(w) + " ") for w in config.documents_case_words):
        return case
    return config.documents_if.format(case=_lower_first(case))


def document_groups(p: Procedure) -> List[Tuple[str, List[str]]]:
    """The documents by the case they apply to (``when``): those for every
    case first (case ""), then each case in the order of the file."""
    groups: Dict[str, List[str]] = {}
    for d in p.documents:
        groups.setdefault(d["when"], []).append(d["item"])
    return sorted(groups.items(), key=lambda g: g[0] != "")


def documents_text(config: AnswerConfig, p: Procedure) -> str:
    """The documents, grouped: "Mọi trường hợp:" then "Nếu <case>:", each with
    its bullets (no heading when no document depends on the case)."""
    groups = document_groups(p)
    if [w for w, _ in groups] == [""]:
        return _bullets(groups[0][1])
    return "\n\n".join(f"{case_heading(config, w) if w else config.documents_for_all}:\n{_bullets(items)}"
                       for w, items in groups)


def forms_text(kb: KnowledgeBase, p: Procedure) -> str:
    if not p.forms:
        return "Thủ tục này không có biểu mẫu riêng phải tải về."
    return _bullets(f"{kb.forms[c].label} – {kb.forms[c].title}: {form_url(c)}" for c in p.forms)


def channels_text(config: AnswerConfig, p: Procedure) -> str:
    """ "Cách nộp: trực tiếp, Cổng dịch vụ công hoặc ứng dụng VNeID."
    ("" for a procedure that names no channel)."""
    names = [CHANNELS[c] for c in p.where.get("channels") or [] if c in CHANNELS]
    if not names:
        return ""
    joined = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {config.overview['or']} {names[-1]}"
    return config.overview["how"].format(channels=joined)


def where_text(config: AnswerConfig, p: Procedure) -> str:
    return "\n".join(part for part in [p.where["office"], channels_text(config, p), p.where.get("note")] if part)


def fee_cases(p: Procedure, text: str = "") -> List[FeeCase]:
    """The fee cases to answer: the one the message names, else all of them."""
    named = p.fee_case_named(text) if text else None
    return [named] if named else p.fee_cases


def fee_amount(p: Procedure, text: str = "") -> str:
    """The fee; when it depends on the case (vehicle type, age, place), only the
    case the message names, else every case."""
    cases = fee_cases(p, text)
    if len(cases) == 1 and len(p.fee_cases) > 1:
        return f"{cases[0].case}: {cases[0].amount}"
    if cases:
        return p.fee.get("amount", "") + "\n" + _bullets(f"{c.case}: {c.amount}" for c in cases)
    return p.fee.get("amount", "")


def fee_text(p: Procedure, text: str = "") -> str:
    """The fee (``fee_amount``), its exemptions and its note."""
    text = fee_amount(p, text)
    if p.fee.get("exemptions"):
        text += f"\nMiễn, giảm: {p.fee['exemptions']}"
    if p.fee.get("note"):
        text += f"\n{p.fee['note']}"
    return text


def legal_text(p: Procedure) -> str:
    def line(b):
        date = b["date"]
        when = f" ngày {date.day:02d}/{date.month:02d}/{date.year}" if hasattr(date, "day") else ""
        return f"{b['title']}{when}" + (f". {b['note']}" if b["note"] else "")

    return _bullets(line(b) for b in p.legal_basis)


def check_again_text(config: AnswerConfig, p: Procedure, short: bool = False) -> str:
    """What a citizen reads instead of an internal "not confirmed" note: where
    to check again (the procedure's portal, else the national one), with a
    link; ``short``, the line of the first answer."""
    portal = p.portal or config.default_portal
    text = config.overview["check_again"] if short else config.check_again
    return " ".join(text.format(portal=portal["name"], url=portal["url"]).split())


def unverified(p: Procedure, aspect: str, text: str = "") -> bool:
    """Whether the answer about ``aspect`` (for the case the text names) has a
    point that is not confirmed."""
    if aspect == "conditions":
        return "purpose" in p.unverified or "documents" in p.unverified
    return aspect in p.unverified or (aspect == "fee" and any(c.unverified for c in fee_cases(p, text)))


def aspect_body(kb: KnowledgeBase, config: AnswerConfig, p: Procedure, aspect: str, text: str = "") -> str:
    """The answer about one part of a procedure, without heading or check-again
    line; ``text``, the citizen's message (expanded), picks the case of a fee."""
    return {
        "documents": lambda: documents_text(config, p),
        "conditions": lambda: f"{p.purpose}\n\n{documents_text(config, p)}",
        "forms": lambda: forms_text(kb, p),
        "where": lambda: where_text(config, p),
        "processing_time": lambda: p.processing_time,
        "fee": lambda: fee_text(p, text),
        "legal_basis": lambda: legal_text(p),
    }[aspect]()


def aspect_text(kb: KnowledgeBase, config: AnswerConfig, p: Procedure, aspect: str, text: str = "") -> str:
    """The answer about one part of a procedure; ``text``, the citizen's message,
    picks the case of a fee that depends on it."""
    text = config.expand(text)
    body = aspect_body(kb, config, p, aspect, text)
    if unverified(p, aspect, text):
        body += f"\n{check_again_text(config, p)}"
    return f"{config.aspects[aspect]['title']} – {p.name}:\n{body}"


def short_title(kb: KnowledgeBase, procedure: str) -> str:
    """A button-sized name: the procedure's option title in a topic, or its name
    without the part in brackets."""
    for topic in kb.topics.values():
        for option in topic.options:
            if option.procedure == procedure:
                return option.title
    return kb.procedures[procedure].name.split(" (")[0]


def aspect_buttons(config: AnswerConfig, aspects: Iterable[str]) -> List[Dict[str, str]]:
    return [{"title": config.aspects[a]["button"], "payload": f"/{config.aspects[a]['intent']}"} for a in aspects
            if config.aspects[a].get("intent")]


def follow_up_buttons(config: AnswerConfig, skip: Iterable[str] = (), procedure: Optional[str] = None,
                      also: Optional[Dict[str, str]] = None, aspects: Optional[List[str]] = None) -> List[Dict[str, str]]:
    """The other procedure the citizen also asked about, the procedure's own
    buttons ("Gửi tin báo ngay"), then the follow-ups but those in ``skip``
    (already answered); at most 5."""
    skip = [skip] if isinstance(skip, str) else list(skip)
    if "conditions" in skip:
        skip.append("documents")  # the conditions answer lists the documents by case
    buttons = [also] if also else []
    buttons += config.procedure_buttons.get(procedure or "", [])
    buttons += aspect_buttons(config, [a for a in (aspects or config.follow_up_buttons) if a not in skip])
    return buttons[:5]


def form_attachments(kb: KnowledgeBase, p: Procedure) -> List[Reply]:
    """One message per form carrying only the file (no text: the line after the
    files says what they are)."""
    return [
        Reply(text="", custom={"file": {"url": form_url(c), "name": f"{c}.docx", "title": kb.forms[c].title}})
        for c in p.forms
    ]


def form_names(kb: KnowledgeBase, p: Procedure) -> str:
    return "; ".join(f"{kb.forms[c].label} – {kb.forms[c].title}" for c in p.forms)


def render_forms(kb: KnowledgeBase, config: AnswerConfig, p: Procedure, also: Optional[str] = None) -> List[Reply]:
    """The forms, each sent once as its file, then one line naming them (with
    the follow-up buttons); a procedure without forms says so."""
    buttons = follow_up_buttons(config, skip="forms", procedure=p.id, also=also_button(kb, also))
    if not p.forms:
        return [Reply(aspect_text(kb, config, p, "forms"), buttons=buttons)]
    line = " ".join(config.forms_sent.format(procedure=p.name, forms=form_names(kb, p)).split())
    return form_attachments(kb, p) + [Reply(line, buttons=buttons)]


def also_button(kb: KnowledgeBase, also: Optional[str]) -> Optional[Dict[str, str]]:
    return {"title": short_title(kb, also), "payload": f"/{also}"} if also else None


def overview_text(config: AnswerConfig, p: Procedure, text: str = "") -> Tuple[str, List[str]]:
    """The first answer about a procedure, for a phone screen: its name, then
    one short line each for what to bring (the documents every case needs),
    where and how to file, how long and how much; and the aspects whose
    details it leaves out (their buttons follow it). ``text``: the citizen's
    message, expanded (it picks the case of a fee)."""
    label = {a: config.aspects[a].get("button", "") for a in config.aspects}
    lines, more = [p.name], ["documents"]
    common = [d["item"] for d in p.documents if not d["when"]]
    cases = list(dict.fromkeys(d["when"].rstrip(" .") for d in p.documents if d["when"]))
    if common:
        short = [short_item(item) for item in common]
        lines += [f"{label['documents']}: {short[0]}."] if len(short) == 1 else [f"{label['documents']}:", _bullets(short)]
        if cases:
            lines.append(config.overview["more_documents"].format(button=label["documents"]))
    elif cases:  # the cases named when they fit on a line or two
        named = "; ".join(_lower_first(c) for c in cases)
        lines.append(f"{label['documents']}: " + config.overview["documents_by_case"].format(
            cases=f" ({named})" if len(named) <= CASES_SHOWN_CHARS else "", button=label["documents"]))
    if p.forms:
        more.append("forms")
    office = short_lead(p.where["office"])
    lines += [f"{label['where']}: {office}", channels_text(config, p)]
    if p.where.get("note") or office != p.where["office"]:
        more.append("where")
    amount = fee_amount(p, text)
    if len(fee_cases(p, text)) > 1:  # every case: too long for the first answer
        amount = config.overview["fee_by_case"].format(amount=p.fee.get("amount", "").rstrip(" :."),
                                                       button=label["fee"])
    lines.append(f"{label['fee']}: {amount}")
    if amount != fee_text(p, text):
        more.append("fee")
    # a case ("Nộp trực tiếp: ...") says which it is; the start of the count, in the details
    time = first_sentence(p.processing_time).replace(f" {config.overview['time_counted_from']}", "")
    lines.append(f"{label['processing_time']}: {time}")
    if first_sentence(p.processing_time) != p.processing_time:
        more.append("processing_time")
    if p.legal_basis:
        more.append("legal_basis")
    if any(unverified(p, a, text) for a in ["documents", "where", "processing_time", "fee"]):
        lines.append(check_again_text(config, p, short=True))
    return "\n".join(line for line in lines if line), [a for a in config.follow_up_buttons if a in more]


def render_overview(kb: KnowledgeBase, config: AnswerConfig, p: Procedure, also: Optional[str] = None,
                    text: str = "") -> List[Reply]:
    """The first answer: one short message, the details one button away, and
    the feedback buttons ("Hữu ích", "Chưa đúng")."""
    if p.id in config.brief_overviews:  # not about papers: what to do now
        return [Reply(" ".join(config.brief_overviews[p.id].split()),
                      buttons=follow_up_buttons(config, procedure=p.id, also=also_button(kb, also),
                                                aspects=config.brief_buttons))]
    body, details = overview_text(config, p, config.expand(text))
    replies = [Reply(piece) for piece in split_text(body)]
    order = config.first_answer_buttons or config.follow_up_buttons
    details = sorted(details, key=lambda a: order.index(a) if a in order else len(order))
    follow_ups = follow_up_buttons(config, procedure=p.id, also=also_button(kb, also), aspects=details)
    # room for the feedback buttons: the buttons the text points at ('bấm "Lệ phí"') are kept first
    follow_ups.sort(key=lambda b: f'"{b["title"]}"' not in body)
    replies[-1].buttons = follow_ups[:5 - len(config.feedback_buttons)] + config.feedback_buttons
    return replies


def render_aspect(kb: KnowledgeBase, config: AnswerConfig, p: Procedure, aspect: str,
                  also: Optional[str] = None, text: str = "") -> List[Reply]:
    if aspect == "forms":
        return render_forms(kb, config, p, also)
    replies = [Reply(piece) for piece in split_text(aspect_text(kb, config, p, aspect, text))]
    replies[-1].buttons = follow_up_buttons(config, skip=aspect, procedure=p.id, also=also_button(kb, also))
    return replies


def render_aspects(kb: KnowledgeBase, config: AnswerConfig, p: Procedure, aspects: List[str],
                   also: Optional[str] = None, text: str = "") -> List[Reply]:
    """The answer to a message asking several parts at once ("giấy tờ gì, lệ
    phí bao nhiêu, làm ở đâu"): each part under its heading, in the order
    asked, in as few messages as fit (the forms as files before them), then
    the other parts as buttons."""
    if len(aspects) == 1:
        return render_aspect(kb, config, p, aspects[0], also, text)
    text = config.expand(text)
    sections = [p.name]
    for aspect in aspects:
        body = (form_names(kb, p) if aspect == "forms" and p.forms else aspect_body(kb, config, p, aspect, text))
        sections.append(f"{config.aspects[aspect]['title']}:\n{body}")
    if any(unverified(p, a, text) for a in aspects):
        sections.append(check_again_text(config, p))
    replies = form_attachments(kb, p) if "forms" in aspects else []
    replies += [Reply(piece) for piece in split_text("\n\n".join(sections))]
    replies[-1].buttons = follow_up_buttons(config, skip=aspects, procedure=p.id, also=also_button(kb, also))
    return replies


def render_topic_question(kb: KnowledgeBase, topic: Topic) -> Reply:
    return Reply(
        text=topic.question,
        buttons=[{"title": o.title, "payload": f"/{o.procedure}"} for o in topic.options][:5],
    )


def render_candidates(kb: KnowledgeBase, config: AnswerConfig, candidates: List[str],
                      matter: Optional[str] = None, question: Optional[str] = None) -> Reply:
    """A question back: which of the likely procedures the citizen means; with
    ``matter``, or that other agency's matter (its button sends the matter's
    words, which are answered with the agency), asked with ``question`` if given."""
    buttons = [{"title": short_title(kb, p), "payload": f"/{p}"} for p in candidates][:4]
    if matter:
        return Reply(text=question or config.ask_procedure_or_matter.format(matter=matter),
                     buttons=buttons + [{"title": config.matter_button.format(matter=matter), "payload": matter}])
    return Reply(text=config.ask_candidates, buttons=buttons)
