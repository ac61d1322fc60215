"""Many Official Accounts, one engine: one deployment (the README's run
command, with real Zalo settings from ZALO_ACCOUNTS_FILE) serves a district OA,
a ward OA and a team OA. The Zalo simulator plays both OAs. Each delivery is verified
with its own OA's secret key, answered with its own OA's access token, and a
request for an officer lands in the queue of the unit the OA speaks for."""

from __future__ import annotations

import itertools
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml

from bot.console.auth import Accounts
from bot.core.db import engine
from bot.zalo.signature import mac
from devtools.zalo_sim import SimClient
from tests.conftest import OFFICER_PASSWORD as PASSWORD
from tests.conftest import ROOT, Assistant, Console, free_port, texts, wait_for

APP_ID = "1000000000000000777"
DISTRICT = "3100000000000000001"
WARD = "3200000000000000002"
TEAM = "3300000000000000003"
UNKNOWN_OA = "3900000000000000009"

_ids = itertools.count()


@dataclass(frozen=True)
class Oa:
    oa_id: str
    unit: str
    name: str
    env_prefix: str
    secret_key: str
    access_token: str
    refresh_token: str


OAS = {
    DISTRICT: Oa(DISTRICT, "quan-mau", "Công an quận Mẫu", "ZALO_QUAN",
                 secrets.token_hex(16), secrets.token_hex(24), secrets.token_hex(24)),
    WARD: Oa(WARD, "phuong-son-ky", "Công an phường Sơn Kỳ", "ZALO_SON_KY",
             secrets.token_hex(16), secrets.token_hex(24), secrets.token_hex(24)),
    TEAM: Oa(TEAM, "doi-csgt", "Đội CSGT quận Mẫu", "ZALO_CSGT",
             secrets.token_hex(16), secrets.token_hex(24), secrets.token_hex(24)),
}


@dataclass
class Deployment:
    assistant: Assistant
    sim: SimClient
    state: Path


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=10)


def _start_simulator(port: int, webhook_url: str, app_secret: str, log_path: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "devtools.zalo_sim", "--host", "127.0.0.1", "--port", str(port),
               "--webhook-url", webhook_url, "--app-id", APP_ID, "--app-secret", app_secret]
    for oa in OAS.values():
        command += ["--oa", f"{oa.oa_id}:{oa.secret_key}:{oa.access_token}:{oa.refresh_token}:{oa.name}"]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/_sim/state", timeout=2).status_code == 200:
                return process
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            pytest.fail("the Zalo simulator did not come up:\n" + log_path.read_text()[-3000:])
        time.sleep(0.3)


@pytest.fixture(scope="module")
def deployment(trained_model, tmp_path_factory):
    state = tmp_path_factory.mktemp("many_oas")
    sim_port = free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    app_secret = secrets.token_hex(16)
    accounts_file = state / "zalo_accounts.yml"
    accounts_file.write_text(yaml.safe_dump({"accounts": [
        {"oa_id": oa.oa_id, "unit": oa.unit, "name": oa.name, "env_prefix": oa.env_prefix} for oa in OAS.values()
    ]}, allow_unicode=True), encoding="utf-8")
    env = {"ZALO_ACCOUNTS_FILE": str(accounts_file), "ZALO_APP_ID": APP_ID, "ZALO_APP_SECRET": app_secret,
           "ZALO_API_BASE": sim_url, "ZALO_OAUTH_BASE": sim_url}
    for oa in OAS.values():
        env[f"{oa.env_prefix}_OA_SECRET_KEY"] = oa.secret_key
        env[f"{oa.env_prefix}_ACCESS_TOKEN"] = oa.access_token
        env[f"{oa.env_prefix}_REFRESH_TOKEN"] = oa.refresh_token

    assistant = simulator = None
    try:
        # Assistant copies os.environ when it starts the run command; the
        # variables are removed again at once so no other test sees them.
        with pytest.MonkeyPatch.context() as patch:
            for name in [n for n in os.environ if n.startswith("ZALO_") or n == "DATABASE_URL"]:
                patch.delenv(name)
            for name, value in env.items():
                patch.setenv(name, value)
            assistant = Assistant(["--model", str(trained_model)], state)
        assert "Zalo simulator:" not in assistant.log  # real Zalo settings: the launcher starts no simulator
        # the assistant only calls Zalo when it answers, so the simulator may come up now
        simulator = _start_simulator(sim_port, f"{assistant.url}/webhooks/zalo/webhook", app_secret,
                                     state / "zalo_sim.log")
        officers = Accounts(engine(f"sqlite:///{state / 'project.db'}"))
        officers.add("son.ky", PASSWORD, "phuong-son-ky", "officer", "Cán bộ Sơn Kỳ")
        officers.add("tay.thanh", PASSWORD, "phuong-tay-thanh", "officer", "Cán bộ Tây Thạnh")
        officers.add("quan.mau", PASSWORD, "quan-mau", "officer", "Cán bộ quận Mẫu")
        yield Deployment(assistant, SimClient(sim_url), state)
    finally:
        if simulator is not None:
            _stop(simulator)
        if assistant is not None:
            assistant.stop()


