"""Which NLU pipeline, measured: accuracy on the held-out set vs. latency.

    .venv/bin/python bench/nlu_pipelines.py [--only NAME ...]

Trains each variant on the same data (the project's importers), evaluates
it on tests/heldout/ with bot.evaluation, and prints one row per variant:
held-out accuracy (all messages, and those typed without diacritics),
out-of-scope messages given no procedure, training time, and parse latency.

Variants:
  ours            the project's config.yml
  no-normalise    same, tokenizer with normalize: false (plain underthesea tokens)
  ours-diet       same features, DIETClassifier (100 epochs) instead of logistic regression
  stock           Rasa's default pipeline (WhitespaceTokenizer, char n-grams, DIET)
"""

from __future__ import annotations

import argparse
import copy
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.evaluation import agent_parser, evaluate  # noqa: E402
from bot.nlu.text import fold  # noqa: E402

STOCK_PIPELINE = [
    {"name": "WhitespaceTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True},
    {"name": "EntitySynonymMapper"},
    {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
]


def variants(base: dict) -> dict:
    plain = copy.deepcopy(base)
    plain["pipeline"][0]["normalize"] = False
    diet = copy.deepcopy(base)
    diet["pipeline"] = [
        {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True}
        if c["name"] == "LogisticRegressionClassifier" else c
        for c in diet["pipeline"]
    ]
    stock = copy.deepcopy(base)
    stock["pipeline"] = STOCK_PIPELINE
    return {"ours": base, "no-normalise": plain, "ours-diet": diet, "stock": stock}


def measure(name: str, config: dict, workdir: Path) -> dict:
    config_path = workdir / f"{name}.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True))
    out = workdir / name
    started = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "train", "nlu", "--config", str(config_path),
         "--out", str(out), "--nlu", "data"],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    train_seconds = time.perf_counter() - started
    parse = agent_parser(next(out.glob("*.tar.gz")))
    timings = []

    def timed(text):
        t = time.perf_counter()
        result = parse(text)
        timings.append(time.perf_counter() - t)
        return result

    report = evaluate(timed)
    bare = [(e, g) for text, e, g in report.results if fold(text) == text.lower()]
    return {
        "name": name,
        "accuracy": report.accuracy,
        "bare": sum(e == g for e, g in bare) / len(bare),
        "bare_n": len(bare),
        "oos": report.out_of_scope,
        "ambiguous": report.ambiguous,
        "train_s": train_seconds,
        "p50_ms": statistics.median(timings) * 1000,
        "p95_ms": sorted(timings)[int(len(timings) * 0.95)] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    base = yaml.safe_load((ROOT / "config.yml").read_text())
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, config in variants(base).items():
            if args.only and name not in args.only:
                continue
            rows.append(measure(name, config, Path(tmp)))
            print(f"  measured {name}", file=sys.stderr, flush=True)
    print(f"{'variant':14s} {'held-out':>9s} {'no-diacr.':>10s} {'out-of-scope':>13s} {'ambiguous':>10s} "
          f"{'train s':>8s} {'parse p50':>10s} {'p95':>7s}")
    for r in rows:
        print(f"{r['name']:14s} {r['accuracy']:9.1%} {r['bare']:10.1%} "
              f"{r['oos'][0]:>7d}/{r['oos'][1]:<5d} {r['ambiguous'][0]:>5d}/{r['ambiguous'][1]:<4d} "
              f"{r['train_s']:8.1f} {r['p50_ms']:8.1f}ms {r['p95_ms']:5.1f}ms")
    print(f"(no-diacr.: the {rows[0]['bare_n']} held-out procedure messages typed without any diacritics)")


if __name__ == "__main__":
    main()
