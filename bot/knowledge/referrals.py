"""Matters that belong to other agencies (data/referrals.yml): which agency
handles what a citizen asked, so an out-of-scope question still gets a useful
answer."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from bot.core.content import read_texts
from bot.nlu.lexicon import spelling
from bot.nlu.text import Phrases, canonical, find_phrase, find_phrases, fold

_WORDS = re.compile(r"[^\W\d_]+")


def outermost(spans) -> set:
    """The spans that are not inside another one ("khai sinh" in "giấy khai sinh")."""
    spans = set(spans)
    return {p for p in spans if not any(o != p and o[0] <= p[0] and p[1] <= o[1] for o in spans)}


def _features(text: str) -> set:
    """Words and word pairs of a text, folded (no diacritics, lower case)."""
    words = _WORDS.findall(fold(canonical(text)))
    return set(words) | {f"{a} {b}" for a, b in zip(words, words[1:])}


# at most two words between one phrase and the next
_NEXT_TO = re.compile(r"^\s*(?:\w+\s+){0,2}$")
_DENIAL = r"khong|chua|chang|ko|k"
# a plan: "sắp", "định", "muốn"… ("định cư" is settled, no plan)
_FUTURE = r"sap|se|(?<!gia )dinh(?! cu)|muon|tinh|chuan bi|du dinh"
# A phrase right after one of these words is denied, not asked about.
_NEGATED = re.compile(rf"(?<!\w)(?:{_DENIAL})\s*$")
# ...and one right after these, or a plan, is asked about or to come, not done: "có cần về Việt Nam làm không",
# "hay phải về nước", "muốn về quê thăm" (still abroad now)
# ("phải bay về Việt Nam", "để về thăm quê": a purpose, still away)
_NOT_DONE = re.compile(rf"(?<!\w)(?:{_DENIAL}|can|phai|bat buoc|khoi|de|{_FUTURE})\s*(?:(?:bay|di|quay|tro)\s+)?$")
# a plan or the past, not a state: "sắp đi du học ở Nhật", "năm sau đi làm ở Hàn", "hồi trước đi làm ở Đài
# Loan" is at home now
_PLAN = (rf"(?<!\w)(?:{_FUTURE}|du tinh|nam sau|thang sau|sang nam"
         r"|tung|truoc day|hoi truoc|nam ngoai|nam truoc)")
_PLANNED = re.compile(_PLAN + r"\s+(?:\w+\s+){0,2}$")
_PLANNED_WITHIN = re.compile(_PLAN + r"(?!\w)")
_GAP = r"(?:\s+\w+){0,3}\s+"  # the gap of a paired phrase written with "…"
_CLAUSE_START = r"(?:^|(?<=[.,;:!?\n]))\s*"  # where a paired phrase written "<start> …" begins
_BACK = re.compile(r"\s+(?:moi |vua |da )?ve\b")  # "đi làm ở Nhật về": back home


def _state_now(message: str, start: int, end: int) -> bool:
    """Whether the paired phrase at ``start``-``end`` of the folded text
    tells how things are now: not after a plan or the past (``_PLANNED``),
    nor holding one in its gap ("đang tính đi làm ở Nhật"), nor followed by a
    return (``_BACK``)."""
    return (not _PLANNED.search(message, max(0, start - 40), start) and not _PLANNED_WITHIN.search(message, start, end)
            and not _BACK.match(message, end))


def _left_out(referral: Referral, text: str, message: str) -> bool:
    """Whether one of the matter's ``unless`` phrases (not after a denial or a plan: "không về Việt Nam
    được", "có cần về Việt Nam làm không" are no return home) or ``visiting`` phrases leaves it out."""
    return bool((referral.unless and any(not _NOT_DONE.search(message[:u[0]]) for u in find_phrases(text, referral.unless)))
                or (referral.visiting and find_phrase(text, referral.visiting) is not None))


