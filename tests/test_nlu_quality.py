"""Measured quality on the held-out set (tests/heldout/nlu_heldout.yml, never
trained on): at least 95 % of procedure messages get the right procedure,
ambiguous ones the right clarifying question, out-of-scope ones no procedure."""

from pathlib import Path

import pytest

from bot.evaluation import evaluate, plot_confusion, print_report

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def report(parse):
    result = evaluate(parse)
    print_report(result)
    ARTIFACTS.mkdir(exist_ok=True)
    plot_confusion(result, ARTIFACTS / "confusion.png")
    return result


def test_at_least_95_percent_get_the_right_procedure(report):
    assert report.accuracy >= 0.95, report.errors


def test_every_procedure_is_mostly_understood(report):
    weak = {p: (r, t) for p, (r, t) in report.per_procedure.items() if r / t < 0.75}
    assert not weak


def test_out_of_scope_messages_never_get_a_procedure(report):
    assert report.out_of_scope_errors == []


def test_ambiguous_messages_get_the_clarifying_question(report):
    right, total = report.ambiguous
    assert total >= 12 and right == total


def test_confusion_matrix_is_written(report):
    assert (ARTIFACTS / "confusion.png").stat().st_size > 10_000
