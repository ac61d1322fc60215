"""Evaluate what the assistant does with a citizen's first message, on the
held-out sets under tests/heldout/ (never trained on).

    .venv/bin/python -m devtools.evaluation [--model models/x.tar.gz] [--final] [--curve] [--errors]

Sets (each file says how it was written):
  nlu_heldout.yml           the project's own short set (same authors as the training data)
  dev/<set>.yml             sets written independently of the training data; tuned on
  final/<set>.yml           the same kinds of sets, kept unseen until the end (--final)

Every message gets the move the assistant makes in a fresh conversation:
NLU, then the dialogue's routing (intent -> rule -> action), then
``answers.resolve``, the same function the action uses. Each is scored:

  right       the expected procedure answered (for how to report a crime,
              the tip-off intake started is right too); for a general question, the
              question back of its topic; out of scope: no procedure and the
              right agency named; behaviour: the right move (tip-off, officer, SOS)
  asked back  a question back with the expected procedure among the buttons
              (out of scope and behaviour: a question back about procedures)
  wrong       answered with another procedure (the costly mistake)
  missed      anything else: not understood, out of scope for a procedure
              question, the wrong agency
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import copy
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import yaml

from bot.core.paths import ROOT
from bot.knowledge.answers import CRIME_REPORT, AnswerConfig, resolve
from bot.knowledge.store import KnowledgeBase
from bot.knowledge.validate import load_checked

HELDOUT = ROOT / "tests" / "heldout"
CATEGORIES = ("right", "asked back", "wrong", "missed")
# intents the dialogue sends to the procedure answer (see data/rules/)
ANSWERED_BY_RESOLVE = {"out_of_scope", "nlu_fallback"}
ANY_AGENCY = "(any)"  # an out-of-scope message whose set names no agency
# asking for a person: the citizen's own area officer is a person too ("xin số cảnh sát khu vực để hỏi trực tiếp")
HUMAN_MOVES = {"request_human": {"request_human", "request_area_officer"}}
# small talk answered as such ("cảm ơn công an phường…", "chào ad"): a right move for a message of no agency
SMALL_TALK = {"greet", "goodbye", "thank", "bot_challenge", "ask_capabilities"}


@dataclass
class Item:
    text: str
    kind: str  # procedure, ambiguous, out_of_scope, behaviour
    expected: Optional[str]  # procedure id, topic id, agency id (None: no agency), intent


@dataclass
class EvalSet:
    name: str
    part: str  # project, dev, final
    items: List[Item]

    @property
    def label(self) -> str:
        return f"{self.name} [{self.part}]"


@dataclass
class Move:
    """What the assistant does with a first message."""

    kind: str  # answer, ask_back, out_of_scope, not_understood, intent
    procedure: Optional[str] = None
    options: List[str] = field(default_factory=list)
    agency: Optional[str] = None
    intent: Optional[str] = None

    def __str__(self) -> str:
        if self.kind == "answer":
            return self.procedure
        if self.kind == "ask_back":
            return "ask back: " + ", ".join(self.options)
        if self.kind == "out_of_scope":
            return f"out of scope ({self.agency or 'general'})"
        if self.kind == "intent":
            return f"intent {self.intent}"
        return "not understood"


def load_sets(final: bool = False, directory: Path = HELDOUT) -> List[EvalSet]:
    files = [("project", directory / "nlu_heldout.yml")]
    files += [("dev", p) for p in sorted((directory / "dev").glob("*.yml"))]
    if final:
        files += [("final", p) for p in sorted((directory / "final").glob("*.yml"))]
    sets = []
    for part, path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = [Item(t, "procedure", p) for p, texts in (data.get("procedures") or {}).items() for t in texts]
        items += [Item(t, "ambiguous", topic) for topic, texts in (data.get("ambiguous") or {}).items() for t in texts]
        for entry in data.get("out_of_scope") or []:
            if isinstance(entry, dict):
                items.append(Item(entry["text"], "out_of_scope", None if entry.get("agency") == "none" else entry["agency"]))
            else:  # no agency given: any move but a procedure answer is right
                items.append(Item(entry, "out_of_scope", ANY_AGENCY))
        items += [Item(t, "behaviour", intent) for intent, texts in (data.get("behaviour") or {}).items() for t in texts]
        name = data.get("set") or ("short_project" if path.name == "nlu_heldout.yml" else path.stem)
        sets.append(EvalSet(name, part, items))
    return sets


def first_move(kb: KnowledgeBase, config: AnswerConfig, parsed: dict) -> Move:
    """The move of a fresh conversation: the intent's rule, and for procedure
    questions the answer action's decision."""
    intent = parsed["intent"]["name"]
    routed = (intent in kb.procedures or intent in ANSWERED_BY_RESOLVE or kb.topic_for_intent(intent)
              or config.aspect_of_intent(intent))
    if not routed:
        return Move("intent", intent=intent)
    decision = resolve(kb, config, intent, parsed.get("intent_ranking") or [], parsed.get("text", ""), {},
                       parsed.get("second_opinion"))
    if decision.procedure:
        return Move("answer", procedure=decision.procedure)
    if decision.topic:
        return Move("ask_back", options=[o.procedure for o in decision.topic.options], intent=decision.topic.id)
    if decision.candidates:
        return Move("ask_back", options=list(decision.candidates))
    if decision.out_of_scope:
        return Move("out_of_scope", agency=decision.referral.id if decision.referral else None)
    return Move("not_understood")