def _gapped(phrase: str) -> bool:
    """Whether a paired phrase is written with a gap ("đang … ở <country>") or from a clause's start
    ("<start> ở <country> thì"): a pattern, not a phrase to spell out."""
    return "…" in phrase or phrase.startswith("<start>")


def _gapped_pattern(phrase: str, countries: List[str]) -> Tuple["re.Pattern[str]", str]:
    """The pattern of a gapped paired phrase over the folded message, and its first word as written:
    "…" stands for up to three words of one clause, "<start>" for the start of a sentence or clause,
    "<country>" for any of ``countries``."""
    words = phrase.removeprefix("<start>")
    country = "(?:" + "|".join(sorted((re.escape(fold(canonical(c))) for c in countries), key=len, reverse=True)) + ")"
    parts = [re.escape(fold(canonical(part.strip()))).replace(re.escape("<country>"), country) for part in words.split("…")]
    start = _CLAUSE_START if phrase.startswith("<start>") else r"(?<!\w)"
    return re.compile(start + _GAP.join(parts) + r"(?!\w)"), canonical(words).split()[0]


@dataclass
class Referral:
    id: str
    matter: str
    phrases: Sequence[str]
    answer: str
    # phrases that count only next to one of their words (``Pairing``): a foreign nationality next to "hộ chiếu"
    pairings: List["Pairing"] = field(default_factory=list)
    examples: List[str] = field(default_factory=list)  # questions about the matter, as citizens ask them
    outranks: List[str] = field(default_factory=list)  # matters whose papers this one acts on ("sao y giấy khai sinh")
    # a phrase found inside one of these is another word typed without diacritics ("thue" in "cho thue" is thuê)
    not_within: Sequence[str] = field(default_factory=list)
    # police topics or procedures whose papers this matter's phrase acts on when it comes just before their
    # name ("chứng thực giấy xác nhận cư trú", "đăng kiểm xe mới mua")
    acts_on: List[str] = field(default_factory=list)
    # phrases that do not name the matter where one of ``alone_beside`` (police procedures or topics) is named,
    # not as done ("hộ kinh doanh bán gas … giấy ANTT": the household business is who applies for that paper)
    alone: Sequence[str] = field(default_factory=list)
    # matters this one outranks only where its phrase comes just before theirs ("bản sao chứng thực giấy phép
    # kinh doanh" is a certified copy; "đăng ký hộ kinh doanh có cần bản sao chứng thực" is the registration)
    outranks_next_to: List[str] = field(default_factory=list)
    alone_beside: List[str] = field(default_factory=list)
    unless: Sequence[str] = field(default_factory=list)  # phrases that leave the matter out ("về nước")

    # phrases that leave the matter out whatever is said before them: the one writing, at home, going to
    # visit ("muốn sang thăm con": the plan says they are at home, where a denial or a plan before "về nước"
    # says they are still away)
    visiting: Sequence[str] = field(default_factory=list)
    # phrases of this matter that name another one's where that one is named too: "đại sứ quán" beside a
    # Vietnamese abroad ("du học sinh ở Nhật … gửi đại sứ quán") is Vietnam's mission, not a foreign one
    yields_to: List[str] = field(default_factory=list)
    yields: Sequence[str] = field(default_factory=list)
    doubt: Optional["Doubt"] = None

    @cached_property
    def paired_with(self) -> Phrases:
        """The words any of the matter's paired phrases must be next to."""
        return Phrases(w for p in self.pairings for w in p.with_)


@dataclass
class Pairing:
    """Phrases that name a matter only next to one of ``with_`` ("người Hàn" … "hộ chiếu"). With ``now``, as
    things are now: not after a plan or the past, nor before a return ("đang ở Nhật", not "sắp đi Nhật");
    without, a plan counts too ("sắp sang Nhật … xin visa")."""
    phrases: Sequence[str]
    with_: Sequence[str]
    # those written with a gap ("đang … ở Đài Loan"): patterns over the folded message, each with its first word
    gapped: List[Tuple["re.Pattern[str]", str]] = field(default_factory=list)
    now: bool = True
    # words that, right after one of ``with_``, make it another one's: "hộ chiếu VN" beside "hai quốc tịch"
    not_of: Sequence[str] = field(default_factory=list)


