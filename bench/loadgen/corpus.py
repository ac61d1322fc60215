"""What the simulated citizens say: real Vietnamese messages and conversations.

Messages come from the held-out set (tests/heldout/nlu_heldout.yml: procedure
questions typed as citizens type them, general "làm căn cước" questions),
the procedures' own examples (data/procedures/), the follow-up, greeting,
thanks and directory examples (data/nlu/), and "còn <procedure> thì sao"
switches made from the procedures' aliases.

Left out, because they change what the assistant does next rather than
load it: SOS words (the channel answers and pauses the bot), asking for an
officer (handoff pauses the bot), tip-offs (a form), "hủy", out-of-scope
questions (two "not understood" in a row hand the chat to an officer).
``Corpus.keep`` drops every message the project's SOS detector flags and,
once the model is up, every message it classifies into one of those intents.

A conversation (``Conversation``) starts with a greeting or a question,
then mixes follow-ups about the procedure under discussion ("lệ phí bao
nhiêu", "mẫu tờ khai đâu"), clicks on the answer's buttons, switches to
another procedure, new questions, directory questions and thanks.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

import yaml

ROOT = Path(__file__).resolve().parents[2]

# intents a message must not be classified as (see the docstring)
UNSAFE_INTENTS = {"request_human", "cancel", "sos", "start_tipoff", "tipoff_status", "nlu_fallback",
                  "out_of_scope", "follow", "share_location", "send_media", "goodbye"}
FOLLOWUP_INTENTS = ("ask_fee", "ask_processing_time", "ask_where", "ask_forms", "ask_documents",
                    "ask_legal_basis")
EXTRA_FOLLOWUPS = ["lệ phí bao nhiêu", "mẫu tờ khai đâu", "mất bao lâu", "nộp ở đâu", "cần mang gì"]
SWITCH_TEMPLATES = ["còn {} thì sao", "thế còn {} thì sao ạ", "còn {} thì cần gì", "con {} thi sao"]
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def _nlu_examples(path: Path) -> Dict[str, List[str]]:
    """intent -> examples of a Rasa NLU file, entity annotations removed."""
    found: Dict[str, List[str]] = {}
    for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
        if "intent" in item:
            lines = [line.strip()[2:].strip() for line in str(item.get("examples", "")).splitlines()
                     if line.strip().startswith("- ")]
            found.setdefault(item["intent"], []).extend(_ANNOTATION.sub(r"\1", line) for line in lines)
    return found


@dataclass
class Corpus:
    procedures: Dict[str, List[str]]  # procedure id -> questions about it
    switches: Dict[str, List[str]]  # procedure id -> "còn <alias> thì sao"
    topics: List[str]  # general questions: the bot asks which case, with buttons
    followups: List[str]
    greetings: List[str]
    thanks: List[str]
    directory: List[str]
    dropped: List[str] = field(default_factory=list)

    @classmethod
    def load(cls) -> "Corpus":
        from bot.nlu.text import fold

        heldout = yaml.safe_load((ROOT / "tests/heldout/nlu_heldout.yml").read_text(encoding="utf-8"))
        procedures = {pid: list(texts) for pid, texts in heldout["procedures"].items()}
        switches: Dict[str, List[str]] = {}
        for path in sorted((ROOT / "data/procedures").glob("*/*.yml")):
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            pid = doc["id"]
            procedures.setdefault(pid, []).extend(str(e) for e in doc.get("examples") or [])
            names = [str(a) for a in doc.get("aliases") or []][:3]
            switches[pid] = [template.format(fold(name) if template.startswith("con ") else name)
                             for name in names for template in SWITCH_TEMPLATES]
        topics = [t for texts in heldout["ambiguous"].values() for t in texts]
        nlu: Dict[str, List[str]] = {}
        for path in (ROOT / "data/nlu").glob("*.yml"):
            for intent, examples in _nlu_examples(path).items():
                nlu.setdefault(intent, []).extend(examples)
        followups = [t for intent in FOLLOWUP_INTENTS for t in nlu.get(intent, [])] + EXTRA_FOLLOWUPS
        return cls(procedures=procedures, switches=switches, topics=topics, followups=followups,
                   greetings=nlu["greet"], thanks=nlu["thank"], directory=nlu["ask_directory"])

    def texts(self) -> List[str]:
        lists = [*self.procedures.values(), *self.switches.values(), self.topics, self.followups,
                 self.greetings, self.thanks, self.directory]
        return sorted({t for texts in lists for t in texts})

    def keep(self, predicate: Callable[[str], bool]) -> "Corpus":
        """The corpus without the messages ``predicate`` rejects (kept in ``dropped``)."""
        dropped = [t for t in self.texts() if not predicate(t)]
        gone = set(dropped)

        def only(texts: List[str]) -> List[str]:
            return [t for t in texts if t not in gone]

        return Corpus(
            procedures={k: only(v) for k, v in self.procedures.items() if only(v)},
            switches={k: only(v) for k, v in self.switches.items() if only(v)},
            topics=only(self.topics), followups=only(self.followups), greetings=only(self.greetings),
            thanks=only(self.thanks), directory=only(self.directory), dropped=self.dropped + dropped,
        )


def not_emergency(text: str) -> bool:
    from bot.safety import sos

    return not sos.is_emergency(text)


def conversation_length(rng: random.Random, longest: int = 300) -> int:
    """Turns in a conversation: most are short, a few are very long (1 to 300)."""
    r = rng.random()
    if r < 0.5:
        return rng.randint(1, 5)
    if r < 0.8:
        return rng.randint(6, 30)
    if r < 0.95:
        return rng.randint(31, 100)
    return rng.randint(101, longest)


class Conversation:
    """One citizen: ``next_message(buttons)`` is what they send after a reply
    whose buttons (query payloads such as "/ask_fee") were ``buttons``."""

    def __init__(self, corpus: Corpus, rng: random.Random, replay_at: Optional[int] = None):
        self.corpus = corpus
        self.replay_at = replay_at  # from this turn on, send again the messages of turn 1, 2…
        self.history: List[str] = []
        self.rng = rng
        self.turn = 0
        self.procedure: Optional[str] = None  # what the citizen is asking about
        self.choosing = False  # the bot asked which case (topic question)

    def _ask_procedure(self) -> str:
        self.procedure = self.rng.choice(sorted(self.corpus.procedures))
        return self.rng.choice(self.corpus.procedures[self.procedure])

    def _click(self, buttons: List[str]) -> str:
        payload = self.rng.choice(buttons)
        if payload.startswith("/") and "." in payload:  # "/id_card.renewal": a procedure chosen
            self.procedure = payload[1:]
        return payload

    def next_message(self, buttons: List[str]) -> str:
        if self.replay_at and self.turn + 1 >= self.replay_at:
            self.turn += 1
            return self.history[self.turn - self.replay_at]
        text = self._next(buttons)
        self.history.append(text)
        return text

    def _next(self, buttons: List[str]) -> str:
        rng, corpus = self.rng, self.corpus
        self.turn += 1
        buttons = [b for b in buttons if b.startswith("/")]
        if self.turn == 1 and rng.random() < 0.4:
            return rng.choice(corpus.greetings)
        if self.choosing and buttons and rng.random() < 0.8:
            self.choosing = False
            return self._click(buttons)
        self.choosing = False
        r = rng.random()
        if self.procedure is None:
            if r < 0.1 and corpus.topics:
                self.choosing = True
                return rng.choice(corpus.topics)
            if r < 0.17:
                return rng.choice(corpus.directory)
            return self._ask_procedure()
        if r < 0.35:
            return rng.choice(corpus.followups)
        if r < 0.5 and buttons:
            return self._click(buttons)
        if r < 0.6:
            target = rng.choice(sorted(corpus.switches))
            self.procedure = target
            return rng.choice(corpus.switches[target])
        if r < 0.8:
            return self._ask_procedure()
        if r < 0.87:
            return rng.choice(corpus.directory)
        if r < 0.92 and corpus.topics:
            self.choosing = True
            return rng.choice(corpus.topics)
        if r < 0.97:
            return rng.choice(corpus.thanks)
        return rng.choice(corpus.greetings)
