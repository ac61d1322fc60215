"""No one can act as a citizen or reach the internal services (docs/security.md):
the REST channel has its own conversations and trusts nothing a client
claims, the action server, the Rasa HTTP API and the kick endpoint need the
run's secrets (sent in headers, never on a command line), internal servers
listen on localhost, state files are private, a flood of chats is bounded,
and a stopped action server costs a citizen an apology, not an answer."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from pathlib import Path

import pytest
import requests

from bot.apps.launcher import parse_args
from bot.core.units import load_units
from bot.handoff.store import Busy, HandoffStore
from bot.server.action_calls import ActionServerPause
from tests.conftest import REST_TOKEN, Console, descendants, free_port, rest_id, texts, wait_for
from tests.test_recovery import child, up

LIMITS = {"per_conversation_per_hour": 2, "total_per_minute": 3}


def rest(assistant, body, token=REST_TOKEN) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{assistant.url}/webhooks/rest/webhook", json=body, headers=headers, timeout=60)


def zalo_citizen() -> str:
    return "7" + str(uuid.uuid4().int)[:17]


def open_chat(assistant, conversation_id):
    from bot.core.db import engine

    return HandoffStore(engine(assistant.database_url)).open_for(conversation_id)


# ---- the REST channel


def test_rest_channel_needs_its_token(assistant):
    assert rest(assistant, {"sender": "x", "message": "xin chào"}, token=None).status_code == 401
    assert rest(assistant, {"sender": "x", "message": "xin chào"}, token="wrong").status_code == 401
    answer = rest(assistant, {"sender": "x", "message": "xin chào"})
    assert answer.status_code == 200 and "Xin chào" in answer.json()[0]["text"]


def test_rest_cannot_cancel_a_zalo_citizens_sos_or_read_their_conversation(zalo, assistant):
    citizen = zalo_citizen()
    zalo.send(zalo.oa_id, citizen, text="cứu tôi với")
    zalo.wait_for_messages(citizen, 1)
    sos = wait_for(lambda: open_chat(assistant, citizen))
    assert sos["reason"] == "sos"

    answer = rest(assistant, {"sender": citizen, "message": "hủy"})
    assert answer.status_code == 200
    time.sleep(2)  # the supervisor notices cancellations within a second
    assert open_chat(assistant, citizen)["id"] == sos["id"]  # still waiting for an officer
    zalo_texts = [e.get("text") for e in assistant.tracker(citizen)["events"] if e["event"] == "user"]
    assert "hủy" not in zalo_texts
    assert "hủy" in [e.get("text") for e in assistant.tracker(rest_id(citizen))["events"] if e["event"] == "user"]


def test_rest_client_metadata_and_channel_claims_are_not_trusted(assistant):
    sender = f"meta-{uuid.uuid4().hex[:8]}"
    answer = rest(assistant, {"sender": sender, "message": "cho tôi gặp cán bộ", "input_channel": "zalo",
                              "metadata": {"unit": "phuong-son-ky", "sos_text": "cứu"}})
    assert answer.status_code == 200
    chat = wait_for(lambda: open_chat(assistant, rest_id(sender)))
    assert chat["unit"] == load_units().default_unit != "phuong-son-ky"
    user_event = [e for e in assistant.tracker(rest_id(sender))["events"] if e["event"] == "user"][-1]
    metadata = user_event.get("metadata") or {}
    assert user_event["input_channel"] == "rest" and "unit" not in metadata and "sos_text" not in metadata


def test_an_officers_reply_reaches_zalo_after_a_rest_message_with_the_same_id(zalo, assistant):
    assistant.accounts.add("sec.officer", "mật-khẩu-đủ-dài-1", "phuong-tay-thanh", "officer", "Cán bộ an ninh")
    citizen = zalo_citizen()
    zalo.send(zalo.oa_id, citizen, text="cho tôi gặp cán bộ")
    zalo.wait_for_messages(citizen, 1)
    officer = Console(assistant, "sec.officer")
    chat = wait_for(lambda: officer.chat_for(citizen))
    assert officer.post(f"chats/{chat['id']}/claim").status_code == 200
    assert rest(assistant, {"sender": citizen, "message": "xin chào"}).status_code == 200
    assert officer.post(f"chats/{chat['id']}/reply", {"text": "Chào anh, tôi nghe."}).status_code == 200
    assert "Chào anh, tôi nghe." in texts(zalo.wait_for_messages(citizen, 2))
    officer.post(f"chats/{chat['id']}/close")


@pytest.mark.parametrize("body, status", [
    ({"sender": "x", "message": "a" * 2001}, 413),
    ({"sender": "x" * 65, "message": "xin chào"}, 400),
    ({"sender": "../x", "message": "xin chào"}, 400),
    ({"message": "xin chào"}, 400),
    ({"sender": "x", "message": 5}, 400),
    (["not", "an", "object"], 400),
])
def test_rest_refuses_what_it_cannot_take_with_a_clear_error(assistant, body, status):
    started = time.monotonic()
    answer = rest(assistant, body)
    assert answer.status_code == status and answer.json()["error"]
    assert time.monotonic() - started < 5


# ---- internal services


def test_the_action_server_runs_nothing_without_the_secret(assistant):
    call = {"next_action": "action_list_tipoffs", "sender_id": zalo_citizen(), "tracker": {
        "sender_id": "x", "slots": {}, "latest_message": {}, "events": [], "paused": False,
        "followup_action": None, "active_loop": {}, "latest_action_name": None}, "domain": {}, "version": "3.6.2"}
    url = f"http://127.0.0.1:{assistant.actions_port}"
    assert requests.post(f"{url}/webhook", json=call, timeout=10).status_code == 401
    assert requests.post(f"{url}/webhook", json=call, headers={"Authorization": "Bearer nope"},
                         timeout=10).status_code == 401
    assert requests.get(f"{url}/actions", timeout=10).status_code == 401
    assert requests.get(f"{url}/health", timeout=10).status_code == 200  # for the launcher's checks


def test_the_kick_endpoint_needs_the_rasa_secret(assistant):
    answer = requests.post(f"{assistant.url}/webhooks/zalo/kick", json={"user_id": "1"}, timeout=10)
    assert answer.status_code == 401


def listening_addresses(port: int) -> set:
    """The local addresses sockets listen on for this TCP port (/proc/net/tcp*)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if int(hex_port, 16) == port and fields[3] == "0A":  # LISTEN
                found.add(address)
    return found


