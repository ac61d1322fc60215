"""The procedure knowledge base: YAML files under ``data/`` (see docs/knowledge_base.md).

Loading is tolerant: a broken file is recorded as a problem (with file and
line) instead of stopping the load, so the validation command can report
every problem at once. The assistant itself loads with
``bot.knowledge.validate.load_checked``, which raises on any error.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

import yaml

from bot.core.paths import DATA, ROOT
from bot.nlu.lexicon import Spelling, spelling
from bot.nlu.text import Phrases, canonical, find_phrase, find_phrases, fold

# How a citizen can file (a procedure's ``where.channels``), as written inside
# the line "Cách nộp: trực tiếp, Cổng dịch vụ công, ứng dụng VNeID hoặc bưu
# chính." (data/answers.yml overview): the one place these names are spelled.
CHANNELS = {
    "in_person": "trực tiếp",
    "online_portal": "Cổng dịch vụ công",
    "vneid": "ứng dụng VNeID",
    "post": "bưu chính",
    "phone": "điện thoại",
    "email": "thư điện tử",
}


@dataclass
class Problem:
    path: Path
    line: int
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        try:
            shown = self.path.relative_to(ROOT)
        except ValueError:
            shown = self.path
        return f"{shown}:{self.line}: {self.severity}: {self.message}"


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Located:
    """A YAML file's data with the line of every mapping key and list item."""

    def __init__(self, path: Path):
        self.path = path
        # one parse, by libyaml when PyYAML has it: the nodes keep their lines
        loader = _YAML_LOADER(path.read_text(encoding="utf-8"))
        try:
            self._root = loader.get_single_node()
            self.data = None if self._root is None else loader.construct_document(self._root)
        finally:
            loader.dispose()

    def line(self, *keys: Any) -> int:
        """1-based line of the value at ``keys`` (str for mapping keys, int for list items)."""
        node, line = self._root, 1
        for key in keys:
            if node is None:
                break
            if isinstance(node, yaml.MappingNode):
                match = [(k, v) for k, v in node.value if k.value == key]
                if not match:
                    break
                line = match[0][0].start_mark.line + 1
                node = match[0][1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                break
        return line


@dataclass
class FeeCase:
    """A fee that depends on the citizen's case (vehicle type, age, place)."""

    case: str  # how the case is named to citizens ("Xe máy")
    words: List[str]  # words that name this case in a message ("xe máy", "mô tô")
    amount: str
    unverified: str = ""  # a note for content staff: this amount is not confirmed


@dataclass
class Procedure:
    id: str
    name: str
    reviewed: Optional[dt.date]
    purpose: str
    aliases: List[str]
    documents: List[Dict[str, str]]
    forms: List[str]
    where: Dict[str, Any]
    processing_time: str
    fee: Dict[str, str]
    legal_basis: List[Dict[str, Any]]
    examples: List[str]
    source: Optional[Located] = None
    # Points not confirmed (aspect or "purpose" -> a note for content staff, never
    # shown to citizens) and the portal where citizens check them again.
    unverified: Dict[str, str] = field(default_factory=dict)
    portal: Dict[str, str] = field(default_factory=dict)
    fee_cases: List[FeeCase] = field(default_factory=list)  # fee.cases

    @property
    def domain(self) -> str:
        return self.id.split(".", 1)[0]

    @cached_property
    def names(self) -> Phrases:
        """Its aliases and its name, as looked for in messages."""
        return Phrases([*self.aliases, self.name])

    def fee_case_named(self, text: str) -> Optional[FeeCase]:
        """The fee case the text names (the longest of its words wins)."""
        found = find_phrase(text, [w for c in self.fee_cases for w in c.words])
        if found is None:
            return None
        return next(c for c in self.fee_cases if found[2] in c.words)


@dataclass
class Table:
    """A field the citizen fills in as a table (the members of a household, vehicles...)."""

    columns: List[str]
    rows: List[str]  # the first cell of each row: a label ("Cha", "Mẹ") or "" for an empty row
    row_height: Optional[int] = None  # mm, for rows that are boxes (a place to paste a rubbing)


@dataclass
class FormField:
    name: str
    lines: int = 1  # dotted lines to write on
    table: Optional[Table] = None  # a table instead of dotted lines


@dataclass
class Signer:
    """One signature column at the end of a form."""

    title: str  # "Người kê khai", "Ý kiến của chủ hộ"
    note: str = "Ký, ghi rõ họ tên"


@dataclass
class Form:
    code: str
    label: str
    title: str
    issued_with: str
    fields: List[FormField]
    signatures: List[Signer] = field(default_factory=list)
    addressee: str = ""  # "Kính gửi: ..." under the title: who the form goes to
    pledge: str = ""  # the declaration printed above the signatures
    file: Optional[str] = None  # an official file in data/forms/, replacing the generated one
    author: str = ""  # the generated file's author (forms.yml `author`)
    updated: Optional[dt.date] = None  # the generated file's date (the form's `updated`, else the file's)
    source: Optional[Located] = None
    index: int = 0  # position in forms.yml


@dataclass
class Option:
    procedure: str
    title: str
    cases: List[str] = field(default_factory=list)  # words that name this case ("lần đầu", "bị mất")
    ages: Optional[Tuple[int, int]] = None  # a child of this age named ("con tôi 9 tuổi") names this case


@dataclass
class Topic:
    """A question that names a domain but not the procedure: the bot asks which."""

    id: str
    question: str
    options: List[Option]
    examples: List[str]
    names: Sequence[str] = field(default_factory=list)  # words naming the topic in a follow-up
    source: Optional[Located] = None
    index: int = 0  # position in the topics file

    def example_line(self, i: int) -> int:
        return self.source.line("topics", self.index, "examples", i) if self.source else 1

    @property
    def intent(self) -> str:
        return f"topic.{self.id}"

    @cached_property
    def case_phrases(self) -> Phrases:
        """Every option's case phrases, as looked for in messages."""
        return Phrases(c for o in self.options for c in o.cases)

    def case_named(self, text: str) -> Optional[str]:
        """The option whose case the text names (the longest case phrase wins)."""
        cases = self.cases_named(text)
        return max(cases, key=cases.get) if cases else None

    def outgrown(self, text: str) -> Set[str]:
        """The procedures of this topic offered only for ages that none of the
        children the text names with an age is ("con gái tôi 15 tuổi … làm căn
        cước cho con": not a child's card)."""
        ages = [int(m.group(1)) for m in _CHILD_AGE.finditer(fold(text))]
        if not ages:
            return set()
        fits = {o.procedure for o in self.options
                if o.ages is None or any(o.ages[0] <= a <= o.ages[1] for a in ages)}
        return {o.procedure for o in self.options} - fits

    def cases_named(self, text: str, names: Sequence[Tuple[str, int, int]] = ()) -> Dict[str, int]:
        """Every option whose case the text names, with the length of its
        longest case phrase found ("sang tên ... đổi biển số" names two).
        ``names``: procedures named in the text, (id, start, end); a case
        phrase inside another procedure's name is part of that name
        ("đăng ký thường trú" in "xóa đăng ký thường trú")."""
        found = find_phrases(text, self.case_phrases)
        general = find_phrases(text, self.names)
        named: Dict[str, int] = {}
        message = fold(canonical(text))
        for start, end, phrase in found:
            if _TAKES.search(message[start:end]) and _DURATION.match(message, end):
                continue  # "làm mất bao lâu", "cccd mất phí": what it takes, not a loss
            if any(s <= start and end <= e and e - s > end - start for s, e, _ in found + general):
                continue  # part of a longer case phrase ("mới mua xe" in "mới mua xe cũ") or of the
                # topic's own name ("tạm vắng" in "tạm trú tạm vắng")
            procedure = next(o.procedure for o in self.options if phrase in o.cases)
            if any(p != procedure and s <= start and end <= e and e - s > end - start for p, s, e in names):
                continue
            named[procedure] = max(named.get(procedure, 0), end - start)
        for option in self.options:
            if option.ages:
                for m in _CHILD_AGE.finditer(fold(text)):
                    if option.ages[0] <= int(m.group(1)) <= option.ages[1]:
                        named[option.procedure] = max(named.get(option.procedure, 0), m.end() - m.start())
        return named


def _ages(value: Any) -> Optional[Tuple[int, int]]:
    """``[low, high]`` as a pair of ages, or None (the validator reports a malformed one)."""
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value) and value[0] <= value[1]:
        return value[0], value[1]
    return None