def new_user(oa_id: str) -> str:
    # Zalo user ids are per OA; distinct prefixes keep the two OAs' citizens apart
    return f"{oa_id[:2]}7000000000{next(_ids):05d}"


def signed_raw(oa_id: str, user_id: str, text: str, key: str):
    """A user_send_text delivery built here: (raw body, timestamp, signature header)."""
    timestamp = str(int(time.time() * 1000))
    raw = json.dumps({
        "app_id": APP_ID, "sender": {"id": user_id}, "user_id_by_app": "1234567890", "recipient": {"id": oa_id},
        "event_name": "user_send_text", "message": {"text": text, "msg_id": secrets.token_hex(16)},
        "timestamp": timestamp,
    }, ensure_ascii=False, separators=(",", ":"))
    return raw, timestamp, "mac=" + mac(APP_ID, raw.encode("utf-8"), timestamp, key)


def sends_to(sim: SimClient, user_id: str) -> list:
    return [r for r in sim.requests_log()
            if r["path"] == "/v3.0/oa/message/cs" and ((r.get("json") or {}).get("recipient") or {}).get("user_id")
            == user_id]


def test_launcher_warns_that_zalo_cannot_fetch_from_localhost(deployment):
    """Real Zalo settings and no PUBLIC_URL: Zalo's servers would be sent links to this machine."""
    log = deployment.assistant.log
    assert "WARNING: real Zalo credentials are configured (ZALO_APP_ID) but PUBLIC_URL is http://localhost:" in log
    assert "Zalo's servers cannot fetch form files or announcement images from it." in log


@pytest.mark.parametrize("oa_id", [DISTRICT, WARD])
def test_each_oa_is_answered_by_itself_with_its_own_access_token(deployment, oa_id):
    sim, other = deployment.sim, next(o for o in OAS if o != oa_id)
    user = new_user(oa_id)
    result = sim.send(oa_id, user, text="xin chào")
    assert result["status"] == 200, result
    assert json.loads(result["body"])["status"] == "accepted"

    replies = sim.wait_for_messages(user, 1, timeout=60, oa_id=oa_id)
    assert "Xin chào" in texts(replies)[0]
    assert sim.messages(oa_id=other, user_id=user) == []
    assert all(m["oa_id"] == oa_id for m in sim.messages(user_id=user))

    sends = sends_to(sim, user)
    assert sends, "the answer was not sent through the Open API"
    assert {r["headers"].get("access_token") for r in sends} == {OAS[oa_id].access_token}
    assert sim.state()["refresh_calls"][oa_id] == 0  # the configured token itself, not a refreshed one


def test_no_access_token_is_ever_used_for_the_other_oas_citizens(deployment):
    sim = deployment.sim
    users = {oa_id: new_user(oa_id) for oa_id in OAS}
    for oa_id, user in users.items():
        assert sim.send(oa_id, user, text="xin chào")["status"] == 200
    for oa_id, user in users.items():
        sim.wait_for_messages(user, 1, timeout=60, oa_id=oa_id)
    token_owner = {oa.access_token: oa.oa_id for oa in OAS.values()}
    for record in [r for r in sim.requests_log() if r["path"] == "/v3.0/oa/message/cs"]:
        recipient = record["json"]["recipient"]["user_id"]
        owner = token_owner.get(record["headers"].get("access_token"))
        assert owner is not None, record
        assert recipient.startswith(owner[:2]), f"{owner}'s token used to answer {recipient}"


def test_a_delivery_signed_with_another_oas_key_is_refused(deployment):
    sim = deployment.sim
    user = new_user(WARD)
    raw, timestamp, forged = signed_raw(WARD, user, "xin chào", OAS[DISTRICT].secret_key)
    refused = sim.send(WARD, user, raw_body=raw, timestamp=timestamp, signature=forged)
    assert refused["status"] == 401, refused
    assert json.loads(refused["body"])["error"] == "bad signature"

    # the same bytes signed with the ward's own key are accepted and answered by the ward OA
    genuine = "mac=" + mac(APP_ID, raw.encode("utf-8"), timestamp, OAS[WARD].secret_key)
    accepted = sim.send(WARD, user, raw_body=raw, timestamp=timestamp, signature=genuine)
    assert accepted["status"] == 200, accepted
    replies = sim.wait_for_messages(user, 1, timeout=60, oa_id=WARD)
    time.sleep(1)
    assert len(sim.messages(user_id=user)) == len(replies) and "Xin chào" in texts(replies)[0]


