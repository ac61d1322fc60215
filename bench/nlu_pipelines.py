"""Which NLU pipeline, measured: what the assistant does with held-out
messages, against training time and parse latency.

    .venv/bin/python bench/nlu_pipelines.py [--only NAME ...] [--final]

Trains each variant on the same data (the project's importers), evaluates
it on tests/heldout/ with devtools.evaluation (the same decisions as the
assistant: bot/knowledge/answers.py), and prints one row per variant: for
each set, the share answered right and the share answered with a wrong
procedure; training time; parse latency.

Variants:
  ours            the project's config.yml
  ours-no-words   the same model, deciding on the classifier alone: no
                  procedure aliases, topic names and cases, or other
                  agencies' matters found in the words
  no-normalise    same, tokenizer with normalize: false (plain underthesea tokens)
  ours-diet       same features, DIETClassifier (100 epochs) instead of logistic regression
  ours-one-opinion the classifier without its second opinion (bot/nlu/second_opinion.py):
                  the raw-count logistic regression alone
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
from typing import List

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.evaluation import agent_parser, load_sets, parse_all, report_set  # noqa: E402
from bot.knowledge.answers import AnswerConfig  # noqa: E402
from bot.knowledge.referrals import Referral, Referrals  # noqa: E402
from bot.knowledge.validate import load_checked  # noqa: E402

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


def with_classifier(base: dict, classifier: dict) -> dict:
    """The same pipeline with another intent classifier."""
    variant = copy.deepcopy(base)
    variant["pipeline"] = [dict(classifier) if c["name"].endswith("LogisticRegression") else c
                           for c in variant["pipeline"]]
    return variant


def variants(base: dict) -> dict:
    plain = copy.deepcopy(base)
    next(c for c in plain["pipeline"] if c["name"].endswith("VietnameseTokenizer"))["normalize"] = False
    diet = with_classifier(base, {"name": "DIETClassifier", "epochs": 100, "constrain_similarities": True})
    one_opinion = copy.deepcopy(base)  # the classifier without its second opinion
    next(c for c in one_opinion["pipeline"] if c["name"].endswith("LogisticRegression"))["second_opinion"] = {"weight": 0.0}
    stock = copy.deepcopy(base)
    stock["pipeline"] = STOCK_PIPELINE
    return {"ours": base, "no-normalise": plain, "ours-diet": diet, "ours-one-opinion": one_opinion, "stock": stock}


def measure(name: str, config: dict, workdir: Path, sets, answer_config=None, model=None) -> dict:
    """Train the variant (unless ``model`` is given) and score it on every set."""
    started = time.perf_counter()
    if model is None:
        config_path = workdir / f"{name}.yml"
        config_path.write_text(yaml.safe_dump(config, allow_unicode=True))
        out = workdir / name
        subprocess.run(
            [str(Path(sys.executable).parent / "rasa"), "train", "nlu", "--config", str(config_path),
             "--out", str(out), "--nlu", "data"],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        model = next(out.glob("*.tar.gz"))
    train_seconds = time.perf_counter() - started
    parse = agent_parser(model)
    timings = []

    def timed(text):
        t = time.perf_counter()
        result = parse(text)
        timings.append(time.perf_counter() - t)
        return result

    kb = load_checked()
    if answer_config is not None:  # the words-only variant: no topic cases either
        for topic in kb.topics.values():
            for option in topic.options:
                option.cases = []
    parsed, _ = parse_all(timed, sets)
    reports = {r.label: r for r in (report_set(kb, answer_config or AnswerConfig.load(), s, parsed) for s in sets)}
    return {"name": name, "reports": reports, "train_s": train_seconds, "model": model,
            "p50_ms": statistics.median(timings) * 1000, "p95_ms": sorted(timings)[int(len(timings) * 0.95)] * 1000}


def words_only(config: AnswerConfig) -> AnswerConfig:
    """The same decisions without the evidence of the words (aliases, topics'
    names and cases, other agencies' matters): the classifier alone."""
    bare = copy.copy(config)
    bare.confidence = {**config.confidence, "alias_bonus": 0.0, "topic_bonus": 0.0, "certain": 2.0}
    bare.referrals = Referrals(config.referrals.general, [
        Referral(r.id, r.matter, [], r.answer) for r in config.referrals.referrals])
    return bare


def print_row(row: dict, labels: List[str]) -> None:
    cells = [f"{row['reports'][label].share('right'):6.1%} / {row['reports'][label].share('wrong'):5.1%}".rjust(24)
             for label in labels]
    print(f"{row['name']:14s} " + " ".join(cells)
          + f" {row['train_s']:8.1f} {row['p50_ms']:8.1f}ms {row['p95_ms']:5.1f}ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*")
    parser.add_argument("--final", action="store_true", help="also the final held-out sets")
    args = parser.parse_args()
    base = yaml.safe_load((ROOT / "config.yml").read_text())
    sets = load_sets(args.final)
    labels = [s.label for s in sets]
    print("right / wrong procedure per set (out_of_scope: right agency / answered with a procedure)")
    print(f"{'variant':14s} " + " ".join(f"{label[:24]:>24s}" for label in labels)
          + f" {'train s':>8s} {'parse p50':>10s} {'p95':>7s}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, config in variants(base).items():
            if args.only and name not in args.only:
                continue
            row = measure(name, config, Path(tmp), sets)
            print_row(row, labels)  # each row as soon as it is measured
            if name == "ours":
                bare = measure("ours-no-words", config, Path(tmp), sets, words_only(AnswerConfig.load()),
                               model=row["model"])
                print_row({**bare, "train_s": row["train_s"]}, labels)


if __name__ == "__main__":
    main()
