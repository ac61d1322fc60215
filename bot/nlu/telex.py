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


from bot.nlu.runon import word_list
from bot.nlu.text import canonical, fold, place_tone

TONE_KEYS = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
# mark keys, longest first: the letter each stands for ("w" after a consonant: "tw" is "tư")
MARKS = [("uow", "ươ"), ("dd", "đ"), ("aa", "â"), ("aw", "ă"), ("ee", "ê"), ("oo", "ô"),
         ("ow", "ơ"), ("uw", "ư"), ("w", "ư")]
SYLLABLE = re.compile(
    r"^(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
    r"([aăâeêioôơuưy]{1,3})"
    r"(ch|ng|nh|[cmnpt])?$"
)
# words spelt with a mark key that are not Telex: xoong, boong…; "sos"; English words that read as a
# syllable ("how" as "hơ")
NOT_TELEX = {"xoong", "boong", "coong", "soong", "moong", "loong", "toong", "sos",
             "how", "now", "low", "row", "bow", "cow", "show", "see", "meet", "keep", "room", "moon", "noon", "boot",
             "root", "soon", "seen", "teen", "been", "deep", "sleep", "sweet"}
# a tone key typed by mistake at the end of one word of a message ("trus", "tamj"); not "r"
STRAY_TONE_KEYS = "sfjx"
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
    keyboard off; otherwise the message with its stray keys read
    (``stray_keys``)."""
    if not text.isascii():
        return stray_keys(text)  # typed with diacritics: the keyboard was on
    words = [w for w in _WORD.findall(text) if w.isalpha()]
    decoded = {w: decode_word(w) for w in words}
    telex = [w for w in words if decoded[w] is not None]
    marked = [w for w in telex if _has_mark(w.lower())]  # "cuwus": surely Telex; "cos": perhaps
    if not (len(marked) >= MIN_SHARE_MARKED * len(words) or len(telex) >= max(2, MIN_SHARE * len(words))):
        return stray_keys(text)
    return _WORD.sub(lambda m: decoded.get(m.group(0)) or m.group(0), text)


def stray_keys(text: str) -> str:
    """One word typed with a stray Telex key in a message otherwise typed as
    meant: "dang ky thuowng tru", "đăng ký tạm trus". A word in lower case
    holding a mark key ("uow", "dd", "aa"…) is read when it decodes to a
    syllable the word list knows; one with only a tone key at its end ("trus",
    but also "gas", "bus") only when it then makes a word of the list with a
    word beside it ("tạm trú"), not as typed ("bình gas" stays). A message
    typed without diacritics stays without them ("thuowng" is read "thuong")."""
    words = list(_WORD.finditer(text))
    folded = [fold(canonical(m.group(0))) for m in words]
    listed, syllables = word_list()
    plain = text.isascii()  # a message typed without diacritics stays so: "thuowng" is read "thuong"
    changes = {}
    for i, m in enumerate(words):
        word = m.group(0)
        decoded = decode_word(word) if word.isalpha() and word.islower() and word.isascii() else None
        if decoded is None or fold(decoded) not in syllables:
            continue
        if plain:
            decoded = fold(decoded)
        if any(keys in word for keys, _ in MARKS[:-1]):
            changes[m.start()] = decoded
            continue
        if word[-1] not in STRAY_TONE_KEYS:
            continue  # "bar", "car": words of other languages end in "r" more often than a slip does
        syllable = fold(decoded)
        pairs = [(folded[j], syllable) if j < i else (syllable, folded[j])
                 for j in (i - 1, i + 1) if 0 <= j < len(words)]
        if any(listed.get("".join(pair)) == pair for pair in pairs):
            changes[m.start()] = decoded
    if not changes:
        return text
    return _WORD.sub(lambda m: changes.get(m.start(), m.group(0)), text)
