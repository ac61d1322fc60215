"""Vietnamese text normalisation as people type it on phones.

Everything here is a pure function of its input. Two properties matter:

* ``compose`` and ``fold`` are *length-preserving maps with an offset table*,
  so a token found in normalised text can always be cut back out of the
  original message verbatim (Rasa requires token texts to be substrings).
* ``fold`` removes tones, vowel quality marks and case (``Đăng Ký`` -> ``dang
  ky``), so a message typed without diacritics lands on the same features as
  the same message typed with them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property, lru_cache
from typing import Dict, Iterable, List, Optional, Tuple

# Combining marks Vietnamese uses for its five tones.
TONE_MARKS = {
    "\u0300",  # huyền  (à)
    "\u0301",  # sắc    (á)
    "\u0303",  # ngã    (ã)
    "\u0309",  # hỏi    (ả)
    "\u0323",  # nặng   (ạ)
}
# Combining marks that change vowel quality (â ê ô / ă / ơ ư).
QUALITY_MARKS = {"\u0302", "\u0306", "\u031b"}
VOWELS = set("aeiouy")

_WORD_RUN = re.compile(r"\w+")


def compose(text: str) -> Tuple[str, List[Tuple[int, int]]]:
    """Return ``text`` in NFC with canonical tone placement, plus an offset map.

    ``spans[i]`` is the ``(start, end)`` range of the original text that
    character ``i`` of the result came from. Decomposed input (base letter
    followed by combining marks, as some Android keyboards send) is composed
    cluster by cluster so the map stays exact.
    """
    if unicodedata.is_normalized("NFC", text) and not any(map(unicodedata.combining, text)):
        # as most messages come: every character composed already, and its own cluster
        return _placed(text), [(i, i + 1) for i in range(len(text))]
    out: List[str] = []
    spans: List[Tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        cluster = unicodedata.normalize("NFC", text[i:j])
        for ch in cluster:
            out.append(ch)
            spans.append((i, j))
        i = j
    return _placed("".join(out)), spans


def _placed(composed: str) -> str:
    """Each syllable's tone on the vowel the standard puts it (``place_tone``)."""
    placed = _WORD_RUN.sub(lambda m: place_tone(m.group(0)), composed)
    if len(placed) != len(composed):  # pragma: no cover - place_tone preserves length
        placed = composed
    return placed


@lru_cache(maxsize=65536)  # a few thousand syllables make most messages
def place_tone(syllable: str) -> str:
    """Put the tone mark of one syllable on the vowel the standard puts it.

    ``hoà`` -> ``hòa``, ``thuý`` -> ``thúy``, ``hoàn`` stays, ``quá`` stays.
    Uses the "old" placement (the one underthesea and most keyboards produce):
    a vowel with a quality mark takes the tone; otherwise, with no final
    consonant, a two-vowel nucleus takes it on the first vowel and a
    three-vowel nucleus on the middle one; with a final consonant, the last
    vowel. Anything that is not a single well-formed syllable is returned
    unchanged. Length is preserved.
    """
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = [c for c in decomposed if c in TONE_MARKS]
    if len(tones) != 1:
        return syllable
    tone = tones[0]
    # letters: list of [base, marks-without-tone]
    letters: List[List[str]] = []
    for c in decomposed:
        if unicodedata.combining(c):
            if not letters:
                return syllable
            if c != tone:
                letters[-1][1] += c
        else:
            letters.append([c, ""])
    if len(letters) != len(syllable):
        return syllable

    lower = [b.lower() for b, _ in letters]
    # Onsets "qu" and "gi" (before another vowel) keep their vowel out of the nucleus.
    start = 0
    while start < len(lower) and lower[start] not in VOWELS:
        start += 1
    if start == len(lower):
        return syllable
    onset = "".join(lower[:start])
    if (onset == "q" and lower[start] == "u") or (
        onset == "g" and lower[start] == "i" and start + 1 < len(lower) and lower[start + 1] in VOWELS
    ):
        start += 1
    end = start
    while end < len(lower) and lower[end] in VOWELS:
        end += 1
    nucleus = list(range(start, end))
    if not nucleus or any(ch in VOWELS for ch in lower[end:]):
        return syllable
    has_final = end < len(lower)

    marked = [i for i in nucleus if letters[i][1] and set(letters[i][1]) & QUALITY_MARKS]
    if marked:
        target = marked[-1]  # ươ -> ơ
    elif has_final:
        target = nucleus[-1]
    elif len(nucleus) == 3:
        target = nucleus[1]
    elif len(nucleus) == 2:
        target = nucleus[0]
    else:
        target = nucleus[0]

    rebuilt = []
    for idx, (base, marks) in enumerate(letters):
        piece = base + marks + (tone if idx == target else "")
        rebuilt.append(unicodedata.normalize("NFC", piece))
    result = "".join(rebuilt)
    return result if len(result) == len(syllable) else syllable


