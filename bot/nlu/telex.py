"""Messages typed in Telex with the Vietnamese keyboard off.

Vietnamese keyboards on computers and some phones use Telex: "cuwus" is
typed for "cứu", "ddawng kys" for "đăng ký". With the input method off, or
the wrong keyboard chosen, the keystrokes arrive as they were typed:
"maats cawn cuowcs lamf laij owr ddaau". No word of that is Vietnamese, so
nothing downstream understands it. ``untelex`` turns such a message back
into what its writer meant; messages that are not Telex come back unchanged.

A word is read as Telex only when it is not a Vietnamese syllable as typed
and becomes one when decoded: a tone key at its end (s f r x j: no
Vietnamese syllable ends in those letters), or a mark key inside (dd, aa,
aw, ee, oo, ow, uw, or w after a consonant; "w" at the start is teencode's
"qu": "wa" is "quá"). A message is decoded only when such words make up a
good share of it (a quarter if they hold mark keys, else 40 % and at least
two), so a stray word ("hix") stays as it is.

``bot.nlu.telex_decoder.TelexDecoder`` runs it first in the NLU pipeline:
every channel and every later component (tokenizer, classifier, the word
rules, the answers) reads the decoded text, while the conversation keeps
what was typed. The Zalo intake's emergency check decodes too
(bot/safety/sos.py).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Optional


from bot.nlu.text import place_tone

TONE_KEYS = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
# mark keys, longest first: the letter each stands for ("w" after a consonant: "tw" is "tư")
MARKS = [("uow", "ươ"), ("dd", "đ"), ("aa", "â"), ("aw", "ă"), ("ee", "ê"), ("oo", "ô"),
         ("ow", "ơ"), ("uw", "ư"), ("w", "ư")]
SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
    r"([aăâeêioôơuưy]{1,3})"
    r"(ch|ng|nh|[cmnpt])?$"
)
# words spelt with a mark key that are not Telex: xoong, boong…; "sos"
NOT_TELEX = {"xoong", "boong", "coong", "soong", "moong", "loong", "toong", "sos"}
# a message is decoded when this share of its words is Telex (or this share holds a mark key)
MIN_SHARE, MIN_SHARE_MARKED = 0.4, 0.25


def _has_mark(word: str) -> bool:
    return any(keys in word for keys, _ in MARKS[:-1]) or "w" in word[1:]


@lru_cache(maxsize=8192)
def decode_word(word: str) -> Optional[str]:
    """The syllable a Telex word stands for ("cuowcs" -> "cước"), or None if
    the word is not Telex (it is Vietnamese as typed, or decodes to nothing)."""
    low = word.lower()
    if low in NOT_TELEX or not (low.isascii() and low.isalpha()) or low.startswith("w"):
        return None
    if SYLLABLE.match(low) and not _has_mark(low):
        return None  # a syllable typed without diacritics
    tone, body = "", low
    if len(body) > 1 and body[-1] in TONE_KEYS:
        tone, body = TONE_KEYS[body[-1]], body[:-1]
    for keys, letter in MARKS:
        body = body.replace(keys, letter)
    if body == low or not SYLLABLE.match(body):
        return None
    if tone:
        vowel = next(i for i, ch in enumerate(body) if ch in "aăâeêioôơuưy")
        body = place_tone(unicodedata.normalize("NFC", body[: vowel + 1] + tone + body[vowel + 1:]))
    return body.upper() if word.isupper() and len(word) > 1 else body.capitalize() if word[0].isupper() else body


_WORD = re.compile(r"\w+")


def untelex(text: str) -> str:
    """The message as its writer meant it if it was typed in Telex with the
    keyboard off; otherwise the message unchanged."""
    if not text.isascii():
        return text  # typed with diacritics: the keyboard was on
    words = [w for w in _WORD.findall(text) if w.isalpha()]
    decoded = {w: decode_word(w) for w in words}
    telex = [w for w in words if decoded[w] is not None]
    marked = [w for w in telex if _has_mark(w.lower())]  # "cuwus": surely Telex; "cos": perhaps
    if not (len(marked) >= MIN_SHARE_MARKED * len(words) or len(telex) >= max(2, MIN_SHARE * len(words))):
        return text
    return _WORD.sub(lambda m: decoded.get(m.group(0)) or m.group(0), text)