# a child and its age: "con tôi 9 tuổi", "bé nhà mình 11 tuổi", "cháu 7t"
_CHILD_AGE = re.compile(r"\b(?:con|be|chau|tre|dua)\b(?:\s+\w+){0,3}?\s+(\d{1,2})\s*(?:tuoi|t)\b")
# "mất" also asks what a procedure takes ("làm mất bao lâu", "căn cước mất phí không", "mất cả tuần"); "mất cả
# ví" is a loss
_TAKES = re.compile(r"(?:^|\s)mat$")
_DURATION = re.compile(r"\s+(?:bao|may|het|phi|tien|thoi gian|nhieu|cong|ca (?:ngay|tuan|thang|nam|buoi|tieng|gio))\b")


@dataclass
class KnowledgeBase:
    catalogue: Dict[str, str]  # id -> name
    domains: Dict[str, str]
    procedures: Dict[str, Procedure] = field(default_factory=dict)
    forms: Dict[str, Form] = field(default_factory=dict)
    topics: Dict[str, Topic] = field(default_factory=dict)
    problems: List[Problem] = field(default_factory=list)

    def topic_for_intent(self, intent: Optional[str]) -> Optional[Topic]:
        for topic in self.topics.values():
            if topic.intent == intent:
                return topic
        return None


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _procedure(source: Located, spell: Spelling) -> Procedure:
    d = source.data or {}
    reviewed = d.get("reviewed")
    if isinstance(reviewed, str):
        reviewed = dt.date.fromisoformat(reviewed)
    return Procedure(
        id=str(d.get("id") or ""),
        name=_text(d.get("name")),
        reviewed=reviewed,
        purpose=_text(d.get("purpose")),
        aliases=spell.with_spelled_out(_text(a) for a in d.get("aliases") or []),
        documents=[
            {"item": _text(doc.get("item")), "when": _text(doc.get("when"))}
            for doc in d.get("documents") or []
            if isinstance(doc, dict)
        ],
        forms=[str(f) for f in d.get("forms") or []],
        where={**(d.get("where") or {}), "office": _text((d.get("where") or {}).get("office")),
               "note": _text((d.get("where") or {}).get("note"))},
        processing_time=_text(d.get("processing_time")),
        fee={k: _text(v) for k, v in (d.get("fee") or {}).items() if k != "cases"},
        fee_cases=[
            FeeCase(case=_text(c.get("case")), words=[_text(w) for w in c.get("words") or []],
                    amount=_text(c.get("amount")), unverified=_text(c.get("unverified")))
            for c in (d.get("fee") or {}).get("cases") or []
            if isinstance(c, dict)
        ],
        legal_basis=[
            {"title": _text(b.get("title")), "date": b.get("date"), "note": _text(b.get("note"))}
            for b in d.get("legal_basis") or []
            if isinstance(b, dict)
        ],
        examples=[str(e).strip() for e in d.get("examples") or []],
        source=source,
        unverified={str(k): _text(v) for k, v in (d.get("unverified") or {}).items()},
        portal={str(k): _text(v) for k, v in (d.get("portal") or {}).items()},
    )