def fold_char(ch: str) -> str:
    """One character without tone, quality marks or case: ``Ự`` -> ``u``."""
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0]
    low = base.lower()
    return low if len(low) == 1 else base


class _FoldTable(dict):
    """``str.translate``'s table for ``fold``: each character's fold, made the first time it is met."""

    def __missing__(self, code: int) -> str:
        self[code] = folded = fold_char(chr(code))
        return folded


_FOLD_TABLE = _FoldTable()


@lru_cache(maxsize=16384)  # phrases of the knowledge base are folded on every question
def fold(text: str) -> str:
    """``text`` without diacritics and in lower case, same length as NFC input."""
    return text.translate(_FOLD_TABLE)


@lru_cache(maxsize=16384)
def canonical(text: str) -> str:
    """NFC, canonical tone placement, lower case, single spaces."""
    composed, _ = compose(text)
    return " ".join(composed.lower().split())


def is_wordlike(text: str) -> bool:
    """True if the text holds at least one letter or digit (not only emoji or punctuation)."""
    return any(ch.isalnum() for ch in text)


_BARE_NUMBER = re.compile(r"^(?:so\s*)?(\d{1,3})(?:\s*(?:a|nhe|nha))?$")  # "6", "số 6", "6 ạ", "6."


def bare_number(text: str) -> Optional[int]:
    """The number a message is made of alone ("6", "số 6", "6 ạ"), or None.
    Such a message only means something as the answer to a question."""
    match = _BARE_NUMBER.match(" ".join(re.sub(r"[^\w\s]", " ", fold(canonical(text))).split()))
    return int(match.group(1)) if match else None


def _has_diacritics(text: str) -> bool:
    return fold(text) != text.lower()


@lru_cache(maxsize=16384)
def _whole_words(needle: str) -> "re.Pattern[str]":
    return re.compile(r"(?<!\w)" + re.escape(needle) + r"(?!\w)")


class Phrases(tuple):
    """Phrases looked for in every message (a knowledge base's, a referral's):
    each one's canonical and folded forms made once, and the phrases indexed
    by the first word of their folded form, so that ``find_phrases`` only
    compares a message with the phrases whose first word it holds. The same
    matches as a plain list, in the same order."""

    @cached_property
    def _forms(self) -> List[Tuple[str, str, str]]:
        return [(p, canonical(p), fold(canonical(p))) for p in self]

    @cached_property
    def _by_first_word(self) -> Tuple[Dict[str, List[int]], frozenset, List[int]]:
        index: Dict[str, List[int]] = {}
        always = []  # phrases that do not start with a word character
        for i, (_, _, folded) in enumerate(self._forms):
            first = _WORD_RUN.match(folded)
            (index.setdefault(first.group(), []) if first else always).append(i)
        return index, frozenset(index), always

    def forms_in(self, folded_message: str) -> List[Tuple[str, str, str]]:
        """(phrase, canonical, folded) of the phrases that may be in the message."""
        index, first_words, always = self._by_first_word
        hits = [i for word in first_words & _words(folded_message) for i in index[word]]
        return [self._forms[i] for i in sorted(hits + always)]


@lru_cache(maxsize=4096)
def _words(folded: str) -> frozenset:
    return frozenset(_WORD_RUN.findall(folded))


