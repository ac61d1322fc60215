"""Check the knowledge base and report every problem with file and line.

    .venv/bin/python -m bot.knowledge.validate

Errors (exit status 1): catalogue ids without a file or files for unknown
ids, missing fields, unknown channels, form codes that are not defined, form
files that do not exist, malformed form fields, tables and signers, topic
options that are not procedures, duplicate training examples. Warnings (exit status 0): content not reviewed for more
than 180 days, procedures with few examples.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml

from bot.core.paths import DATA
from bot.knowledge.store import CHANNELS, Form, KnowledgeBase, Located, Problem, load, located_examples
from bot.nlu.text import canonical, fold

REVIEW_MAX_AGE_DAYS = 180
MIN_EXAMPLES = 10
REQUIRED = [
    ("name",), ("reviewed",), ("purpose",), ("documents",), ("where", "office"),
    ("where", "channels"), ("processing_time",), ("fee", "amount"), ("legal_basis",), ("examples",),
]

# The parts of an answer a procedure's `unverified:` notes may be about.
UNVERIFIABLE = ["purpose", "documents", "where", "processing_time", "fee", "legal_basis"]


def _missing(data: dict, keys: Tuple[str, ...]) -> bool:
    value = data
    for key in keys:
        if not isinstance(value, dict) or not value.get(key):
            return True
        value = value[key]
    return False


def check_referrals(path: Path, procedures: Optional[set] = None) -> List[Problem]:
    """data/referrals.yml: every other agency's matter has an id, phrases and an answer; a doubt names
    procedures of ``procedures`` and has its question and button words."""
    if not path.exists():
        return [Problem(path, 1, "missing: the answers naming other agencies (see docs/knowledge_base.md)")]
    try:
        source = Located(path)
    except yaml.YAMLError as error:
        return [Problem(path, getattr(getattr(error, "problem_mark", None), "line", 0) + 1,
                        f"cannot read this file: {error}")]
    data = source.data if isinstance(source.data, dict) else {}
    problems = [] if isinstance(data.get("general"), str) else [Problem(path, 1, "missing field 'general'")]
    ids = set()
    for i, entry in enumerate(data.get("referrals") or []):
        entry = entry if isinstance(entry, dict) else {}
        for key in ("id", "matter", "answer"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                problems.append(Problem(path, source.line("referrals", i), f"referral without '{key}'"))
        if not entry.get("phrases") or not all(isinstance(p, str) for p in entry.get("phrases") or []):
            problems.append(Problem(path, source.line("referrals", i), "referral needs a list of 'phrases'"))
        if not all(isinstance(a, str) for a in entry.get("acts_on") or []):
            problems.append(Problem(path, source.line("referrals", i), "referral 'acts_on' must be a list of ids"))
        if not all(isinstance(e, str) for e in entry.get("examples") or []):
            problems.append(Problem(path, source.line("referrals", i), "referral 'examples' must be a list of questions"))
        if entry.get("id") in ids:
            problems.append(Problem(path, source.line("referrals", i), f"referral id '{entry['id']}' twice"))
        ids.add(entry.get("id"))
    for i, entry in enumerate(data.get("referrals") or []):
        entry = entry if isinstance(entry, dict) else {}
        for other in entry.get("outranks") or []:
            if other not in ids or other == entry.get("id"):
                problems.append(Problem(path, source.line("referrals", i),
                                        f"referral outranks '{other}', which is no other referral"))
        yields = entry.get("yields") or {}
        for other in (yields.get("to") or []) if isinstance(yields, dict) else [None]:
            if other not in ids or other == entry.get("id"):
                problems.append(Problem(path, source.line("referrals", i),
                                        f"referral yields to '{other}', which is no other referral"))
        if isinstance(yields, dict) and yields and not all(isinstance(p, str) for p in yields.get("phrases") or [None]):
            problems.append(Problem(path, source.line("referrals", i), "referral 'yields' needs a list of 'phrases'"))
        doubt = entry.get("doubt")
        if doubt is not None:
            doubt = doubt if isinstance(doubt, dict) else {}
            for key in ("question", "ask"):
                if not isinstance(doubt.get(key), str) or not doubt[key].strip():
                    problems.append(Problem(path, source.line("referrals", i), f"referral 'doubt' without '{key}'"))
            for procedure in doubt.get("procedures") or [None]:
                if procedures is not None and procedure not in procedures:
                    problems.append(Problem(path, source.line("referrals", i),
                                            f"referral 'doubt' names '{procedure}', which is no procedure"))
    return problems


FORM_KEYS = ["code", "label", "title", "issued_with", "addressee", "fields", "pledge", "signatures", "file", "updated"]
FIELD_KEYS = ["name", "lines", "table"]
TABLE_KEYS = ["columns", "rows", "row_height"]
SIGNER_KEYS = ["title", "note"]
MAX_LINES, MAX_ROWS = 10, 30
# a field naming a signature: signers go under `signatures`, or the form prints them twice
SIGNATURE_WORDS = ["ký, ghi rõ họ tên", "chữ ký", "ký tên"]


def _number(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _unknown(entry: dict, known: List[str]) -> List[str]:
    return [str(k) for k in entry if k not in known]


def check_form(form: Form, data_dir: Path = DATA) -> List[Problem]:
    """A form of data/forms/forms.yml as written: its fields, tables and signers."""
    source, i = form.source, form.index
    path = source.path
    entry = source.data["forms"][i]
    name = f"form '{form.code}'"
    problems = [Problem(path, source.line("forms", i, key), f"{name}: unknown key '{key}' (one of: {', '.join(FORM_KEYS)})")
                for key in _unknown(entry, FORM_KEYS)]
    if not form.title or not form.fields:
        problems.append(Problem(path, source.line("forms", i), f"{name} needs a title and fields"))
    if form.file and not (data_dir / "forms" / form.file).is_file():
        problems.append(Problem(path, source.line("forms", i, "file"),
                                f"{name}: file '{form.file}' does not exist in data/forms/"))
    if form.updated is None:
        problems.append(Problem(path, source.line("forms", i, "updated"),
                                f"{name}: no 'updated' date (YYYY-MM-DD), neither its own nor the file's"))

    for j, raw in enumerate(entry.get("fields") or []):
        line = source.line("forms", i, "fields", j)
        field = form.fields[j]
        if isinstance(raw, dict):
            problems += [Problem(path, line, f"{name}: field has unknown key '{key}' (one of: {', '.join(FIELD_KEYS)})")
                         for key in _unknown(raw, FIELD_KEYS)]
            if "lines" in raw and not _number(raw["lines"], 1, MAX_LINES):
                problems.append(Problem(path, line, f"{name}, field '{field.name}': 'lines' must be a number from 1 to {MAX_LINES}"))
            if "table" in raw:
                problems += _check_table(source, ("forms", i, "fields", j, "table"), f"{name}, field '{field.name}'", raw["table"])
        elif not isinstance(raw, str):
            problems.append(Problem(path, line, f"{name}: a field is a text or a mapping with 'name' (and 'lines' or 'table')"))
        if not field.name:
            problems.append(Problem(path, line, f"{name}: field without 'name'"))
        elif any(word in field.name.lower() for word in SIGNATURE_WORDS):
            problems.append(Problem(path, line, (
                f"{name}, field '{field.name}' is a signature: list the signer under 'signatures' "
                "(the form prints each signer once, with \"(Ký, ghi rõ họ tên)\")")))

    signers = entry.get("signatures")
    if not isinstance(signers, list) or not signers:
        problems.append(Problem(path, source.line("forms", i), (
            f"{name} needs 'signatures': the people who sign it, e.g. [Người kê khai]")))
        signers = []
    titles = set()
    fields = {f.name.lower() for f in form.fields}
    for j, (raw, signer) in enumerate(zip(signers, form.signatures)):
        line = source.line("forms", i, "signatures", j)
        if isinstance(raw, dict):
            problems += [Problem(path, line, f"{name}: signer has unknown key '{key}' (one of: {', '.join(SIGNER_KEYS)})")
                         for key in _unknown(raw, SIGNER_KEYS)]
        if not signer.title:
            problems.append(Problem(path, line, f"{name}: signer without 'title'"))
        elif signer.title.lower() in titles:
            problems.append(Problem(path, line, f"{name}: signer '{signer.title}' twice"))
        elif signer.title.lower() in fields:
            problems.append(Problem(path, line, f"{name}: '{signer.title}' is both a field and a signer"))
        titles.add(signer.title.lower())
    return problems


def _check_table(source: Located, keys: tuple, name: str, table) -> List[Problem]:
    path, line = source.path, source.line(*keys)
    example = "table: {columns: [TT, Họ và tên, Năm sinh], rows: 4}"
    if not isinstance(table, dict):
        return [Problem(path, line, f"{name}: 'table' must be a mapping with 'columns' and 'rows', e.g. {example}")]
    problems = [Problem(path, line, f"{name}: table has unknown key '{key}' (one of: {', '.join(TABLE_KEYS)})")
                for key in _unknown(table, TABLE_KEYS)]
    columns = table.get("columns")
    if not isinstance(columns, list) or not columns or not all(isinstance(c, str) and c.strip() for c in columns):
        problems.append(Problem(path, source.line(*keys, "columns"), (
            f"{name}: table 'columns' must be a list of column headings (one per line, or "
            f"[TT, Họ và tên] when no heading has a comma), e.g. {example}")))
    rows = table.get("rows")
    if not (_number(rows, 1, MAX_ROWS) or (isinstance(rows, list) and 0 < len(rows) <= MAX_ROWS
                                          and all(isinstance(r, str) and r.strip() for r in rows))):
        problems.append(Problem(path, source.line(*keys, "rows"), (
            f"{name}: table 'rows' must be the number of empty rows (1 to {MAX_ROWS}) or a list of "
            f"row labels such as [Cha, Mẹ], not {rows!r}")))
    if "row_height" in table and not _number(table["row_height"], 5, 100):
        problems.append(Problem(path, source.line(*keys, "row_height"),
                                f"{name}: table 'row_height' must be a height in mm from 5 to 100"))
    return problems


def check(kb: KnowledgeBase, data_dir: Path = DATA, today: Optional[dt.date] = None) -> List[Problem]:
    today = today or dt.date.today()
    problems = list(kb.problems)
    catalogue_path = data_dir / "procedure_catalogue.yml"

    for procedure_id in kb.catalogue:
        if procedure_id not in kb.procedures:
            domain, name = procedure_id.split(".", 1)
            problems.append(Problem(
                catalogue_path, 1,
                f"catalogue id '{procedure_id}' has no file (expected data/procedures/{domain}/{name}.yml)",
            ))

    for procedure in kb.procedures.values():
        src = procedure.source
        if procedure.id not in kb.catalogue:
            problems.append(Problem(src.path, src.line("id"), f"unknown catalogue id '{procedure.id}'"))
        elif src.path.relative_to(data_dir / "procedures").with_suffix("").as_posix() != procedure.id.replace(".", "/", 1):
            problems.append(Problem(src.path, src.line("id"), f"id '{procedure.id}' does not match the file's place"))
        for keys in REQUIRED:
            if _missing(src.data or {}, keys):
                problems.append(Problem(src.path, src.line(*keys), f"missing field '{'.'.join(keys)}'"))
        for i, doc in enumerate(procedure.documents):
            if not doc["item"]:
                problems.append(Problem(src.path, src.line("documents", i), "document without 'item'"))
        for channel in procedure.where.get("channels") or []:
            if channel not in CHANNELS:
                problems.append(Problem(
                    src.path, src.line("where", "channels"),
                    f"unknown channel '{channel}' (one of: {', '.join(CHANNELS)})",
                ))
        for code in procedure.forms:
            if code not in kb.forms:
                problems.append(Problem(src.path, src.line("forms"), f"form '{code}' is not defined in data/forms/forms.yml"))
        for i, basis in enumerate(procedure.legal_basis):
            if not basis["title"]:
                problems.append(Problem(src.path, src.line("legal_basis", i), "legal basis without 'title'"))
        for i, case in enumerate(procedure.fee_cases):
            if not (case.case and case.words and case.amount):
                problems.append(Problem(src.path, src.line("fee", "cases", i), "fee case needs 'case', 'words' and 'amount'"))
        for part in procedure.unverified:
            if part not in UNVERIFIABLE:
                problems.append(Problem(src.path, src.line("unverified", part),
                                        f"unverified '{part}' is not a part of an answer (one of: {', '.join(UNVERIFIABLE)})"))
        if procedure.portal and not (procedure.portal.get("name") and procedure.portal.get("url", "").startswith("https://")):
            problems.append(Problem(src.path, src.line("portal"), "portal needs a 'name' and an https:// 'url'"))
        if procedure.reviewed and (today - procedure.reviewed).days > REVIEW_MAX_AGE_DAYS:
            problems.append(Problem(
                src.path, src.line("reviewed"),
                f"last reviewed {procedure.reviewed} (more than {REVIEW_MAX_AGE_DAYS} days ago): check it against the law",
                "warning",
            ))
        if len(procedure.examples) < MIN_EXAMPLES:
            problems.append(Problem(
                src.path, src.line("examples"),
                f"only {len(procedure.examples)} examples (at least {MIN_EXAMPLES} recommended)", "warning",
            ))

    for form in kb.forms.values():
        problems += check_form(form, data_dir)
    if kb.forms and not next(iter(kb.forms.values())).author:
        problems.append(Problem(data_dir / "forms" / "forms.yml", 1,
                                "forms.yml needs 'author': who the generated files name as their author"))

    for topic in kb.topics.values():
        raw = topic.source.data["topics"][topic.index]["options"] if topic.source else []
        for j, option in enumerate(topic.options):
            if raw and raw[j].get("ages") is not None and option.ages is None:
                problems.append(Problem(topic.source.path, topic.source.line("topics", topic.index), (
                    f"topic '{topic.id}': option '{option.procedure}': 'ages' must be [lowest, highest], two whole numbers")))
            if option.procedure not in kb.catalogue:
                problems.append(Problem(topic.source.path, 1, f"topic '{topic.id}': option '{option.procedure}' is not a catalogue id"))
            for case in option.cases:
                others = [o for o in topic.options if o.procedure != option.procedure and case in o.cases]
                if others:
                    problems.append(Problem(topic.source.path, topic.source.line("topics", topic.index), (
                        f"topic '{topic.id}': case '{case}' names both '{option.procedure}' and '{others[0].procedure}'")))

    problems += check_referrals(data_dir / "referrals.yml", set(kb.procedures))

    seen: Dict[str, Tuple[str, Path, int]] = {}
    for text, intent, path, line in located_examples(kb):
        key = fold(canonical(text))
        if key in seen:
            other_intent, other_path, other_line = seen[key]
            where = f"{other_path.relative_to(data_dir.parent) if other_path.is_relative_to(data_dir.parent) else other_path}:{other_line}"
            problems.append(Problem(path, line, f"duplicate example '{text}' (also at {where}, {other_intent})"))
        else:
            seen[key] = (intent, path, line)
    return problems


def load_checked(data_dir: Path = DATA) -> KnowledgeBase:
    """The knowledge base of ``data_dir``; raises ValueError listing every error."""
    kb = load(data_dir)
    errors = [p for p in check(kb, data_dir) if p.severity == "error"]
    if errors:
        raise ValueError("knowledge base has errors:\n" + "\n".join(map(str, errors)))
    return kb


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Check the knowledge base in data/.")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    kb = load(args.data)
    problems = check(kb, args.data)
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    print(
        f"{len(kb.procedures)} procedures, {len(kb.forms)} forms, {len(kb.topics)} topics: "
        f"{errors} errors, {warnings} warnings"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