@dataclass
class Doubt:
    """A police procedure about to be answered beside a place where this matter happens ("Ba tôi ở Houston,
    hộ chiếu hết hạn"), with nothing telling the holder is at home: no trip or plan before the place in its
    sentence, no return after it, none of the matter's ``unless`` or ``visiting`` phrases, none of ``home``
    ("bảo lãnh", "giấy mời"). Which of the two is meant is not clear, so the citizen is asked."""
    procedures: Sequence[str]
    places: "re.Pattern[str]"  # "ở / bên / tại <country>" over the folded message
    question: str  # the question back
    ask: str  # the matter's words on its button: sent back, they name the matter
    home: Sequence[str] = field(default_factory=list)
    names: frozenset = frozenset()  # the places as written, to read them only so in a message with diacritics


# a trip, a plan or being sent, before a place in its sentence: "đi làm việc ở Hàn Quốc", "sang Nhật"
_GOING = re.compile(rf"(?<!\w)(?:di|sang|qua|bay)(?!\w)|{_PLAN}(?!\w)")
_SENTENCE_END = re.compile(r"[.!?;\n]")
# before a place: being there ("ở / bên / tại"); a trip under way ("đang (đi) du lịch / công tác <place>"), or
# stuck there: the holder is there now
_THERE, _TOURING, _STUCK = ("o", "ben", "tai"), ("du lich", "cong tac"), ("ket lai", "mac ket")
_UNDER_WAY = re.compile(r"(?<!\w)dang\s+(?:di\s+)?$")
# going there told as long past ("từ 2018", "năm 2019", "mấy năm nay"), and being there now ("giờ", "hiện nay")
_LONG_AGO = re.compile(r"\b(?:tu|nam|hoi)\s+(?:nam\s+)?\d{4}\b|\b(?:may|\d+)\s+nam\s+(?:nay|roi|truoc)\b|\bnam\s+ngoai\b")
_NOW_THERE = re.compile(r"\b(?:gio|hien|hien tai|hien nay|bay gio|dang)\b")


def _sentence_start(message: str, at: int) -> int:
    return max([e.end() for e in _SENTENCE_END.finditer(message, 0, at)], default=0)


def _settled(message: str, going: List["re.Match[str]"], places: List["re.Match[str]"]) -> bool:
    """Whether every trip there is told as long past and the message then
    places someone there now ("Em sang Hàn theo chồng từ 2018 … Giờ em ở
    nhà tạm lánh ở Daegu")."""
    def sentence(m: "re.Match[str]") -> Tuple[int, int]:
        end = _SENTENCE_END.search(message, m.end())
        return _sentence_start(message, m.start()), end.start() if end else len(message)

    last = max(g.end() for g in going)
    return all(_LONG_AGO.search(message, *sentence(g)) for g in going) and any(
        m.group(1) and m.start() > last and _NOW_THERE.search(message, sentence(m)[0], m.start()) for m in places)


