"""Matters that belong to other agencies (data/referrals.yml): which agency
handles what a citizen asked, so an out-of-scope question still gets a useful
answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from bot.content import read_texts
from bot.nlu.text import find_phrases


@dataclass
class Referral:
    id: str
    matter: str
    phrases: List[str]
    answer: str
    paired: List[str] = field(default_factory=list)  # phrases that count only next to one of ``paired_with``
    paired_with: List[str] = field(default_factory=list)


@dataclass
class Referrals:
    general: str  # the reply when no matter below is named
    referrals: List[Referral]

    @classmethod
    def load(cls) -> "Referrals":
        data = read_texts("referrals.yml")
        return cls(
            general=data["general"],
            referrals=[Referral(r["id"], " ".join(r["matter"].split()), [str(p) for p in r["phrases"]],
                                " ".join(r["answer"].split()),
                                [str(p) for p in (r.get("paired") or {}).get("phrases") or []],
                                [str(w) for w in (r.get("paired") or {}).get("with") or []])
                       for r in data["referrals"]],
        )

    def match(self, text: str) -> Optional[Tuple[Referral, int, int]]:
        """The matter the text names, with the span of its longest phrase: the
        matter with the most different phrases found wins, then the longest."""
        best, best_key = None, (0, 0)
        for referral in self.referrals:
            found = find_phrases(text, referral.phrases)
            beside = find_phrases(text, referral.paired_with) if referral.paired else []
            if beside:  # "chồng tôi người Hàn" ... "hộ chiếu": the matter spans both
                found += [(min(f[0], beside[0][0]), max(f[1], beside[0][1]), f[2])
                          for f in find_phrases(text, referral.paired)]
            if not found:
                continue
            longest = max(found, key=lambda f: f[1] - f[0])
            key = (len({f[:2] for f in found}), longest[1] - longest[0])  # different places in the text
            if key > best_key:
                best, best_key = (referral, longest[0], longest[1]), key
        return best

    def find(self, text: str) -> Optional[Referral]:
        """The matter the text names, if any (see ``match``)."""
        found = self.match(text)
        return found[0] if found else None

    def answer(self, referral: Optional[Referral]) -> str:
        return referral.answer if referral else self.general
