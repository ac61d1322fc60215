"""Writing a reviewed message into the content files, as content staff would
by hand: a new example of a procedure (data/procedures/<domain>/<id>.yml,
``examples:``) or of another agency's matter (data/referrals.yml).

The line is added at the end of the ``examples:`` list, in the file's own
indentation and quoting, every other line of the file kept as it is
(comments included). A message that is already an example anywhere (the
same words without diacritics, case or punctuation) is refused; the
knowledge base is then checked (bot/knowledge/validate.py) and a file that
no longer passes is put back as it was. One edit at a time (a lock on the
content folder), whichever process makes it.

The folder is ``bot.core.paths.DATA`` (``CONTENT_DIR`` in tests)."""

from __future__ import annotations

import fcntl
import json
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import yaml

from bot.core import paths
from bot.knowledge.store import load
from bot.knowledge.validate import check
from bot.review.grouping import group_key


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: reading every example takes milliseconds


class ContentError(Exception):
    """Why the edit was refused (Vietnamese, shown to content staff)."""


class Unknown(ContentError):
    """No such message, procedure or agency."""


def content_dir(data_dir: Optional[Path] = None) -> Path:
    return Path(data_dir) if data_dir else paths.DATA


@contextmanager
def _locked(data_dir: Path) -> Iterator[None]:
    fd = os.open(data_dir, os.O_RDONLY)  # a lock on the folder itself: no lock file in data/
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _read(path: Path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}


def known_examples(data_dir: Optional[Path] = None) -> Dict[str, str]:
    """Every example of the content folder by its group key -> where it is
    (a procedure id, "topic.<id>", "referral:<id>", or an intent of data/nlu/)."""
    data_dir = content_dir(data_dir)
    found: Dict[str, str] = {}

    def add(texts, where):
        for text in texts or []:
            found.setdefault(group_key(str(text)), where)

    for path in sorted((data_dir / "procedures").rglob("*.yml")):
        data = _read(path)
        if path.name == "topics.yml":
            for topic in data.get("topics") or []:
                add(topic.get("examples"), f"topic.{topic.get('id')}")
        else:
            add(data.get("examples"), str(data.get("id")))
    for referral in _read(data_dir / "referrals.yml").get("referrals") or []:
        add(referral.get("examples"), f"referral:{referral.get('id')}")
    for path in sorted((data_dir / "nlu").glob("*.yml")):
        for entry in _read(path).get("nlu") or []:
            if isinstance(entry, dict) and isinstance(entry.get("examples"), str):
                add([line.strip()[1:].strip() for line in entry["examples"].splitlines() if line.strip().startswith("-")],
                    str(entry.get("intent")))
    return found


def _scalar(text: str, quoted: bool) -> str:
    """``text`` as a YAML list item's value: plain when the file's items are
    plain and it reads back unchanged, else double-quoted."""
    if not quoted:
        try:
            if yaml.safe_load(f"- {text}") == [text]:
                return text
        except yaml.YAMLError:
            pass
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _append_item(lines: List[str], key_line: int, text: str) -> List[str]:
    """``lines`` with ``text`` added after the last item of the block list
    whose key is on ``key_line`` (or a new list if the key has none)."""
    key_indent = len(lines[key_line]) - len(lines[key_line].lstrip())
    last, item_indent, quoted = key_line, None, False
    for i in range(key_line + 1, len(lines)):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            continue
        indent = len(line) - len(line.lstrip())
        if indent < key_indent or (indent == key_indent and not stripped.startswith("- ")):
            break  # the next key (or a comment at its level)
        if item_indent is None and stripped.startswith("- "):
            item_indent = indent
            quoted = stripped[2:].lstrip().startswith('"')
        last = i
    rest = lines[key_line].split(":", 1)[1].strip()
    if rest and not rest.startswith("#"):
        raise ContentError("Danh sách câu ví dụ trong tệp không ở dạng từng dòng '- ...': hãy sửa tay.")
    indent = " " * (item_indent if item_indent is not None else key_indent + 2)
    return lines[:last + 1] + [f"{indent}- {_scalar(text, quoted)}\n"] + lines[last + 1:]


def _examples_line(lines: List[str], indent: int, start: int = 0, end: Optional[int] = None) -> Optional[int]:
    pattern = re.compile(r"^" + " " * indent + r"examples:(\s|$)")
    return next((i for i in range(start, len(lines) if end is None else end) if pattern.match(lines[i])), None)


