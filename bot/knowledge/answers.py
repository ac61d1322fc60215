"""What to answer about a procedure, and the answer texts (pure functions).

``resolve`` decides which procedure and which part of it ("aspect": fee,
forms, ...) a message asks about, from the NLU result, the words of the
message and the conversation so far. ``render_*`` turn a knowledge-base entry
into chat messages of at most 2,000 characters (Zalo's limit).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

from bot.content import read_texts
from bot.knowledge.store import CHANNELS, KnowledgeBase, Procedure, Topic
from bot.messages import split_text
from bot.nlu.text import canonical, find_phrase

# A procedure intent this confident is a new question, even while a
# clarifying question is open.
NEW_QUESTION_CONFIDENCE = 0.5
# A follow-up ("... cần giấy tờ gì") that names no procedure, while
# out_of_scope is this likely, is about something else ("đăng ký kết hôn cần
# giấy tờ gì"): answering for the current procedure would be a wrong answer.
OUT_OF_SCOPE_DOUBT = 0.25


def forms_base_url() -> str:
    return os.environ.get("FORMS_BASE_URL", "http://localhost:5080/forms").rstrip("/")


@dataclass
class AnswerConfig:
    aspects: Dict[str, Dict[str, Any]]
    follow_up_buttons: List[str]
    ellipsis_phrases: List[str]
    ask_which_procedure: str
    not_understood: str
    out_of_scope: str
    system_error: str
    procedure_buttons: Dict[str, List[Dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> "AnswerConfig":
        return cls(**read_texts("answers.yml"))

    def aspect_of_intent(self, intent: Optional[str]) -> Optional[str]:
        for name, aspect in self.aspects.items():
            if aspect["intent"] == intent:
                return name
        return None


def named_procedure(kb: KnowledgeBase, text: str) -> Tuple[Optional[str], str]:
    """The procedure the text names by one of its aliases (longest wins), and
    the text with that name removed."""
    best: Optional[Tuple[int, int, str]] = None
    owner = None
    for procedure in kb.procedures.values():
        found = find_phrase(text, procedure.aliases + [procedure.name])
        if found and (best is None or found[1] - found[0] > best[1] - best[0]):
            best, owner = found, procedure.id
    if best is None:
        return None, text
    message = canonical(text)
    return owner, message[: best[0]] + " " + message[best[1] :]


@dataclass
class Decision:
    procedure: Optional[str] = None
    aspect: Optional[str] = None
    topic: Optional[Topic] = None  # ask which procedure of this topic
    ask_which: bool = False  # a follow-up with no procedure to refer to
    out_of_scope: bool = False


def resolve(
    kb: KnowledgeBase,
    config: AnswerConfig,
    intent: Optional[str],
    ranking: List[Dict[str, Any]],
    text: str,
    slots: Dict[str, Any],
) -> Decision:
    """Which procedure and aspect the latest message asks about."""
    named, rest = named_procedure(kb, text or "")
    aspect_intent = config.aspect_of_intent(intent)
    confidence = {r["name"]: r.get("confidence", 0.0) for r in ranking}
    open_topic = kb.topics.get(slots.get("clarifying") or "")

    if aspect_intent and not named and confidence.get("out_of_scope", 0.0) >= OUT_OF_SCOPE_DOUBT:
        return Decision(out_of_scope=True)

    procedure = None
    topic = kb.topic_for_intent(intent)
    if intent in kb.procedures:
        procedure = intent
    elif aspect_intent:
        procedure = named or slots.get("procedure")
        if procedure is None:
            topic = next((t for t in kb.topics.values() if find_phrase(text or "", t.names)), None)
    elif topic is not None and named in [o.procedure for o in topic.options]:
        procedure = named  # the message names the case after all ("đăng ký xe lần đầu")

    if open_topic is not None:
        options = [o.procedure for o in open_topic.options]
        new_question = procedure in kb.procedures and confidence.get(procedure, 0) >= NEW_QUESTION_CONFIDENCE
        if procedure not in options and not new_question:
            # the reply to the question: named outright, or the likeliest option
            procedure = named if named in options else max(options, key=lambda o: confidence.get(o, 0.0))
            topic = None

    if topic is not None and procedure is None:
        return Decision(topic=topic, aspect=aspect_intent)
    if procedure is None:
        return Decision(aspect=aspect_intent, ask_which=aspect_intent is not None)

    aspect = aspect_intent
    if aspect is None:
        found = find_phrase(rest, [p for a in config.aspects.values() for p in a["phrases"]])
        if found:
            aspect = next(n for n, a in config.aspects.items() if found[2] in a["phrases"])
    if aspect is None and slots.get("aspect") and find_phrase(text, config.ellipsis_phrases):
        aspect = slots["aspect"]
    return Decision(procedure=procedure, aspect=aspect)


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


def documents_text(p: Procedure) -> str:
    return _bullets(f"{d['item']}" + (f" ({d['when']})" if d["when"] else "") for d in p.documents)


def forms_text(kb: KnowledgeBase, p: Procedure) -> str:
    if not p.forms:
        return "Thủ tục này không có biểu mẫu riêng phải tải về."
    return _bullets(f"{kb.forms[c].label} – {kb.forms[c].title}: {form_url(c)}" for c in p.forms)


def where_text(p: Procedure) -> str:
    channels = ", ".join(CHANNELS[c].lower() for c in p.where.get("channels") or [] if c in CHANNELS)
    text = p.where["office"]
    if channels:
        text += f"\nCách nộp: {channels}."
    if p.where.get("note"):
        text += f"\n{p.where['note']}"
    return text


def fee_text(p: Procedure) -> str:
    text = p.fee.get("amount", "")
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


def aspect_text(kb: KnowledgeBase, config: AnswerConfig, p: Procedure, aspect: str) -> str:
    body = {
        "documents": lambda: documents_text(p),
        "forms": lambda: forms_text(kb, p),
        "where": lambda: where_text(p),
        "processing_time": lambda: p.processing_time,
        "fee": lambda: fee_text(p),
        "legal_basis": lambda: legal_text(p),
    }[aspect]()
    return f"{config.aspects[aspect]['title']} – {p.name}:\n{body}"


def follow_up_buttons(config: AnswerConfig, skip: Optional[str] = None,
                      procedure: Optional[str] = None) -> List[Dict[str, str]]:
    """The procedure's own buttons first ("Gửi tin báo ngay"), then the follow-ups; at most 5."""
    return (list(config.procedure_buttons.get(procedure or "", [])) + [
        {"title": config.aspects[a]["button"], "payload": f"/{config.aspects[a]['intent']}"}
        for a in config.follow_up_buttons
        if a != skip
    ])[:5]


