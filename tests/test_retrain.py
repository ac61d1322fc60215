"""The retrain of the review loop (bot/review/retrain.py): a candidate model
is trained from the content, checked on the held-out sets against the live
model, and refused when a set gets worse; one retrain at a time, each
recorded and audited. A retrain that goes live, from the review page:
tests/test_review_loop.py; the live swap under load on two replicas:
tests/test_replicas.py."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from bot.review.retrain import Busy, Retrainer, regressions, retrain_lock
from tests.conftest import AUTH_TOKEN, Assistant


def test_a_drop_of_more_than_one_point_is_named_with_its_set_and_size():
    before = {"real [dev]": {"n": 200, "right": 0.90, "asked back": 0.02, "wrong": 0.03, "missed": 0.05},
              "short [dev]": {"n": 100, "right": 0.95, "asked back": 0.0, "wrong": 0.02, "missed": 0.03}}
    same = {k: dict(v) for k, v in before.items()}
    assert regressions(before, same) == []
    one_point = {**same, "real [dev]": {**before["real [dev]"], "right": 0.89}}
    assert regressions(before, one_point) == []  # one point is tolerated
    worse = {**same, "real [dev]": {**before["real [dev]"], "right": 0.885},
             "short [dev]": {**before["short [dev]"], "wrong": 0.04}}
    assert regressions(before, worse) == [
        "real [dev]: tỉ lệ trả lời đúng 90.0% → 88.5% (-1.5 điểm)",
        "short [dev]: tỉ lệ trả lời sai 2.0% → 4.0% (+2.0 điểm)",
    ]
    assert regressions(before, {"real [dev]": same["real [dev]"]}) == [
        "short [dev]: không đánh giá được trên mô hình mới"]
    # on a set of 69, one message is 1.4 points: one answer changing is no trend; two are
    # (shares as the evaluation writes them, rounded to 4 places)
    small = {"k [dev]": {"n": 69, "right": round(60 / 69, 4), "asked back": 0.0, "wrong": round(5 / 69, 4),
                         "missed": round(4 / 69, 4)}}
    assert regressions(small, {"k [dev]": {**small["k [dev]"], "wrong": round(6 / 69, 4)}}) == []
    assert regressions(small, {"k [dev]": {**small["k [dev]"], "wrong": round(7 / 69, 4)}}) == [
        "k [dev]: tỉ lệ trả lời sai 7.2% → 10.1% (+2.9 điểm)"]


def test_one_retrain_runs_at_a_time_and_a_dead_ones_lock_runs_out(tmp_path):
    from sqlalchemy import update

    from bot.core.db import all_tables, create_tables, engine

    db = engine(f"sqlite:///{tmp_path / 'project.db'}")
    create_tables(db, *all_tables())
    retrainer = Retrainer(db)
    first = retrainer.begin("bien.tap")
    with pytest.raises(Busy, match="Đang có một lần huấn luyện lại"):
        retrainer.begin("chi.huy")
    assert [r["requested_by"] for r in retrainer.history()] == ["bien.tap"]  # the refused one left no row
    with db.begin() as c:  # its process died three hours ago
        c.execute(update(retrain_lock).values(since=time.time() - 3 * 3600))
    assert retrainer.begin("chi.huy") > first


@pytest.fixture(scope="module")
def own_models(trained_model, tmp_path_factory):
    """A models folder of this module's own (a retrain adds a model to it)."""
    folder = tmp_path_factory.mktemp("retrain-models")
    shutil.copy(trained_model, folder / trained_model.name)
    return folder


@pytest.fixture(scope="module")
def running(own_models, tmp_path_factory):
    assistant = Assistant(["--models-dir", str(own_models)], tmp_path_factory.mktemp("retrain-state"))
    yield assistant
    assistant.stop()


@pytest.fixture
def retrain_env(running, own_models, monkeypatch):
    monkeypatch.setenv("MODELS_DIR", str(own_models))
    monkeypatch.setenv("STATE_DIR", str(running.state))
    monkeypatch.setenv("RASA_REPLICAS", running.url)
    monkeypatch.setenv("RASA_AUTH_TOKEN", AUTH_TOKEN)
    from bot.core.db import engine

    return engine(running.database_url)


def live_model(running) -> str:
    import requests

    from tests.conftest import rasa_headers

    return Path(requests.get(f"{running.url}/status", headers=rasa_headers(), timeout=10).json()["model_file"]).name


def test_a_worse_model_is_refused_with_the_sets_named_and_the_live_model_kept(running, own_models, retrain_env):
    before = live_model(running)
    models = sorted(p.name for p in own_models.iterdir())
    # a gate no model can pass: every set "drops" (the real gate allows one point and one message)
    outcome = Retrainer(retrain_env, max_drop=-1.0, max_messages=-1.0).run("bien.tap")

    assert outcome.status == "refused", outcome
    assert outcome.reason.startswith("Mô hình mới kém hơn: ")
    assert "[dev]" in outcome.reason and "[project]" in outcome.reason
    assert set(outcome.before) == set(outcome.after) and len(outcome.before) >= 3  # the project's set and dev sets
    assert not any("[final]" in label for label in outcome.before)  # the final sets stay unseen
    assert live_model(running) == before
    assert sorted(p.name for p in own_models.iterdir()) == models  # a restart would load the old model
    assert not list((running.state / "candidates").glob("*.tar.gz"))
    row = Retrainer(retrain_env).history()[0]
    assert (row["status"], row["requested_by"], row["reason"]) == ("refused", "bien.tap", outcome.reason)
    from bot.core.audit import AuditLog

    assert AuditLog(retrain_env).entries()[-1]["action"] == "retrain_refused"