def score(kb: KnowledgeBase, item: Item, move: Move) -> str:
    if item.kind == "procedure":
        # how to report a crime: the tip-off intake is a right move too
        if item.expected == CRIME_REPORT and move.kind == "intent" and move.intent == "start_tipoff":
            return "right"  # "how do I report the theft": the report itself is taken at once (issue 13, point 7)
        if move.kind == "answer":
            return "right" if move.procedure == item.expected else "wrong"
        if move.kind == "ask_back" and item.expected in move.options:
            return "asked back"
        return "missed"
    if item.kind == "ambiguous":
        options = {o.procedure for o in kb.topics[item.expected].options} if item.expected in kb.topics else set()
        if move.kind == "ask_back" and len(options & set(move.options)) >= 2:
            return "right"
        return "wrong" if move.kind == "answer" else "missed"
    if move.kind == "answer":
        return "wrong"
    if move.kind == "ask_back":
        return "asked back"
    if item.kind == "out_of_scope":
        if item.expected == ANY_AGENCY:
            return "right" if move.kind in ("out_of_scope", "not_understood", "intent") else "missed"
        if item.expected is None and move.kind == "intent" and move.intent in SMALL_TALK:
            return "right"
        return "right" if move.kind == "out_of_scope" and move.agency == item.expected else "missed"
    return "right" if move.kind == "intent" and move.intent in HUMAN_MOVES.get(item.expected, {item.expected}) else "missed"


@dataclass
class SetReport:
    label: str
    counts: collections.Counter = field(default_factory=collections.Counter)  # category -> n
    per_expected: Dict[str, collections.Counter] = field(default_factory=dict)  # expected -> category -> n
    confusions: collections.Counter = field(default_factory=collections.Counter)  # (expected, move) -> n
    errors: List[Tuple[str, str, str, str]] = field(default_factory=list)  # (category, text, expected, move)
    out_of_scope_answered: int = 0  # out-of-scope messages answered with a procedure
    out_of_scope_total: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, category: str) -> float:
        return self.counts[category] / self.total if self.total else 0.0


def parse_all(parse: Callable[[str], dict], sets: List[EvalSet]) -> Tuple[Dict[str, dict], float]:
    """Every text parsed once (the NLU does not depend on thresholds), many
    at once when the parser can (``AgentParser.many``); seconds per message."""
    texts = list(dict.fromkeys(item.text for s in sets for item in s.items))
    started = time.perf_counter()
    many = getattr(parse, "many", None)
    results = many(texts) if many else [parse(text) for text in texts]
    return dict(zip(texts, results)), (time.perf_counter() - started) / max(len(texts), 1)


