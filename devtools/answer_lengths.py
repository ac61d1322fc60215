"""How long the citizen's first answer about each procedure is, on a phone.

    .venv/bin/python -m devtools.answer_lengths [--show ID ...]

Renders the first answer (``render_overview``, what a question naming only a
procedure gets) for every procedure in the knowledge base, the way the
assistant sends it, and prints per answer its words, characters, bubbles
(text messages) and lines; then min / median / p90 / max of each and the three
longest answers. ``--show`` prints the answers of the given procedures as a
phone would show them (bubbles, then the buttons).
"""

from __future__ import annotations

import argparse
import math
import statistics
from dataclasses import dataclass
from typing import List

from bot.knowledge.answers import AnswerConfig, Reply, render_overview
from bot.knowledge.validate import load_checked


@dataclass
class Measure:
    procedure: str
    words: int
    chars: int
    bubbles: int
    lines: int


def measure(procedure: str, replies: List[Reply]) -> Measure:
    texts = [r.text for r in replies if r.text]
    words = sum(len([w for w in t.split() if any(c.isalnum() for c in w)]) for t in texts)  # not "•", "–"
    return Measure(procedure=procedure, words=words, chars=sum(len(t) for t in texts),
                   bubbles=len(texts), lines=sum(len([line for line in t.splitlines() if line.strip()]) for t in texts))


def percentile(values: List[int], share: float) -> int:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)] if ordered else 0


def show(replies: List[Reply]) -> str:
    """The replies as a phone shows them: each bubble framed, then its buttons."""
    out = []
    for reply in replies:
        if reply.custom and not reply.text:
            out.append(f"[file] {reply.custom.get('file', {}).get('name', '')}")
            continue
        out.append("┌" + "─" * 40)
        out += [f"│ {line}" for line in reply.text.splitlines()]
        out.append("└" + "─" * 40)
        if reply.buttons:
            out.append("  " + "  ".join(f"[{b['title']}]" for b in reply.buttons))
    return "\n".join(out)


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", nargs="*", default=[], metavar="ID",
                        help="print these procedures' first answers (ID or ID=message, e.g. "
                             "'vehicle.first_registration=đk xe máy mới mua')")
    args = parser.parse_args(argv)
    kb, config = load_checked(), AnswerConfig.load()
    if args.show:
        for item in args.show:
            pid, _, message = item.partition("=")
            print(f"{pid}" + (f" — «{message}»" if message else ""))
            print(show(render_overview(kb, config, kb.procedures[pid], text=message)))
            print()
        return 0
    rows = [measure(p.id, render_overview(kb, config, p)) for p in kb.procedures.values()]
    print(f"First answers of {len(rows)} procedures (render_overview)\n")
    print(f"{'':8}{'min':>6}{'median':>8}{'p90':>6}{'max':>6}")
    for name in ["words", "chars", "bubbles", "lines"]:
        values = [getattr(r, name) for r in rows]
        print(f"{name:8}{min(values):>6}{statistics.median(values):>8g}{percentile(values, 0.9):>6}{max(values):>6}")
    print("\nLongest (words):")
    for r in sorted(rows, key=lambda r: r.words, reverse=True)[:3]:
        print(f"  {r.procedure:40} {r.words:4} words {r.chars:5} chars {r.bubbles} bubbles {r.lines:3} lines")
    print("\nEvery procedure:")
    for r in sorted(rows, key=lambda r: r.procedure):
        print(f"  {r.procedure:40} {r.words:4} words {r.chars:5} chars {r.bubbles} bubbles {r.lines:3} lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