def _date(value: Any) -> Optional[dt.date]:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _table(value: Any) -> Optional[Table]:
    """The table a field describes; None if it is malformed (validate.py says how)."""
    if not isinstance(value, dict) or not isinstance(value.get("columns"), list):
        return None
    rows = value.get("rows")
    if isinstance(rows, int) and not isinstance(rows, bool):
        rows = [""] * rows
    elif isinstance(rows, list):
        rows = [_text(r) for r in rows]
    else:
        return None
    height = value.get("row_height")
    return Table(columns=[_text(c) for c in value["columns"]], rows=rows,
                 row_height=height if isinstance(height, int) and not isinstance(height, bool) else None)


def _form_field(value: Any) -> FormField:
    if not isinstance(value, dict):
        return FormField(_text(value))
    lines = value.get("lines")
    return FormField(name=_text(value.get("name")), table=_table(value.get("table")),
                     lines=lines if isinstance(lines, int) and not isinstance(lines, bool) else 1)


def _signer(value: Any) -> Signer:
    if isinstance(value, dict):
        return Signer(_text(value.get("title")), _text(value.get("note")) or Signer.note)
    return Signer(_text(value))


def _form(source: Located, index: int, entry: dict) -> Form:
    return Form(
        code=str(entry["code"]),
        label=_text(entry.get("label") or entry["code"]),
        title=_text(entry.get("title")),
        issued_with=_text(entry.get("issued_with")),
        fields=[_form_field(f) for f in entry.get("fields") or []],
        signatures=[_signer(s) for s in entry.get("signatures") or []],
        addressee=_text(entry.get("addressee")),
        pledge=_text(entry.get("pledge")),
        file=entry.get("file"),
        author=_text(source.data.get("author")),
        updated=_date(entry.get("updated") or source.data.get("updated")),
        source=source,
        index=index,
    )