def report_set(kb: KnowledgeBase, config: AnswerConfig, s: EvalSet, parsed: Dict[str, dict]) -> SetReport:
    report = SetReport(s.label)
    for item in s.items:
        move = first_move(kb, config, parsed[item.text])
        category = score(kb, item, move)
        expected = item.expected or "(no agency)"
        report.counts[category] += 1
        report.per_expected.setdefault(expected, collections.Counter())[category] += 1
        if category != "right":
            report.confusions[(expected, str(move) if move.kind != "ask_back" else "ask back")] += 1
            report.errors.append((category, item.text, expected, str(move)))
        if item.kind == "out_of_scope":
            report.out_of_scope_total += 1
            report.out_of_scope_answered += move.kind == "answer"
    return report


def evaluate(parse: Callable[[str], dict], final: bool = False, config: Optional[AnswerConfig] = None,
             directory: Path = HELDOUT) -> List[SetReport]:
    kb, config = load_checked(), config or AnswerConfig.load()
    sets = load_sets(final, directory)
    parsed, _ = parse_all(parse, sets)
    return [report_set(kb, config, s, parsed) for s in sets]


def shares(reports: List[SetReport]) -> Dict[str, Dict[str, float]]:
    """Each set's size and share of every category: {label: {"n": 120, "right": 0.95, ...}}."""
    return {r.label: {"n": r.total, **{c: round(r.share(c), 4) for c in CATEGORIES}} for r in reports}


def print_reports(reports: List[SetReport], out=sys.stdout, per_expected: bool = False, errors: bool = False) -> None:
    print(f"{'set':34s} {'n':>5s} " + " ".join(f"{c:>11s}" for c in CATEGORIES), file=out)
    for r in reports:
        print(f"{r.label:34s} {r.total:5d} " + " ".join(f"{r.share(c):10.1%} " for c in CATEGORIES), file=out)
    for r in reports:
        if r.out_of_scope_total:
            print(f"{r.label}: out-of-scope answered with a procedure: {r.out_of_scope_answered}/{r.out_of_scope_total}",
                  file=out)
    if per_expected:
        for r in reports:
            print(f"\n{r.label}: per expected answer (right / asked back / wrong / missed)", file=out)
            for expected, c in sorted(r.per_expected.items()):
                print(f"  {expected:42s} " + " ".join(f"{c[k]:3d}" for k in CATEGORIES), file=out)
    if errors:
        for r in reports:
            print(f"\n{r.label}: errors", file=out)
            for category, text, expected, move in r.errors:
                print(f"  [{category}] {expected} -> {move}: {text}", file=out)


def curve(parse: Callable[[str], dict], sets: List[EvalSet], answer_levels: List[float]) -> List[Tuple[float, float, float, float]]:
    """Wrong answers against questions asked back as the answer threshold
    moves: (threshold, right, asked back, wrong) over the procedure questions."""
    kb, base = load_checked(), AnswerConfig.load()
    parsed, _ = parse_all(parse, sets)
    points = []
    for level in answer_levels:
        config = copy.copy(base)
        config.confidence = {**base.confidence, "answer": level}
        counts = collections.Counter()
        for s in sets:
            for item in s.items:
                if item.kind == "procedure":
                    counts[score(kb, item, first_move(kb, config, parsed[item.text]))] += 1
        total = sum(counts.values()) or 1
        points.append((level, counts["right"] / total, counts["asked back"] / total, counts["wrong"] / total))
    return points