def test_internal_servers_listen_on_localhost_only(assistant):
    loopback = {"0100007F", "00000000000000000000000001000000"}
    for port in (assistant.actions_port, assistant.port, assistant.sim_port):
        addresses = listening_addresses(port)
        assert addresses and addresses <= loopback, (port, addresses)
    defaults = parse_args([])
    assert defaults.host == "127.0.0.1" and defaults.public_host == "0.0.0.0"


def test_no_secret_on_any_command_line(assistant):
    from tests.conftest import AUTH_TOKEN

    dev = json.loads((assistant.state / "zalo_dev.json").read_text())
    secrets = [AUTH_TOKEN, REST_TOKEN, dev["ZALO_APP_SECRET"], dev["ZALO_OA_SECRET_KEY"]]
    for pid in [assistant.process.pid, *descendants(assistant.process.pid)]:
        try:
            line = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        assert not [s for s in secrets if s in line], line.replace("\0", " ")


def test_state_files_are_private(assistant):
    for name in ("endpoints.yml", "zalo_dev.json", "rest_channel.token", "project.db", "tracker.db"):
        mode = (assistant.state / name).stat().st_mode & 0o777
        assert mode == 0o600, (name, oct(mode))


# ---- floods and a stopped action server


def test_a_flood_of_chats_is_bounded_and_an_sos_still_gets_its_answer(tmp_path):
    from bot.core import db
    from bot.safety.emergency import Alarms

    engine = db.engine(f"sqlite:///{tmp_path / 'flood.db'}")
    store = HandoffStore(engine)
    store.request("a", "phuong-son-ky", "requested", limits=LIMITS)
    store.end(store.open_for("a")["id"], "a", "cancelled")
    store.request("a", "phuong-son-ky", "requested", limits=LIMITS)
    store.end(store.open_for("a")["id"], "a", "cancelled")
    with pytest.raises(Busy):  # one conversation, a third time within the hour
        store.request("a", "phuong-son-ky", "requested", limits=LIMITS)
    store.request("b", "phuong-son-ky", "requested", limits=LIMITS)
    with pytest.raises(Busy):  # everyone together: three in the last minute
        store.request("c", "phuong-son-ky", "requested", limits=LIMITS)

    alarms = Alarms(engine)  # the real limits (data/handoff.yml), reached by many new ids
    for i in range(70):
        text, buttons = alarms.raise_alarm(f"flood-{i}", "phuong-son-ky", "cứu")
        assert "113" in text and buttons  # every one still gets the emergency answer
    queued = [h for h in store.all_open() if h["conversation_id"].startswith("flood-")]
    assert 50 <= len(queued) <= 60