def form_attachments(kb: KnowledgeBase, p: Procedure) -> List[Reply]:
    """One message per form carrying the file, for channels that send files."""
    return [
        Reply(
            text=f"{kb.forms[c].label}: {kb.forms[c].title}",
            custom={"file": {"url": form_url(c), "name": f"{c}.docx", "title": kb.forms[c].title}},
        )
        for c in p.forms
    ]


def render_overview(kb: KnowledgeBase, config: AnswerConfig, p: Procedure) -> List[Reply]:
    sections = [
        f"{p.name.upper()}\n{p.purpose}",
        f"{config.aspects['documents']['title']}:\n{documents_text(p)}",
        f"{config.aspects['forms']['title']}:\n{forms_text(kb, p)}",
        f"{config.aspects['where']['title']}: {where_text(p)}",
        f"{config.aspects['processing_time']['title']}: {p.processing_time}",
        f"{config.aspects['fee']['title']}: {fee_text(p)}",
        f"{config.aspects['legal_basis']['title']}:\n{legal_text(p)}",
    ]
    replies = [Reply(text) for text in split_text("\n\n".join(sections))]
    replies[-1].buttons = follow_up_buttons(config, procedure=p.id)
    return replies


def render_aspect(kb: KnowledgeBase, config: AnswerConfig, p: Procedure, aspect: str) -> List[Reply]:
    replies = [Reply(text) for text in split_text(aspect_text(kb, config, p, aspect))]
    if aspect == "forms":
        replies += form_attachments(kb, p)
    replies[-1].buttons = follow_up_buttons(config, skip=aspect, procedure=p.id)
    return replies


def render_topic_question(kb: KnowledgeBase, topic: Topic) -> Reply:
    return Reply(
        text=topic.question,
        buttons=[{"title": o.title, "payload": f"/{o.procedure}"} for o in topic.options][:5],
    )