def _write_checked(path: Path, new_text: str, data_dir: Path, read_back) -> None:
    """Write the file; put it back as it was if it does not read back with
    the example or the knowledge base then has an error."""
    old = path.read_text(encoding="utf-8")
    path.write_text(new_text, encoding="utf-8")
    try:
        try:
            ok = read_back(yaml.safe_load(new_text))
        except yaml.YAMLError:
            ok = False
        if not ok:
            raise ContentError("Không thêm được câu ví dụ vào tệp (tệp đọc lại không đúng); tệp được giữ nguyên.")
        errors = [p for p in check(load(data_dir), data_dir) if p.severity == "error"]
        if errors:
            raise ContentError("Nội dung sau khi thêm không hợp lệ, tệp được giữ nguyên: "
                               + "; ".join(p.message for p in errors[:3]))
    except BaseException:
        path.write_text(old, encoding="utf-8")
        raise


def _refuse_duplicate(text: str, data_dir: Path) -> None:
    key = group_key(text)
    if not key:
        raise ContentError("Câu hỏi trống, không thêm được.")
    where = known_examples(data_dir).get(key)
    if where:
        raise ContentError(f"Câu này đã là câu ví dụ (của {where}), không thêm lần nữa.")


def add_procedure_example(procedure_id: str, text: str, data_dir: Optional[Path] = None) -> Path:
    """Add ``text`` to the examples of a procedure; the file changed."""
    data_dir, text = content_dir(data_dir), " ".join(text.split())
    with _locked(data_dir):
        domain, _, name = procedure_id.partition(".")
        path = data_dir / "procedures" / domain / f"{name}.yml"
        if procedure_id not in procedure_ids(data_dir) or not name or not path.is_file():
            raise Unknown(f"Không có thủ tục '{procedure_id}'.")
        _refuse_duplicate(text, data_dir)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        key_line = _examples_line(lines, 0)
        if key_line is None:
            lines += ["examples:\n"]
            key_line = len(lines) - 1
        before = [str(e).strip() for e in _read(path).get("examples") or []]
        _write_checked(path, "".join(_append_item(lines, key_line, text)), data_dir,
                       lambda data: [str(e).strip() for e in data.get("examples") or []] == before + [text])
        return path


def add_referral_example(agency: str, text: str, data_dir: Optional[Path] = None) -> Path:
    """Add ``text`` to the examples of another agency's matter (data/referrals.yml); the file."""
    data_dir, text = content_dir(data_dir), " ".join(text.split())
    path = data_dir / "referrals.yml"
    with _locked(data_dir):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries = [r for r in data.get("referrals") or [] if isinstance(r, dict)]
        entry = next((r for r in entries if r.get("id") == agency), None)
        if entry is None:
            raise Unknown(f"Không có cơ quan '{agency}' trong data/referrals.yml.")
        _refuse_duplicate(text, data_dir)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        start_re = re.compile(r"^(\s*)- id:\s*['\"]?" + re.escape(agency) + r"['\"]?\s*(#.*)?$")
        start = next(i for i, line in enumerate(lines) if start_re.match(line.rstrip("\n")))
        dash = len(start_re.match(lines[start].rstrip("\n")).group(1))
        end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() and not lines[i].lstrip().startswith("#")
                    and len(lines[i]) - len(lines[i].lstrip()) <= dash), len(lines))
        key_line = _examples_line(lines, dash + 2, start, end)
        if key_line is None:  # the matter has no examples yet: the key after its last line
            last = max(i for i in range(start, end) if lines[i].strip())
            lines.insert(last + 1, " " * (dash + 2) + "examples:\n")
            key_line = last + 1
        before = [str(e) for e in entry.get("examples") or []]

        def read_back(new):
            again = next(r for r in new.get("referrals") or [] if isinstance(r, dict) and r.get("id") == agency)
            return [str(e) for e in again.get("examples") or []] == before + [text]

        _write_checked(path, "".join(_append_item(lines, key_line, text)), data_dir, read_back)
        return path


def procedures_by_domain(data_dir: Optional[Path] = None) -> List[Dict[str, object]]:
    """The catalogue's procedures grouped by domain: [{domain, name, procedures: [{id, name}]}]."""
    catalogue = _read(content_dir(data_dir) / "procedure_catalogue.yml")
    listed = [{"domain": domain, "name": str(name),
               "procedures": [{"id": str(p["id"]), "name": str(p["name"])} for p in catalogue.get("procedures") or []
                              if str(p["id"]).split(".", 1)[0] == domain]}
              for domain, name in (catalogue.get("domains") or {}).items()]
    return [d for d in listed if d["procedures"]]


def procedure_ids(data_dir: Optional[Path] = None) -> List[str]:
    return [p["id"] for d in procedures_by_domain(data_dir) for p in d["procedures"]]


def agencies(data_dir: Optional[Path] = None) -> List[Dict[str, str]]:
    """The other agencies' matters (id, matter), for a choice."""
    data = yaml.safe_load((content_dir(data_dir) / "referrals.yml").read_text(encoding="utf-8")) or {}
    return [{"id": str(r["id"]), "matter": " ".join(str(r.get("matter") or r["id"]).split())}
            for r in data.get("referrals") or [] if isinstance(r, dict) and r.get("id")]
