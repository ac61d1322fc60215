"""The lexicon file (data/lexicon.yml): abbreviations and compound words.
Read by the tokenizer (a Rasa component) and by the answers, in processes
that never load Rasa's NLU (the web server): so no Rasa import here."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Tuple

import yaml

from bot.core.paths import DATA
from bot.nlu.runon import RunOn, syllables
from bot.nlu.text import canonical, fold

_WORD = re.compile(r"\w+")
# an age typed short: "đủ 14t", "con 5t"
_AGE = re.compile(r"\b(\d{1,2})t\b")


def read_lexicon(path: Path) -> Dict[str, Any]:
    """The raw lexicon file: ``abbreviations`` (word -> meaning(s)) and ``compounds``."""
    if not path.exists():
        return {"abbreviations": {}, "compounds": []}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        "abbreviations": data.get("abbreviations") or {},
        "compounds": data.get("compounds") or [],
    }


class Spelling:
    """Phone abbreviations spelled out, for matching phrases: the same for
    a citizen's message and for the phrases of the content files ("mất
    GPLX" is looked for as "mất giấy phép lái xe", as the message reads
    once spelled out)."""

    def __init__(self, abbreviations: Dict[str, str], known: Iterable[str] = ()):
        self.meanings = {canonical(str(k)): str(v) for k, v in abbreviations.items() if isinstance(v, str)}
        self.typed_plain = {fold(k): m for k, m in self.meanings.items()}
        # words typed run together ("dangky tamtru") are split into these words first, then the word list's
        self.run_on = RunOn(list(known) + list(self.meanings.values()))

    def expand(self, text: str) -> str:
        """The text with phone abbreviations spelled out (``mat cccd`` -> ``mat
        can cuoc cong dan``), words typed run together apart (``dangky`` ->
        ``dang ky``) and short ages ("14t": 14 tuổi); typed without
        diacritics, the meaning is inserted without them too."""
        message = canonical(text)
        plain = fold(message) == message

        def spell(match: "re.Match[str]") -> str:
            # an abbreviation as written ("đk") or typed without diacritics ("dk"); a word
            # with a tone mark is a word ("ạ" is not "a" = anh)
            word = match.group(0)
            meaning = self.meanings.get(word) or (self.typed_plain.get(word) if fold(word) == word else None)
            if meaning is None:
                # a syllable is a word ("phuong" is no "phú ông"); the tokenizer's split keeps its
                # narrower test, the one its model was trained with (README, later session of 2026-12-06)
                parts = self.run_on.split(word) if fold(word) == word and word not in syllables() else None
                return " ".join(s for w in parts for s in w) if parts else word
            return fold(meaning) if plain else meaning

        message = _AGE.sub(lambda m: m.group(1) + (" tuoi" if plain else " tuổi"), message)
        return _WORD.sub(spell, message)

    def with_spelled_out(self, phrases: Iterable[str]) -> List[str]:
        """The phrases, and each one holding an abbreviation spelled out too."""
        phrases = list(phrases)
        written = {canonical(p) for p in phrases}
        return phrases + [e for e in dict.fromkeys(self.expand(p) for p in phrases) if e not in written]


def spelling(data_dir: Path = DATA, known: Tuple[str, ...] = ()) -> Spelling:
    """The abbreviations of ``data_dir``'s lexicon.yml, read again when the
    file changes (content staff edit it while the assistant runs); ``known``:
    words that a word typed run together is first looked for in."""
    path = data_dir / "lexicon.yml"
    return _spelling(path, path.stat().st_mtime_ns if path.exists() else 0, known)


@lru_cache(maxsize=4)
def _spelling(path: Path, changed: int, known: Tuple[str, ...]) -> Spelling:
    lexicon = read_lexicon(path)
    return Spelling(lexicon["abbreviations"], known + tuple(" ".join(map(str, c)) if isinstance(c, list) else str(c)
                                                            for c in lexicon["compounds"]))