@dataclass
class Referrals:
    general: str  # the reply when no matter below is named
    referrals: List[Referral]
    # matters of no agency here (street lights, electricity, jobs): asked beside no police word, the general reply
    general_phrases: Sequence[str] = field(default_factory=list)

    @classmethod
    def load(cls) -> "Referrals":
        data = read_texts("referrals.yml")
        places = [str(c) for c in data.get("countries") or []]
        abroad = places + [str(c) for c in data.get("cities") or []]

        def gapped(phrases: List[str]) -> List[Tuple["re.Pattern[str]", str]]:
            return [_gapped_pattern(p, places) for p in phrases if _gapped(p)]

        def doubt(block: Optional[Dict[str, Any]]) -> Optional[Doubt]:
            if not block:
                return None
            names = sorted({canonical(c) for c in abroad}, key=len, reverse=True)
            pattern = re.compile(rf"(?<!\w)(?:({'|'.join(_THERE + _TOURING + _STUCK)})|di|sang|qua|bay)\s+("
                                 + "|".join(re.escape(fold(n)) for n in names) + r")(?!\w)")
            return Doubt([str(p) for p in block["procedures"]], pattern, " ".join(block["question"].split()),
                         str(block["ask"]), spell([str(h) for h in block.get("home") or []]), frozenset(names))

        def spell(phrases: List[str]) -> Phrases:
            # "đang ở <country>" stands for one phrase a country; each as the message reads spelled out
            # too ("csgt phạt")
            return Phrases(spelling().with_spelled_out([p.replace("<country>", c) for p in phrases if not _gapped(p)
                                                        for c in (places if "<country>" in p else [""])]))

        return cls(
            general=data["general"],
            general_phrases=Phrases(str(p) for p in data.get("general_phrases") or []),
            referrals=[Referral(r["id"], " ".join(r["matter"].split()), spell([str(p) for p in r["phrases"]]),
                                " ".join(r["answer"].split()),
                                [Pairing(spell([str(p) for p in block.get("phrases") or []]),
                                         spell([str(w) for w in block.get("with") or []]),
                                         gapped([str(p) for p in block.get("phrases") or []]), now,
                                         spell([str(n) for n in block.get("not_of") or []]))
                                 for key, now in (("paired", True), ("trip", False)) if (block := r.get(key))],
                                [str(e) for e in r.get("examples") or []],
                                [str(o) for o in r.get("outranks") or []],
                                Phrases(str(w) for w in r.get("not_within") or []),
                                [str(a) for a in r.get("acts_on") or []],
                                spell([str(a) for a in (r.get("alone") or {}).get("phrases") or []]),
                                [str(o) for o in r.get("outranks_next_to") or []],
                                [str(b) for b in (r.get("alone") or {}).get("beside") or []],
                                spell([str(u) for u in r.get("unless") or []]),
                                spell([str(v) for v in r.get("visiting") or []]),
                                [str(t) for t in (r.get("yields") or {}).get("to") or []],
                                spell([str(y) for y in (r.get("yields") or {}).get("phrases") or []]),
                                doubt(r.get("doubt")))
                       for r in data["referrals"]],
        )

    def match(self, text: str, question: Optional[Tuple[int, int]] = None,
              context: Optional[Callable[[str, int, int], bool]] = None) -> Optional[Tuple[Referral, int, int]]:
        """The matter the text names, with the span of its longest phrase.

        A matter named inside the question (``question``: its span in the
        canonical text, when the message tells a story first) wins; then the
        matter with the most different places named, not counting those
        just after a negation ("không tranh chấp") nor a phrase inside a longer
        one ("khai sinh" in "giấy khai sinh"); then the longest phrase. Short
        of the question, a matter that ``outranks`` another named one beats
        it: "sao y giấy khai sinh" asks for a certified copy, not a birth
        registration. Places that ``context`` (folded message, start, end)
        says are only context, such as a paper brought for another matter
        ("khám nghĩa vụ có phải mang giấy khai sinh không"), count after the
        others: in the question and in number.
        """
        message = fold(canonical(text))
        accented = message != canonical(text)
        named, direct = [], set()
        pairs: Dict[Tuple[int, int], set] = {}  # each paired phrase's own span, and whose it is
        for referral in self.referrals:
            if _left_out(referral, text, message):
                continue
            found = find_phrases(text, referral.phrases)
            # with no slip of tone: "khai thuế ở đâu" is no "thuê ở" (but "cho thue nhà" is "cho thuê")
            other = find_phrases(text, referral.not_within, slips=False) if referral.not_within else []
            found = [f for f in found if not any(o[0] <= f[0] and f[1] <= o[1] for o in other)]
            direct.update(f[:2] for f in found)
            for pairing in referral.pairings:
                beside = find_phrases(text, pairing.with_)
                if pairing.not_of:  # "hộ chiếu VN" is no foreigner's passport, whoever else is named
                    owners = {o[0] for o in find_phrases(text, pairing.not_of)}
                    beside = [b for b in beside if b[1] + 1 not in owners]  # the owner's word just after it
                if not beside:
                    continue
                # "chồng tôi người Hàn" ... "hộ chiếu": the matter spans both
                gapped = []  # each found from its first word: "<start> ở Mỹ thì" matches from the clause's start
                for g, first in pairing.gapped:
                    for m in g.finditer(message):
                        start = m.end() - len(m.group().lstrip())
                        if not accented or canonical(text).startswith(first, start):
                            gapped.append((start, m.end(), m.group().lstrip()))
                for f in find_phrases(text, pairing.phrases) + gapped:
                    # a paired phrase running into one of ``not_within`` is another word ("đang ở Đức Hòa")
                    if any(o[0] < f[1] and f[0] < o[1] for o in other) or (
                            pairing.now and not _state_now(message, f[0], f[1])):
                        continue
                    # a shorter phrase inside it is this matter's ("lãnh sự quán" in "lãnh sự quán ở Osaka")
                    direct.add(f[:2])
                    pairs.setdefault(f[:2], set()).add(referral.id)
                    # the matter spans the phrase and the nearest of the `with` words; a trip's and its visa's
                    # places are each the matter's ("đi du lịch Nhật … cái visa đó xin ở đâu" asks about it)
                    b = min(beside, key=lambda b: max(b[0] - f[1], f[0] - b[1]))
                    found += [f, b] if not pairing.now else [(min(f[0], b[0]), max(f[1], b[1]), f[2])]
            if found:
                named.append((referral, found))
        index = {referral.id: i for i, (referral, _) in enumerate(named)}
        for i, (referral, found) in enumerate(named):
            to = next((index[t] for t in referral.yields_to if t in index), None)
            if to is not None:  # the phrases name the other matter: they count there
                given = find_phrases(text, referral.yields)
                named[i] = (referral, [f for f in found if f[:2] not in {g[:2] for g in given}])
                named[to] = (named[to][0], named[to][1] + given)
        named = [(referral, found, places, [p for p in places if not _NEGATED.search(message[:p[0]])])
                 for referral, found in named if (places := outermost({f[:2] for f in found}))]
        # a phrase inside another matter's longer phrase is that matter's word ("visa" in "visa đài loan")
        inside = {p for p in direct if any(o[0] <= p[0] and p[1] <= o[1] and o != p for o in direct)}
        # and the same word again elsewhere is that matter's word too ("xin visa du lịch Nhật … công an có làm visa
        # không": the Vietnamese's visa both times, not a foreigner's)
        owners: Dict[Tuple[int, int], set] = {span: set(ids) for span, ids in pairs.items()}
        for referral, found, *_ in named:
            for f in found:
                owners.setdefault(f[:2], set()).add(referral.id)
        echoed = []
        for referral, found, places, affirmed in named:
            words = {message[f[0]:f[1]] for f in found if f[:2] in inside and any(
                o[0] <= f[0] and f[1] <= o[1] and o != f[:2] and owners[o] - {referral.id} for o in direct)}
            drop = inside | {p for p in places if message[p[0]:p[1]] in words}
            echoed.append((referral, [f for f in found if f[:2] not in drop], places - drop,
                           [p for p in affirmed if p not in drop]))
        named = [n for n in echoed if n[2]]
        ids = {referral.id for referral, *_ in named}
        outranked = {o for referral, *_ in named for o in referral.outranks if o in ids}
        found_of = {referral.id: found for referral, found, *_ in named}
        outranked |= {o for referral, found, *_ in named for o in referral.outranks_next_to if o in ids and any(
            e <= s2 and _NEXT_TO.match(message[e:s2]) for _, e, _ in found for s2, _, _ in found_of[o])}
        best, best_key = None, (0, 0, 0, 0, 0, 0, 0)
        for referral, found, places, affirmed in named:
            live = [p for p in places if context is None or not context(message, p[0], p[1])]
            asked_live = question is not None and any(question[0] <= s and e <= question[1] for s, e in live)
            asked = question is not None and any(question[0] <= s and e <= question[1] for s, e in places)
            # named in the question: the span returned is the one there, not a longer one in the story before
            in_question = [f for f in found if asked and question[0] <= f[0] and f[1] <= question[1]]
            longest = max(in_question or found, key=lambda f: f[1] - f[0])
            key = (int(asked_live), int(asked), int(referral.id not in outranked), len(live), len(affirmed), len(places),
                   longest[1] - longest[0])
            if key > best_key:
                best, best_key = (referral, longest[0], longest[1]), key
        return best

    def doubted(self, text: str, procedure: str) -> Optional[Referral]:
        """The matter whose ``doubt`` leaves it open whether ``procedure`` or that matter is asked."""
        message = fold(canonical(text))
        written = canonical(text)
        for referral in self.referrals:
            doubt = referral.doubt
            if doubt is None or procedure not in doubt.procedures or _left_out(referral, text, message) or (
                    doubt.home and find_phrase(text, doubt.home) is not None):
                continue
            other = find_phrases(text, referral.not_within, slips=False) if referral.not_within else []
            places = [m for m in doubt.places.finditer(message) if not (
                (message != written and written[m.start(2):m.end(2)] not in doubt.names)
                or any(o[0] < m.end() and m.start(2) < o[1] for o in other))]  # "hết hạn": no "Hàn"; "Mỹ Đình"
            going = [m for m in places if m.group(1) is None]
            if going:
                if _settled(message, going, places):
                    return referral  # "sang Hàn theo chồng từ 2018 … Giờ em ở Daegu": went there long ago, there now
                continue  # going there ("qua Singapore chơi", "đi Nhật"): the one asking is at home
            for m in places:
                sentence = _sentence_start(message, m.start())
                if m.group(1) in _STUCK or (m.group(1) in _TOURING and _UNDER_WAY.search(message, sentence, m.start())):
                    return referral  # "kẹt lại Bangkok", "đang đi du lịch Bangkok": there now, whatever the trip
                if not _BACK.match(message, m.end()) and not _GOING.search(message, sentence, m.start()):
                    return referral  # "ở Nhật về" is back home; "đi làm việc ở Hàn", "từng sống ở Ba Lan" not there
        return None

    @cached_property
    def _vectors(self) -> Tuple[Dict[str, float], List[Dict[str, float]]]:
        """Each matter's words (its name, phrases and examples) weighted by how
        few matters share them, as unit vectors, and those weights."""
        bags = [set().union(*(_features(t) for t in [r.matter, *r.phrases, *r.examples])) for r in self.referrals]
        idf = {f: math.log(len(bags) / sum(f in b for b in bags)) for f in set().union(*bags)}
        vectors = []
        for bag in bags:
            weights = {f: idf[f] for f in bag if idf[f] > 0}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            vectors.append({f: w / norm for f, w in weights.items()})
        return idf, vectors

    def nearest(self, text: str, floor: float, lead: float) -> Optional[Referral]:
        """The matter whose words the text shares most, when no phrase names
        one: "kiện công ty nợ lương ra tòa" is the court's. None unless the
        similarity reaches ``floor`` and beats the runner-up ``lead`` times."""
        idf, vectors = self._vectors
        words = {f: idf[f] for f in _features(text) if idf.get(f, 0) > 0}
        norm = math.sqrt(sum(w * w for w in words.values()))
        if not norm:
            return None
        ranked = sorted(((sum(w * v.get(f, 0.0) for f, w in words.items()) / norm, i) for i, v in enumerate(vectors)),
                        reverse=True)
        (best, i), (second, _) = ranked[0], ranked[1] if len(ranked) > 1 else (0.0, None)
        return self.referrals[i] if best >= floor and best >= lead * second else None

    def answer(self, referral: Optional[Referral]) -> str:
        return referral.answer if referral else self.general
