"""How long the answer's decision takes after the NLU: the rules of
bot/knowledge/answers.py (the question inside the story, the procedures and
other agencies' matters named in the words, the move), per message.

    .venv/bin/python bench/answer_decisions.py [--model MODEL] [--repeat N]

Parses every held-out message of the dev and project sets once with the
model (the NLU is not timed here: devtools/evaluation.py prints its parse
time), then times the decision of a fresh conversation for each message, as
the answer action makes it, and prints the mean, p50, p95 and largest time
per message. The decision runs in the action server for every question a
citizen sends, and the evaluation (the retrain's gate, the quality tests)
makes it for every held-out message.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="model file (default: newest in models/)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="decide every message this many times (the first time is the one a citizen meets)")
    args = parser.parse_args()

    from devtools.evaluation import AnswerConfig, agent_parser, first_move, load_checked, load_sets, parse_all

    model = args.model or max((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    sets = load_sets(final=False)
    parsed, _ = parse_all(agent_parser(model), sets)
    kb, config = load_checked(), AnswerConfig.load()
    texts = list(parsed)
    for round_ in range(1, args.repeat + 1):
        times = []
        for text in texts:
            started = time.perf_counter()
            first_move(kb, config, parsed[text])
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        print(f"round {round_}: {len(times)} messages, {sum(times) / 1000:.1f} s in all; per message "
              f"mean {statistics.mean(times):.2f} ms, p50 {times[len(times) // 2]:.2f} ms, "
              f"p95 {times[int(len(times) * 0.95)]:.2f} ms, max {times[-1]:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