def plot_confusion(report: SetReport, kb: KnowledgeBase, path: Path) -> None:
    """Expected answer (rows) against the move made (columns) for one set."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows = sorted(report.per_expected)
    columns = rows + sorted({move for (_, move) in report.confusions if move not in rows})
    matrix = np.zeros((len(rows), len(columns)))
    for i, expected in enumerate(rows):
        matrix[i, i] = report.per_expected[expected]["right"]
        for (e, move), n in report.confusions.items():
            if e == expected:
                matrix[i, columns.index(move)] += n
    fig, ax = plt.subplots(figsize=(max(8, len(columns) * 0.35), max(6, len(rows) * 0.3)))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(columns)), columns, rotation=90, fontsize=6)
    ax.set_yticks(range(len(rows)), rows, fontsize=6)
    for i in range(len(rows)):
        for j in range(len(columns)):
            if matrix[i, j]:
                ax.text(j, i, int(matrix[i, j]), ha="center", va="center", fontsize=5,
                        color="white" if matrix[i, j] > matrix.max() / 2 else "black")
    ax.set_xlabel("move (diagonal: right)")
    ax.set_ylabel("expected")
    ax.set_title(f"{report.label}: right {report.share('right'):.1%}, asked back {report.share('asked back'):.1%}, "
                 f"wrong {report.share('wrong'):.1%}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def quiet_parse_logs() -> None:
    """Rasa logs every parse through structlog at debug level, to stdout,
    unless its command line set a level: in a process of our own (this
    evaluation, the tests' parser) that printing takes most of the time of a
    parse."""
    import logging

    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))


class AgentParser:
    """Rasa's parse of a message, as the server makes it: one at a time
    (``Agent.parse_message``), or many at once for an evaluation. The NLU
    graph takes a list of messages and every component works on the whole
    list, which takes about 30 % less time than one by one, with the same results
    (tests/test_nlu_quality.py)."""

    BATCH = 256

    def __init__(self, agent) -> None:
        quiet_parse_logs()
        self.agent = agent
        self.loop = asyncio.new_event_loop()

    def __call__(self, text: str) -> dict:
        return self.loop.run_until_complete(self.agent.parse_message(text))

    def many(self, texts: List[str]) -> List[dict]:
        from rasa.core.channels.channel import UserMessage
        from rasa.engine.constants import PLACEHOLDER_MESSAGE
        from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT

        processor = self.agent.processor
        target = processor.model_metadata.nlu_target
        parsed = []
        for start in range(0, len(texts), self.BATCH):
            messages = [UserMessage(text) for text in texts[start:start + self.BATCH]]
            for message in processor.graph_runner.run(inputs={PLACEHOLDER_MESSAGE: messages}, targets=[target])[target]:
                # what MessageProcessor.parse_message makes of the graph's output
                data = {TEXT: "", INTENT: {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}, ENTITIES: []}
                data.update(message.as_dict(only_output_properties=True))
                processor._update_full_retrieval_intent(data)
                parsed.append(data)
        return parsed

    def close(self) -> None:
        self.loop.close()


def agent_parser(model: Path) -> AgentParser:
    from rasa.core.agent import Agent

    return AgentParser(Agent.load(str(model)))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="model file (default: newest in models/)")
    parser.add_argument("--final", action="store_true", help="also the final sets, kept unseen until the end")
    parser.add_argument("--per-procedure", action="store_true", help="break each set down by expected answer")
    parser.add_argument("--errors", action="store_true", help="list every message not answered right")
    parser.add_argument("--curve", action="store_true", help="wrong answers vs questions back as the threshold moves")
    parser.add_argument("--plots", type=Path, default=ROOT / "bench" / "results" / "evaluation",
                        help="folder for one confusion plot per set")
    parser.add_argument("--no-plots", action="store_true", help="no confusion plots")
    parser.add_argument("--json", type=Path, help="also write each set's shares here (bot/review/retrain.py reads it)")
    args = parser.parse_args(argv)
    model = args.model or max((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    parse = agent_parser(model)
    sets = load_sets(args.final)
    parsed, per_parse = parse_all(parse, sets)
    kb, config = load_checked(), AnswerConfig.load()
    reports = [report_set(kb, config, s, parsed) for s in sets]
    print_reports(reports, per_expected=args.per_procedure, errors=args.errors)
    print(f"\nNLU parse: {per_parse * 1000:.1f} ms per message (mean, parsed many at once)")
    if args.json:
        args.json.write_text(json.dumps(shares(reports), ensure_ascii=False, indent=1), encoding="utf-8")
    for report in [] if args.no_plots else reports:
        path = args.plots / f"{report.label.replace(' ', '_').replace('[', '').replace(']', '')}.png"
        plot_confusion(report, kb, path)
    if not args.no_plots:
        print(f"Confusion plots: {args.plots}/")
    if args.curve:
        print("\nProcedure questions, as the answer threshold moves (threshold: right / asked back / wrong):")
        procedure_sets = [s for s in sets if any(i.kind == "procedure" for i in s.items)]
        for level, right, asked, wrong in curve(lambda t: parsed.get(t) or parse(t), procedure_sets,
                                                [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8]):
            print(f"  {level:.2f}: {right:6.1%} {asked:6.1%} {wrong:6.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