def test_a_stopped_action_server_costs_an_apology_and_others_are_still_answered(zalo, assistant):
    """A drill: the action server stopped (SIGSTOP) while eight citizens write."""
    wait_for(lambda: up(f"http://127.0.0.1:{assistant.actions_port}/health"), timeout=60)
    asking, others = zalo_citizen(), [zalo_citizen() for _ in range(3)]
    greeting, later = [zalo_citizen() for _ in range(4)], zalo_citizen()
    actions = child(assistant, "bot.apps.actions")
    os.kill(actions, signal.SIGSTOP)
    try:
        started = time.monotonic()
        zalo.send(zalo.oa_id, asking, text="đăng ký tạm trú cần giấy tờ gì")
        for citizen in others:
            zalo.send(zalo.oa_id, citizen, text="thủ tục làm căn cước lần đầu")
        time.sleep(0.5)
        for citizen in greeting:  # under load: every one of them is answered
            zalo.send(zalo.oa_id, citizen, text="xin chào")
        for citizen in greeting:
            assert "Xin chào" in wait_for(lambda: texts(zalo.messages(user_id=citizen)), timeout=20)[0]
        for citizen in [asking, *others]:
            apology = wait_for(lambda: [t for t in texts(zalo.messages(user_id=citizen)) if "sự cố" in t], timeout=20)
            assert "gửi lại" in apology[0]
        assert time.monotonic() - started < 20
        sent = time.monotonic()  # after the timeout, action calls fail at once while it stays stopped
        zalo.send(zalo.oa_id, later, text="lệ phí đăng ký xe máy bao nhiêu")
        wait_for(lambda: [t for t in texts(zalo.messages(user_id=later)) if "sự cố" in t], timeout=10)
        assert time.monotonic() - sent < 5
        events = assistant.tracker(asking)["events"]
        assert "đăng ký tạm trú cần giấy tờ gì" in [e.get("text") for e in events if e["event"] == "user"]
    finally:
        try:
            os.kill(actions, signal.SIGCONT)
        except ProcessLookupError:  # the launcher replaced the hung process
            pass
    wait_for(lambda: up(f"http://127.0.0.1:{assistant.actions_port}/health"), timeout=60)
    time.sleep(ActionServerPause.PROBE_EVERY)  # Rasa asks the action server's health at most this often
    answer = rest(assistant, {"sender": "after-the-stop", "message": "đăng ký tạm trú cần giấy tờ gì"}).json()
    assert "Đăng ký tạm trú" in answer[0]["text"]  # answered at once: the action server is back


def test_the_action_server_refuses_to_start_without_its_secret():
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ACTION_SERVER_TOKEN"}
    done = subprocess.run([sys.executable, "-m", "bot.apps.actions", "--port", str(free_port())], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "ACTION_SERVER_TOKEN" in done.stderr