def test_a_delivery_to_an_oa_not_served_here_is_refused(deployment):
    sim = deployment.sim
    user = new_user(UNKNOWN_OA)
    for key in (OAS[WARD].secret_key, OAS[DISTRICT].secret_key, secrets.token_hex(16)):
        raw, timestamp, signature = signed_raw(UNKNOWN_OA, user, "xin chào", key)
        refused = sim.send(WARD, user, raw_body=raw, timestamp=timestamp, signature=signature)
        assert refused["status"] == 401, refused
        assert json.loads(refused["body"])["error"] == "unknown OA"
    time.sleep(1)
    assert sim.messages(user_id=user) == []


@pytest.mark.parametrize("oa_id, unit, unit_name, sees, does_not_see", [
    (WARD, "phuong-son-ky", "Công an phường Sơn Kỳ", "son.ky", ["tay.thanh", "quan.mau"]),
    (DISTRICT, "quan-mau", "Công an quận Mẫu", "quan.mau", ["son.ky", "tay.thanh"]),
])
def test_a_request_for_an_officer_lands_in_the_queue_of_the_oas_unit(deployment, oa_id, unit, unit_name, sees,
                                                                    does_not_see):
    sim, assistant = deployment.sim, deployment.assistant
    user = new_user(oa_id)
    assert sim.send(oa_id, user, text="cho tôi gặp cán bộ")["status"] == 200
    answer = texts(sim.wait_for_messages(user, 1, timeout=60, oa_id=oa_id))[0]
    assert "kết nối bạn với cán bộ" in answer and unit_name in answer

    chat = wait_for(lambda: Console(assistant, sees).chat_for(user))
    assert chat["unit"] == unit and chat["reason"] == "requested" and chat["status"] == "waiting"
    for officer in does_not_see:
        assert Console(assistant, officer).chat_for(user) is None, f"{officer} sees a chat of {unit}"


def buttons_of(message: dict) -> list:
    return message["body"]["message"]["attachment"]["payload"]["buttons"]


def page_button(oa_id: str) -> tuple:
    return OAS[oa_id].name, "oa.open.url", {"url": f"https://zalo.me/{oa_id}"}


def ask(sim: SimClient, oa_id: str, user: str, text: str) -> dict:
    """The reply to ``text``: the newest message the citizen got."""
    before = len(sim.messages(user_id=user))
    assert sim.send(oa_id, user, text=text)["status"] == 200
    return sim.wait_for_messages(user, before + 1, timeout=60, oa_id=oa_id)[-1]


def test_the_greeting_offers_the_units_zalo_pages_and_they_open_the_other_oas(deployment):
    sim, user = deployment.sim, new_user(WARD)
    greeting = ask(sim, WARD, user, "xin chào")
    [button] = buttons_of(greeting)
    assert button["title"] == "Trang Zalo các đơn vị" and button["type"] == "oa.query.hide"

    pages = ask(sim, WARD, user, button["payload"])  # Zalo sends a button's payload as the citizen's text
    shown = [(b["title"], b["type"], b["payload"]) for b in buttons_of(pages)]
    assert shown == [page_button(DISTRICT), page_button(TEAM)]  # the district first; not the ward's own page
    text = texts([pages])[0]
    assert "Trang Zalo của 2 đơn vị công an khác" in text
    # a unit without an Official Account: by name, with its duty phone
    assert "Công an phường Tây Thạnh (dữ liệu mẫu): 0283 000 0001" in text and "Sơn Kỳ" not in text


@pytest.mark.parametrize("oa_id, question, first, told", [
    (DISTRICT, "zalo cong an phuong son ky", WARD, "Trang Zalo của Công an phường Sơn Kỳ"),
    (WARD, "cho xin trang zalo của đội csgt", TEAM, "Trang Zalo của Đội CSGT quận Mẫu"),
    (TEAM, "Các trang Zalo của công an quận", DISTRICT, "Trang Zalo của Công an quận Mẫu"),
    (DISTRICT, "trang đội cảnh sát PCCC", TEAM, "Trang Zalo của 2 đơn vị công an khác"),
])
def test_a_unit_named_in_the_question_comes_first(deployment, oa_id, question, first, told):
    sim, user = deployment.sim, new_user(oa_id)
    answer = ask(sim, oa_id, user, question)
    shown = [(b["title"], b["type"], b["payload"]) for b in buttons_of(answer)]
    assert shown[0] == page_button(first)
    assert sorted(shown) == sorted(page_button(o) for o in OAS if o != oa_id)
    assert told in texts([answer])[0]