def load(data_dir: Path = DATA) -> KnowledgeBase:
    """Load the knowledge base from ``data_dir``; its problems are in ``kb.problems``
    (``bot.knowledge.validate.load_checked`` raises on any error)."""
    catalogue_file = Located(data_dir / "procedure_catalogue.yml")
    spell = spelling(data_dir)  # phrases written with an abbreviation are looked for spelled out too
    kb = KnowledgeBase(
        catalogue={p["id"]: p["name"] for p in catalogue_file.data["procedures"]},
        domains=dict(catalogue_file.data["domains"]),
    )

    for path in sorted((data_dir / "procedures").rglob("*.yml")):
        if path.name == "topics.yml":
            continue
        try:
            procedure = _procedure(Located(path), spell)
        except (yaml.YAMLError, ValueError, TypeError, AttributeError) as error:
            line = getattr(getattr(error, "problem_mark", None), "line", 0) + 1
            kb.problems.append(Problem(path, line, f"cannot read this file: {error}"))
            continue
        if procedure.id in kb.procedures:
            other = kb.procedures[procedure.id].source.path
            kb.problems.append(Problem(path, 1, f"procedure id '{procedure.id}' is also defined in {other}"))
            continue
        kb.procedures[procedure.id] = procedure

    forms_path = data_dir / "forms" / "forms.yml"
    if forms_path.exists():
        forms_source = Located(forms_path)
        for index, entry in enumerate(forms_source.data.get("forms") or []):
            kb.forms[str(entry["code"])] = _form(forms_source, index, entry)

    topics_path = data_dir / "procedures" / "topics.yml"
    if topics_path.exists():
        topics_source = Located(topics_path)
        for index, entry in enumerate(topics_source.data.get("topics") or []):
            kb.topics[entry["id"]] = Topic(
                id=entry["id"],
                question=_text(entry["question"]),
                options=[Option(o["procedure"], _text(o["title"]),
                                spell.with_spelled_out(_text(c) for c in o.get("cases") or []),
                                _ages(o.get("ages")))
                         for o in entry["options"]],
                examples=[str(e).strip() for e in entry.get("examples") or []],
                names=Phrases(spell.with_spelled_out(_text(n) for n in entry.get("names") or [])),
                source=topics_source,
                index=index,
            )

    return kb


def located_examples(kb: KnowledgeBase) -> List[Tuple[str, str, Path, int]]:
    """Every training example: (text, intent, file, line)."""
    rows = []
    for procedure in kb.procedures.values():
        for i, example in enumerate(procedure.examples):
            rows.append((example, procedure.id, procedure.source.path, procedure.source.line("examples", i)))
    for topic in kb.topics.values():
        for i, example in enumerate(topic.examples):
            rows.append((example, topic.intent, topic.source.path, topic.example_line(i)))
    return rows
