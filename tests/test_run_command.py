"""The README's run command end to end: it sees the model is up to date (Rasa's
fingerprint), starts the real action server, Rasa server and web server,
answers on the REST channel in Vietnamese, keeps the conversation in SQLite,
protects the HTTP API with the token, and Ctrl-C stops every process."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import time
import urllib.error
import urllib.request

import pytest

from bot.core.db import engine
from bot.core.units import load_units
from bot.zalo.store import ZaloStore
from tests.conftest import AUTH_TOKEN, Assistant, rasa_headers, rest_id


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_reuses_the_up_to_date_model(assistant):
    assert "Model is up to date" in assistant.log
    assert "training a model" not in assistant.log


def test_prints_the_urls_to_use(assistant):
    assert f"POST http://127.0.0.1:{assistant.port}/webhooks/rest/webhook" in assistant.log  # --host 127.0.0.1
    assert f"http://localhost:{assistant.web_port}/forms" in assistant.log
    assert f"Officer console:     http://localhost:{assistant.web_port}/console" in assistant.log


def test_says_where_each_server_listens(assistant):
    """Public servers on every interface (--public-host 0.0.0.0): also reachable at this machine's name."""
    log = assistant.log
    assert (f"web server :{assistant.web_port}, Zalo intake server :{assistant.intake_port} "
            "on all interfaces (0.0.0.0)") in log
    assert (f"Rasa server :{assistant.port}, action server :{assistant.actions_port}, "
            f"Zalo simulator :{assistant.sim_port} on 127.0.0.1 (this machine only)") in log
    assert f"from other machines: http://{socket.gethostname()}:{assistant.web_port}/console" in log


def test_warns_that_links_point_at_this_machine_without_public_url(assistant):
    log = assistant.log
    assert "WARNING: PUBLIC_URL is not set: form links, procedure QR codes (/hoi/ pages) and announcement " in log
    assert f"{'':9}http://localhost:{assistant.web_port}, this machine, which citizens' phones cannot open." in log
    assert "Set PUBLIC_URL=https://" in log
    assert "real Zalo credentials" not in log  # the simulator: nothing for Zalo's servers to fetch


def test_first_officer_hint_lists_the_unit_ids(assistant):
    units = ", ".join(load_units().units)
    assert f"bot.console.officers add USERNAME --unit <one of: {units}> --role commander" in assistant.log


def test_start_up_prints_no_dependency_deprecation_warnings(assistant):
    # up to the summary: the session's assistant is shared, and other tests (the fault drills) make it log errors
    log = assistant.log.split("Press Ctrl-C to stop.")[0]
    assert "The assistant is running." in log
    for noise in ("DeprecationWarning", "FutureWarning", "Traceback"):
        assert noise not in log, log


def test_rest_webhook_answers_in_vietnamese(assistant):
    replies = assistant.say("citizen-e2e", "xin chào")
    assert replies and "Xin chào" in replies[0]["text"]
    assert "Công an" in replies[0]["text"]


@pytest.mark.parametrize("message", ["   ", "😀", "?!"])
def test_contentless_message_gets_a_clear_answer(assistant, message):
    replies = assistant.say("citizen-empty", message)
    assert len(replies) == 1 and "chưa hiểu" in replies[0]["text"]


def test_conversation_is_kept_in_the_sqlite_tracker_store(assistant):
    assistant.say("citizen-db", "cảm ơn")
    with sqlite3.connect(assistant.state / "tracker.db") as db:
        rows = db.execute("SELECT type_name FROM events WHERE sender_id = ?", (rest_id("citizen-db"),)).fetchall()
    assert ("user",) in rows and ("bot",) in rows


def test_http_api_requires_the_secret_in_a_header(assistant):
    request = urllib.request.Request(f"{assistant.url}/status", headers=rasa_headers())
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.loads(response.read())["model_file"]
    for url in (f"{assistant.url}/status", f"{assistant.url}/status?token={AUTH_TOKEN}"):  # never in a URL
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(url, timeout=10)
        assert denied.value.code == 401


def test_ctrl_c_stops_every_process(trained_model, tmp_path):
    own = Assistant(["--model", str(trained_model)], tmp_path)
    try:
        # a citizen's Zalo name still being fetched (a slow Zalo) when the assistant stops
        zalo, user = own.simulator(), "5300000000000099001"
        zalo.add_fault("user_detail", "timeout", delay=8, user_id=user)
        zalo.send(zalo.oa_id, user, text="xin chào")
        zalo.wait_for_messages(user, 1)
        assert [r for r in zalo.requests_log() if r["path"] == "/v3.0/oa/user/detail" and user in r["query"]]
        os.killpg(own.process.pid, signal.SIGINT)
        assert own.process.wait(timeout=60) == 0
        assert ZaloStore(engine(own.database_url)).user(user)["profile_tried_at"] is None  # cancelled, no write
        stop = "Stopping every process..." + own.log.split("Press Ctrl-C to stop.")[1].split("Stopping every process...")[1]
        assert stop.rstrip().endswith("Stopped.")
        assert "Zalo user detail: 1 fetch(es) cancelled at shutdown" in stop  # awaited, not left pending
        # every background task cancelled and awaited: nothing left pending, nothing crashing
        for noise in ("Task was destroyed", "Traceback", "ERROR", "Error", "DeprecationWarning"):
            assert noise not in stop, stop
        ports = (own.port, own.actions_port, own.web_port, own.sim_port)
        deadline = time.monotonic() + 20
        while any(map(port_open, ports)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not any(map(port_open, ports))
    finally:
        own.kill()


def test_no_public_url_warning_for_a_public_address_and_one_for_a_loopback_one():
    from bot.apps.launcher import public_url_warnings

    assert public_url_warnings("https://tro-ly.cong-an.example.vn", configured=True, real_zalo=True) == []
    set_to_loopback = "\n".join(public_url_warnings("http://127.0.0.1:5080", configured=True, real_zalo=False))
    assert "WARNING: PUBLIC_URL is http://127.0.0.1:5080, this machine:" in set_to_loopback
    assert "real Zalo credentials" not in set_to_loopback
