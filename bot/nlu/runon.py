"""Words typed run together on a phone ("dangky tamtru", "giahantamtru"):
found again as the Vietnamese words they are made of.

The words come from the word list that underthesea installs with itself
(``corpus/data/Viet22K.txt``: no download), plus the caller's own words
("hộ chiếu" rather than "học hiểu" for "hochieu"). Read by the tokenizer (its
features), by ``bot.nlu.lexicon.Spelling`` (phrase matching) and by
``bot.nlu.telex`` (a stray key in one word), so no Rasa import here.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from importlib.util import find_spec

from bot.nlu.text import canonical, fold

# found without importing underthesea (the Zalo intake's emergency check reads Telex through bot/nlu/telex.py)
WORD_LIST = Path(find_spec("underthesea").origin).parent / "corpus" / "data" / "Viet22K.txt"
# shorter runs are too often a word of another language or a name ("online", "zalo")
MIN_LETTERS = 6
MAX_WORD_LETTERS = 16
# a word the caller knows costs less than one of the word list: "ho chieu" before "hoc hieu"
KNOWN_WORD_COST = 0.9


@lru_cache(maxsize=1)
def word_list() -> Tuple[Dict[str, Tuple[str, ...]], frozenset]:
    """The word list folded: {syllables run together: syllables}, and the set
    of its one-syllable words."""
    words: Dict[str, Tuple[str, ...]] = {}
    if WORD_LIST.exists():
        for line in WORD_LIST.read_text(encoding="utf-8").splitlines():
            syllables = tuple(fold(canonical(line)).split())
            if 1 <= len(syllables) <= 4 and all(s.isalpha() and len(s) >= 2 for s in syllables):
                words.setdefault("".join(syllables), syllables)
    return words, frozenset(k for k, v in words.items() if len(v) == 1)


@lru_cache(maxsize=1)
def syllables() -> frozenset:
    """Every syllable of the word list's words, folded: "phuong" is one (of "địa phương")
    though no word of the list is "phuong" alone."""
    return frozenset(s for words in word_list()[0].values() for s in words)


class RunOn:
    """Splits a word typed run together into its syllables."""

    def __init__(self, known: Iterable[str] = ()):
        self.known: Dict[str, Tuple[str, ...]] = {}
        for phrase in known:
            syllables = tuple(fold(canonical(str(phrase))).split())
            if len(syllables) > 1 and all(s.isalpha() for s in syllables):
                self.known["".join(syllables)] = syllables

    def split(self, word: str) -> Optional[List[Tuple[str, ...]]]:
        """The words (each its syllables) of ``word`` (folded) when it is no
        word itself and is made of dictionary words, at least one of several
        syllables ("dangkytamtru" -> (dang, ky), (tam, tru)); else None
        ("online", "nguoi")."""
        listed, syllables = word_list()
        if len(word) < MIN_LETTERS or not word.isalpha() or not word.isascii() or word in syllables:
            return None
        # fewest words, those the caller knows counting a little less: best[i] = (cost, words)
        best: List[Optional[Tuple[float, Tuple[Tuple[str, ...], ...]]]] = [None] * (len(word) + 1)
        best[0] = (0.0, ())
        for i in range(len(word)):
            if best[i] is None:
                continue
            for j in range(i + 2, min(len(word), i + MAX_WORD_LETTERS) + 1):
                piece = word[i:j]
                found = self.known.get(piece)
                cost = KNOWN_WORD_COST if found else 1.0
                found = found or listed.get(piece)
                if found and (best[j] is None or best[i][0] + cost < best[j][0]):
                    best[j] = (best[i][0] + cost, best[i][1] + (found,))
        result = best[len(word)]
        if result is None or len(result[1]) < 2 and len(result[1][0]) < 2:
            return None
        if not any(len(w) > 1 for w in result[1]):
            return None  # only one-syllable words: as likely another language ("korean" -> ko re an)
        return list(result[1])
