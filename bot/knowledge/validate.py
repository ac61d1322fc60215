"""Check the knowledge base and report every problem with file and line.

    .venv/bin/python -m bot.knowledge.validate

Errors (exit status 1): catalogue ids without a file or files for unknown
ids, missing fields, unknown channels, form codes that are not defined, form
files that do not exist, topic options that are not procedures, duplicate
training examples. Warnings (exit status 0): content not reviewed for more
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
from bot.knowledge.store import CHANNELS, KnowledgeBase, Located, Problem, load, located_examples
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


def check_referrals(path: Path) -> List[Problem]:
    """data/referrals.yml: every other agency's matter has an id, phrases and an answer."""
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
        if not all(isinstance(e, str) for e in entry.get("examples") or []):
            problems.append(Problem(path, source.line("referrals", i), "referral 'examples' must be a list of questions"))
        if entry.get("id") in ids:
            problems.append(Problem(path, source.line("referrals", i), f"referral id '{entry['id']}' twice"))
        ids.add(entry.get("id"))
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

    forms_path = data_dir / "forms" / "forms.yml"
    for form in kb.forms.values():
        if not form.title or not form.fields:
            problems.append(Problem(forms_path, 1, f"form '{form.code}' needs a title and fields"))
        if form.file and not (data_dir / "forms" / form.file).is_file():
            problems.append(Problem(forms_path, 1, f"form '{form.code}': file '{form.file}' does not exist in data/forms/"))

    for topic in kb.topics.values():
        for option in topic.options:
            if option.procedure not in kb.catalogue:
                problems.append(Problem(topic.source.path, 1, f"topic '{topic.id}': option '{option.procedure}' is not a catalogue id"))
            for case in option.cases:
                others = [o for o in topic.options if o.procedure != option.procedure and case in o.cases]
                if others:
                    problems.append(Problem(topic.source.path, topic.source.line("topics", topic.index), (
                        f"topic '{topic.id}': case '{case}' names both '{option.procedure}' and '{others[0].procedure}'")))

    problems += check_referrals(data_dir / "referrals.yml")

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
