"""Vietnamese alphabetical order, for the lists officers pick from: letters
in the order of the Vietnamese alphabet (a ă â b c d đ e ê g h i ... o ô ơ
... u ư v x y), case ignored, the tones only breaking ties (a à ả ã á ạ), as
in a Vietnamese dictionary. Python's own order would put "Đăng ký" after
"Xác nhận" and "Thông báo" before "Tách hộ"."""

from __future__ import annotations

import unicodedata
from typing import Tuple

# the Vietnamese alphabet, with the Latin letters it lacks (f j w z) where Latin has them
ALPHABET = "aăâbcdđefghijklmnoôơpqrstuưvwxyz"
RANK = {letter: rank for rank, letter in enumerate(ALPHABET)}
# tone marks (NFD), in dictionary order after the level tone: huyền, hỏi, ngã, sắc, nặng
TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def sort_key(text: str) -> Tuple[tuple, tuple, str]:
    """Sort Vietnamese text with ``sorted(names, key=sort_key)``."""
    letters, tones = [], []  # per character: its letter (with ă â ê ô ơ ư's own marks) and its tone
    for char in unicodedata.normalize("NFD", text.casefold()):
        if char in TONES and letters:
            tones[-1] = TONES[char]
        elif unicodedata.combining(char) and letters:
            letters[-1] = unicodedata.normalize("NFC", letters[-1] + char)  # breve, circumflex, horn
        else:
            letters.append(char)
            tones.append(0)
    # anything but a letter (spaces, digits, punctuation) comes before the letters, by code point
    primary = tuple((1, RANK[c]) if c in RANK else (0, ord(c[0])) for c in letters)
    return primary, tuple(tones), text