def find_phrases(text: str, phrases: Iterable[str], exact: bool = False,
                 slips: bool = True) -> List[Tuple[int, int, str]]:
    """Every phrase found in ``text`` as whole words: (start, end, phrase), in
    the canonical text's coordinates.

    Typed with diacritics, the phrase must match with its diacritics ("màu"
    is not "mẫu"), except in the words typed without any ("tình trang hôn
    nhân" is "tình trạng hôn nhân"), unless ``exact`` (words that are others
    without their marks: "may" is not "mấy"); typed without, it matches
    without. ``slips``: a phrase of several words also matches with a mark
    left out or one tone wrong (``_slips``); not for words that must not be
    taken for a look-alike ("thuế ở" is no "thuê ở").
    """
    message = canonical(text)
    accented = _has_diacritics(message)
    folded = fold(message)
    haystack = message if accented else folded
    found = []
    forms = phrases.forms_in(folded) if isinstance(phrases, Phrases) else (
        (p, canonical(p), fold(canonical(p))) for p in phrases)
    for phrase, phrase_canonical, phrase_folded in forms:
        if phrase_folded not in folded:  # every match below is one of the folded phrase: most phrases end here
            continue
        pattern = _whole_words(phrase_canonical) if accented and exact else _phrase_pattern(phrase_canonical, accented)
        if pattern is None:
            continue
        strict = [(m.start(), m.end(), phrase) for m in pattern.finditer(haystack)]
        found += strict
        if accented and " " in phrase and not exact and slips:
            found += [(start, end, phrase) for start, end in _slips(message, folded, phrase_canonical)
                      if not any(s == start for s, _, _ in strict)]
    return found


def _slips(message: str, folded: str, phrase: str) -> List[Tuple[int, int]]:
    """Where a phrase of several words is typed with a mark left out on some
    of its words ("lần đàu", "thât lạc"), or a wrong tone on one of them
    ("hộ chiều"): same letters, at least one word typed exactly as in the
    phrase ("bí mật" is not "bị mất"), and no other mark the phrase lacks
    ("mấy tháng" is not "mấy thằng")."""
    words = phrase.split(" ")
    spans = []
    for m in _whole_words(fold(phrase)).finditer(folded):
        typed = message[m.start():m.end()].split(" ")
        if len(typed) != len(words) or not any(t == w for t, w in zip(typed, words)):
            continue
        if " ".join(typed).lower() in _OTHER_WORDS:
            continue  # a word of its own, not a slip: "con dâu" (daughter-in-law) is no "con dấu"

        slips = [_marks_left_out(t, w) or (_toneless(t) == _toneless(w) and "tone") for t, w in zip(typed, words)]
        if all(slips) and slips.count("tone") <= 1:
            spans.append((m.start(), m.end()))
    return spans


# words typed exactly that are one tone away from a phrase but mean something else
_OTHER_WORDS = {"con dâu", "nàng dâu"}

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def _toneless(word: str) -> str:
    """The word without its tone mark, its other marks kept ("chiều" -> "chiêu")."""
    return unicodedata.normalize("NFC", "".join(c for c in unicodedata.normalize("NFD", word) if c not in _TONES))


def _marks_left_out(typed: str, word: str) -> bool:
    """Whether ``typed`` is ``word`` with none, some or all of its marks left
    out (or a hook typed as a tilde, or the other way round)."""
    if len(typed) != len(word):
        return False
    for t, w in zip(typed, word):
        if t == w or (t == "d" and w == "đ"):
            continue
        t_base, *t_marks = unicodedata.normalize("NFD", t)
        w_base, *w_marks = unicodedata.normalize("NFD", w)
        if t_base != w_base or not {_HOI_NGA.get(m, m) for m in t_marks} <= {_HOI_NGA.get(m, m) for m in w_marks}:
            return False
    return True


# the hook (hỏi) and the tilde (ngã) are told apart by few: "biễn tạm" is "biển tạm"
_HOI_NGA = {"\u0303": "\u0309"}


@lru_cache(maxsize=16384)
def _phrase_pattern(phrase: str, accented: bool) -> "Optional[re.Pattern[str]]":
    """A canonical phrase as a whole-word pattern; in a message typed with
    diacritics each word also matches itself typed without them."""
    if not phrase:
        return None
    if not accented:
        return _whole_words(fold(phrase))
    words = [re.escape(w) if fold(w) == w else f"(?:{re.escape(w)}|{re.escape(fold(w))})" for w in phrase.split(" ")]
    return re.compile(r"(?<!\w)" + " ".join(words) + r"(?!\w)")


def find_phrase(text: str, phrases: Iterable[str], exact: bool = False) -> Optional[Tuple[int, int, str]]:
    """The longest phrase found in ``text`` as whole words (see ``find_phrases``)."""
    best = None
    for found in find_phrases(text, phrases, exact):
        if best is None or found[1] - found[0] > best[1] - best[0]:
            best = found
    return best
