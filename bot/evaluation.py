"""Evaluate procedure understanding on the held-out set (tests/heldout/).

    .venv/bin/python -m bot.evaluation [--model models/x.tar.gz] [--plot confusion.png]

A message counts as right when the procedure the assistant would answer
about (the same ``resolve`` the action uses, from a fresh conversation) is the
expected one. Ambiguous messages must get the clarifying question of their
topic; out-of-scope messages must get no procedure at all. Prints
per-procedure accuracy and the confusion pairs; writes a confusion-matrix plot.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

import yaml

from bot.knowledge.answers import AnswerConfig, resolve
from bot.knowledge.store import ROOT, KnowledgeBase, load

HELDOUT = ROOT / "tests" / "heldout" / "nlu_heldout.yml"
OUT_OF_SCOPE = "(out of scope)"


@dataclass
class Report:
    per_procedure: Dict[str, Tuple[int, int]] = field(default_factory=dict)  # id -> (right, total)
    confusions: collections.Counter = field(default_factory=collections.Counter)  # (expected, got)
    ambiguous: Tuple[int, int] = (0, 0)
    out_of_scope: Tuple[int, int] = (0, 0)  # (given no procedure, total)
    out_of_scope_errors: List[Tuple[str, str]] = field(default_factory=list)
    errors: List[Tuple[str, str, str]] = field(default_factory=list)  # (text, expected, got)
    results: List[Tuple[str, str, str]] = field(default_factory=list)  # every procedure message
    seconds_per_message: float = 0.0

    @property
    def accuracy(self) -> float:
        right = sum(r for r, _ in self.per_procedure.values())
        total = sum(t for _, t in self.per_procedure.values())
        return right / total if total else 0.0


def predicted(kb: KnowledgeBase, config: AnswerConfig, parsed: dict) -> str:
    """What the assistant does with a first message: a procedure id, 'topic.x', or nothing."""
    decision = resolve(
        kb, config, parsed["intent"]["name"], parsed.get("intent_ranking") or [], parsed.get("text", ""), {}
    )
    if decision.procedure:
        return decision.procedure
    if decision.topic:
        return decision.topic.intent
    return OUT_OF_SCOPE


def evaluate(parse: Callable[[str], dict], heldout: Path = HELDOUT) -> Report:
    kb, config = load(strict=True), AnswerConfig.load()
    data = yaml.safe_load(heldout.read_text(encoding="utf-8"))
    report = Report()
    started, count = time.perf_counter(), 0
    for procedure_id, messages in data["procedures"].items():
        right = 0
        for text in messages:
            got = predicted(kb, config, parse(text))
            count += 1
            report.results.append((text, procedure_id, got))
            if got == procedure_id:
                right += 1
            else:
                report.confusions[(procedure_id, got)] += 1
                report.errors.append((text, procedure_id, got))
        report.per_procedure[procedure_id] = (right, len(messages))
    right = total = 0
    for topic, messages in data.get("ambiguous", {}).items():
        for text in messages:
            got = predicted(kb, config, parse(text))
            count += 1
            total += 1
            right += got == f"topic.{topic}"
            if got != f"topic.{topic}":
                report.errors.append((text, f"topic.{topic}", got))
    report.ambiguous = (right, total)
    none = 0
    for text in data.get("out_of_scope", []):
        got = predicted(kb, config, parse(text))
        count += 1
        if got in kb.procedures:
            report.out_of_scope_errors.append((text, got))
        else:
            none += 1
    report.out_of_scope = (none, len(data.get("out_of_scope", [])))
    report.seconds_per_message = (time.perf_counter() - started) / max(count, 1)
    return report


def print_report(report: Report, out=sys.stdout) -> None:
    print("Per-procedure accuracy (held-out):", file=out)
    for procedure_id, (right, total) in sorted(report.per_procedure.items()):
        print(f"  {procedure_id:42s} {right:3d}/{total:<3d} {right / total:6.1%}", file=out)
    total = sum(t for _, t in report.per_procedure.values())
    print(f"Overall: {report.accuracy:.1%} of {total} procedure messages", file=out)
    a_right, a_total = report.ambiguous
    print(f"Ambiguous messages answered with the right clarifying question: {a_right}/{a_total}", file=out)
    o_right, o_total = report.out_of_scope
    print(f"Out-of-scope messages given no procedure: {o_right}/{o_total}", file=out)
    for text, got in report.out_of_scope_errors:
        print(f"  ! '{text}' -> {got}", file=out)
    print("Confusion pairs (expected -> got: count):", file=out)
    for (expected, got), n in report.confusions.most_common():
        print(f"  {expected} -> {got}: {n}", file=out)
    print(f"NLU + resolution time: {report.seconds_per_message * 1000:.1f} ms per message", file=out)


def plot_confusion(report: Report, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    labels = sorted(report.per_procedure)
    extra = sorted({got for (_, got) in report.confusions if got not in labels})
    columns = labels + extra
    matrix = np.zeros((len(labels), len(columns)))
    for i, label in enumerate(labels):
        right, total = report.per_procedure[label]
        matrix[i, i] = right
        for (expected, got), n in report.confusions.items():
            if expected == label:
                matrix[i, columns.index(got)] += n
    fig, ax = plt.subplots(figsize=(14, 11))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(columns)), columns, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    for i in range(len(labels)):
        for j in range(len(columns)):
            if matrix[i, j]:
                ax.text(j, i, int(matrix[i, j]), ha="center", va="center", fontsize=6,
                        color="white" if matrix[i, j] > 6 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("expected")
    ax.set_title(f"Held-out procedure accuracy {report.accuracy:.1%}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def agent_parser(model: Path) -> Callable[[str], dict]:
    import logging

    import structlog
    from rasa.core.agent import Agent

    # Rasa logs every parse through structlog at debug level, to stdout
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    return lambda text: loop.run_until_complete(agent.parse_message(text))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="model file (default: newest in models/)")
    parser.add_argument("--plot", type=Path, default=ROOT / "bench" / "results" / "confusion.png")
    args = parser.parse_args(argv)
    model = args.model or max((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    report = evaluate(agent_parser(model))
    print_report(report)
    plot_confusion(report, args.plot)
    print(f"Confusion matrix: {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
