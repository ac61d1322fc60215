"""Personal data taken out of a citizen's message before staff read it or it
is written into data/: phone numbers, identity numbers, plate numbers and
names the citizen gives ("tôi là Nguyễn Văn An"), replaced by placeholders.

``mask(text)`` is the one function; it works on messages typed with or
without diacritics and keeps everything else of the message as typed.
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from bot.nlu.text import compose, fold

PHONE = "[số điện thoại]"
IDENTITY = "[số định danh]"
PLATE = "[biển số]"
NAME = "[tên]"
EMAIL = "[email]"

# 51F-123.45, 29A1-12345, 59-X3 123.45, 30E 12345, 29LD-012.34, 51f12345
_PLATE = re.compile(r"(?<![\w.])\d{2}\s?-?\s?(?:[A-ZĐ]{1,2}\d?|[A-ZĐ]\d{2})\s?-?\s?(?:\d{3}\.?\d{2}|\d{4})(?![\w])",
                    re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# a number as people type it: digits in groups separated by one space, dot or dash
_NUMBER = re.compile(r"(?<![\w.])\+?\d+(?:[ .\-]\d+)*(?![\w])")

# Words that introduce the citizen's name, folded. After these the next
# words are a name only if they look like one (capitalised, or a family name).
_SELF = ["toi la", "em la", "minh la", "tui la", "chau la", "con la", "anh la", "chi la"]
# After these the next words are a name whatever their case.
_NAMED = ["ten toi la", "ten em la", "ten minh la", "ten con la", "ten chau la", "ten la", "toi ten la",
          "em ten la", "minh ten la", "toi ten", "em ten", "minh ten", "ho ten", "ho va ten", "ho ten la"]
# Family names as written, so a lower-case "hộ" is not "Hồ" (typed without
# diacritics, the folded form is enough).
_FAMILY_NAMES = {fold(n): n for n in (
    "nguyễn", "trần", "lê", "phạm", "hoàng", "huỳnh", "phan", "vũ", "võ", "đặng", "bùi", "đỗ", "hồ", "ngô",
    "dương", "lý", "đinh", "trịnh", "trương", "đoàn", "lâm", "mai", "lương", "hà", "cao", "tô", "tạ", "châu",
    "lữ", "quách", "tăng", "thái", "kiều", "triệu", "lưu", "khúc", "tống", "nghiêm", "âu", "hứa", "văn",
)}
# Words that end a name typed in lower case (what usually follows it), folded.
_AFTER_NAME = {
    "o", "sinh", "nha", "so", "sdt", "dt", "muon", "can", "hoi", "xin", "nay", "hien", "dang", "co",
    "cho", "thuong", "tam", "que", "la", "va", "toi", "em", "minh", "xe", "bi", "lam", "de", "khong", "ko",
    "da", "roi", "thi", "ma", "vua", "moi", "den", "tu", "tai", "chu", "nguoi", "cong", "a", "ad", "day",
}
_MAX_NAME_WORDS = 4


def mask(text: str) -> str:
    """The message with personal data replaced by placeholders."""
    if not text:
        return text or ""
    text, _ = compose(text)  # NFC: folding then keeps every offset
    text = _EMAIL.sub(EMAIL, text)
    text = _PLATE.sub(PLATE, text)
    text = _NUMBER.sub(_number, text)
    return _names(text)


def _digits(groups: List[str]) -> str:
    return "".join(re.sub(r"\D", "", g) for g in groups)


def _kind(groups: List[str], seps: List[str]) -> Optional[str]:
    digits = _digits(groups)
    if (not digits.startswith("0") and len(groups) > 1 and set(seps) == {"."} and len(groups[0]) <= 3
            and all(len(g) == 3 for g in groups[1:])):
        return None  # an amount: 100.000.000 đồng
    international = groups[0].startswith("+") or (groups[0].startswith("84") and len(digits) == 11)
    if international and len(digits) in (11, 12) and digits.startswith("84"):
        return PHONE
    if digits.startswith("0") and len(digits) in (10, 11) and not (len(groups) > 1 and len(digits) == 12):
        return PHONE
    if len(digits) in (9, 12):
        return IDENTITY
    return None


def _number(match: "re.Match[str]") -> str:
    """A run of digit groups: the phone and identity numbers in it masked
    (leftmost, longest first: "sinh năm 1990 0912 345 678" keeps the year)."""
    run = match.group(0)
    pieces = re.split(r"([ .\-])", run)  # groups at even places, separators between
    groups, seps = pieces[0::2], pieces[1::2]
    out, i = [], 0
    while i < len(groups):
        for j in range(len(groups), i, -1):
            kind = _kind(groups[i:j], seps[i:j - 1])
            if kind:
                out.append(kind)
                if j < len(groups):
                    out.append(seps[j - 1])
                i = j
                break
        else:
            out.append(groups[i])
            if i < len(seps):
                out.append(seps[i])
            i += 1
    return "".join(out)


_WORD = re.compile(r"[^\W\d_]+")


def _names(text: str) -> str:
    folded = fold(text)
    spans = []
    for phrases, any_case in ((_NAMED, True), (_SELF, False)):
        for phrase in phrases:
            for m in re.finditer(r"(?<!\w)" + re.escape(phrase) + r"\s*:?\s*", folded):
                span = _name_after(text, folded, m.end(), any_case)
                if span and not any(s < span[1] and span[0] < e for s, e in spans):
                    spans.append(span)
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + NAME + text[end:]
    return text


def _name_after(text: str, folded: str, at: int, any_case: bool) -> Optional[Tuple[int, int]]:
    """(start, end) of the name starting at ``at``, or None when the words
    there do not look like a name ("tôi là sinh viên"). A capitalised name
    runs over the capitalised words; one typed in lower case must start with
    a family name (unless ``any_case``: after "tên tôi là") and ends at a
    word that usually follows a name ("sinh", "ở", "muốn"...)."""
    words: List[Tuple[int, int]] = []
    capitalised = None
    for m in _WORD.finditer(text, at):
        if text[words[-1][1] if words else at:m.start()].strip():
            break  # punctuation ends the name
        word, plain = m.group(0), folded[m.start():m.end()]
        if capitalised is None:
            capitalised = word[0].isupper()
            family = _FAMILY_NAMES.get(plain)
            typed_as_family = family is not None and word.lower() in (family, plain)
            if not capitalised and (plain in _AFTER_NAME or not (any_case or typed_as_family)):
                return None
        elif word[0].isupper() != capitalised or (not capitalised and plain in _AFTER_NAME):
            break
        words.append((m.start(), m.end()))
        if len(words) == _MAX_NAME_WORDS:
            break
    return (words[0][0], words[-1][1]) if words else None
