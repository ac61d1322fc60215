"""The production configuration on one machine: PostgreSQL for the tracker
store and the project database, Redis for Rasa's lock store, two Rasa server
replicas and two web servers (officer consoles), as `scripts/run --replicas 2`
starts them; and the same with the state folder's SQLite files, as one
machine may run it to use both its cores. One conversation driven
alternately through both replicas loses and reorders nothing; a handoff
started on one replica is answered from the console of the other."""

from __future__ import annotations

import contextlib
import uuid

import pytest
import yaml
from sqlalchemy import create_engine, text

from tests.conftest import OFFICER_PASSWORD, Assistant, Console, texts, wait_for
from tests.services import postgres, redis

QUESTIONS = [  # (message, the heading its answer starts with), each answered differently
    ("lệ phí đăng ký tạm trú bao nhiêu", "Lệ phí – Đăng ký tạm trú"),
    ("lệ phí đăng ký thường trú bao nhiêu", "Lệ phí – Đăng ký thường trú"),
    ("lệ phí gia hạn tạm trú", "Lệ phí – Gia hạn tạm trú"),
    ("lệ phí khai báo tạm vắng", "Lệ phí – Khai báo tạm vắng"),
    ("lệ phí sang tên xe máy", "Lệ phí – "),
    ("lệ phí cấp lại căn cước bị mất", "Lệ phí – "),
    ("đăng ký tạm trú ở đâu", "Nơi nộp hồ sơ – Đăng ký tạm trú"),
    ("đăng ký thường trú mất bao lâu", "Thời gian giải quyết – Đăng ký thường trú"),
    ("khai báo tạm vắng cần giấy tờ gì", "Hồ sơ cần chuẩn bị – Khai báo tạm vắng"),
    ("gia hạn tạm trú ở đâu", "Nơi nộp hồ sơ – Gia hạn tạm trú"),
]


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def cluster(request, trained_model, models_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    with contextlib.ExitStack() as services:
        lock_store = services.enter_context(redis(folder))
        if request.param == "postgresql":
            pg = services.enter_context(postgres(folder, ["project", "tracker"]))
            env = {"DATABASE_URL": f"{pg}/project", "TRACKER_STORE_URL": f"{pg}/tracker", "REDIS_URL": lock_store}
            tracker_url = f"{pg}/tracker"
        else:
            env, tracker_url = {"REDIS_URL": lock_store}, f"sqlite:///{folder / 'state' / 'tracker.db'}"
        running = Assistant(["--models-dir", str(models_dir)], folder / "state", env=env, replicas=2)
        running.dialect, running.tracker_url = request.param, tracker_url
        yield running
        running.stop()


@pytest.fixture(scope="module")
def sim(cluster):
    return cluster.simulator()


def webhook(cluster, replica: int) -> str:
    return f"http://127.0.0.1:{cluster.port + replica}/webhooks/zalo/webhook"


def test_the_cluster_runs_on_its_databases_and_redis(cluster):
    endpoints = yaml.safe_load((cluster.state / "endpoints.yml").read_text())
    assert endpoints["tracker_store"]["dialect"] == cluster.dialect
    assert endpoints["lock_store"]["type"] == "redis"
    assert f"replica 2: http://127.0.0.1:{cluster.port + 1}" in cluster.log  # where it listens (--host)


def test_one_conversation_through_two_replicas_loses_and_reorders_nothing(cluster, sim):
    citizen = "9" + str(uuid.uuid4().int)[:17]
    for turn, (question, _) in enumerate(QUESTIONS):  # back to back, alternating replicas
        answer = sim.send(sim.oa_id, citizen, text=question, webhook_url=webhook(cluster, turn % 2))
        assert answer["status"] == 200, answer

    wait_for(lambda: len(sim.messages(user_id=citizen)) >= len(QUESTIONS), timeout=90)
    replies = texts(sim.messages(user_id=citizen))
    assert len(replies) == len(QUESTIONS), replies  # one answer each, none twice
    for reply, (question, heading) in zip(replies, QUESTIONS):
        assert reply.startswith(heading), (question, reply)

    for replica in (0, 1):  # both replicas read the same conversation, in order
        tracker = cluster.tracker(citizen, replica=replica)
        assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == [q for q, _ in QUESTIONS]
    with create_engine(cluster.tracker_url).connect() as c:
        stored = c.execute(text("SELECT count(*) FROM events WHERE sender_id = :s AND type_name = 'user'"),
                           {"s": citizen}).scalar()
    assert stored == len(QUESTIONS)


def test_a_handoff_started_on_one_replica_is_answered_from_the_other(cluster, sim):
    cluster.accounts.add(
        "cum.officer", OFFICER_PASSWORD, "phuong-tay-thanh", "officer", "Cán bộ cụm")
    citizen = "9" + str(uuid.uuid4().int)[:17]
    sim.send(sim.oa_id, citizen, text="cho tôi gặp cán bộ", webhook_url=webhook(cluster, 0))
    assert "kết nối bạn với cán bộ" in texts(sim.wait_for_messages(citizen, 1))[0]

    on_b = Console(cluster, "cum.officer", web_port=cluster.web_port + 1)
    chat = wait_for(lambda: on_b.chat_for(citizen))
    assert on_b.post(f"chats/{chat['id']}/claim").status_code == 200
    assert on_b.post(f"chats/{chat['id']}/reply", {"text": "Chào bạn, cán bộ cụm đây."}).status_code == 200
    assert wait_for(lambda: "Chào bạn, cán bộ cụm đây." in texts(sim.messages(user_id=citizen)))

    sim.send(sim.oa_id, citizen, text="xe tôi bị mất ở chợ", webhook_url=webhook(cluster, 1))
    on_a = Console(cluster, "cum.officer", web_port=cluster.web_port)  # the other console sees it live
    seen = wait_for(lambda: "xe tôi bị mất ở chợ" in [
        t["text"] for t in on_a.get(f"chats/{chat['id']}").json()["transcript"]])
    assert seen
    assert on_a.post(f"chats/{chat['id']}/close").status_code == 200
    closed = wait_for(lambda: [t for t in texts(sim.messages(user_id=citizen)) if "kết thúc" in t])
    assert len(closed) == 1
    sim.send(sim.oa_id, citizen, text="lệ phí đăng ký tạm trú bao nhiêu", webhook_url=webhook(cluster, 1))
    assert wait_for(lambda: [t for t in texts(sim.messages(user_id=citizen)) if t.startswith("Lệ phí – Đăng ký tạm trú")])


def test_a_new_model_goes_live_on_both_replicas_while_citizens_write_and_every_message_is_answered(
        cluster, sim, trained_model, tmp_path):
    """The live swap of the review loop (bot/review/swap.py) under load: Zalo
    citizens through the intake and REST citizens on both replicas write all
    through it; each replica loads the model in turn and nothing fails or is lost."""
    import shutil
    import statistics
    import threading
    import time
    from pathlib import Path

    from bot.review.swap import Replica, swap
    from tests.conftest import rasa_headers

    new_model = tmp_path / f"swapped-{cluster.dialect}.tar.gz"
    shutil.copy(trained_model, new_model)
    replicas = [Replica(f"http://127.0.0.1:{cluster.port + i}", rasa_headers()) for i in (0, 1)]
    stop, sent, failed, latencies = threading.Event(), {}, [], []

    def zalo_citizen(n: int) -> None:
        citizen = f"7{n}" + str(uuid.uuid4().int)[:16]
        sent[citizen] = 0
        while not stop.is_set():
            answer = sim.send(sim.oa_id, citizen, text=QUESTIONS[sent[citizen] % len(QUESTIONS)][0],
                              webhook_url=cluster.webhook_url)
            assert answer["status"] == 200, answer
            sent[citizen] += 1
            time.sleep(0.5)

    def rest_citizen(n: int) -> None:
        turn = 0
        while not stop.is_set():
            question = QUESTIONS[turn % len(QUESTIONS)][0]
            started = time.monotonic()
            try:
                replies = cluster.say(f"swap-{cluster.dialect}-{n}", question, replica=n % 2)
            except Exception as error:  # noqa: BLE001 -- counted as a failed turn
                replies = [{"text": f"error {error}"}]
            latencies.append(time.monotonic() - started)
            if not replies or "error" in replies[0].get("text", "")[:6]:
                failed.append((n, question, replies))
            turn += 1

    writers = [threading.Thread(target=zalo_citizen, args=(n,)) for n in range(3)]
    writers += [threading.Thread(target=rest_citizen, args=(n,)) for n in range(4)]
    for writer in writers:
        writer.start()
    time.sleep(3)
    try:
        figures = swap(new_model, replicas)
        time.sleep(3)
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=120)

    assert [Path(r.model()).name for r in replicas] == [new_model.name] * 2
    assert not failed, failed[:3]
    for citizen, count in sent.items():  # every Zalo message answered once
        assert wait_for(lambda: len(sim.messages(user_id=citizen)) >= count, timeout=120), (citizen, count)
        assert len(sim.messages(user_id=citizen)) == count
    print(f"\nswap under load ({cluster.dialect}): {figures}; {len(latencies)} REST turns, "
          f"{sum(sent.values())} Zalo messages, REST latency p50 {statistics.median(latencies):.2f} s, "
          f"max {max(latencies):.2f} s")
