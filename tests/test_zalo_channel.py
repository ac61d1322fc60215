"""The Zalo channel end to end: the simulator signs and posts webhooks exactly
as Zalo does to the real Rasa server (started by the README's run command),
and the answers come back as Open API calls to the simulator."""

from __future__ import annotations

import io
import itertools
import json
import sqlite3
import time
import urllib.error
import urllib.request

import pytest

from bot.knowledge.validate import load_checked
from devtools.zalo_sim import SimClient
from tests.conftest import Assistant, rasa_headers, texts, wait_for

_ids = itertools.count()


@pytest.fixture
def user():
    return f"90000000000{next(_ids):05d}"


def outbox(assistant, user_id):
    with sqlite3.connect(assistant.state / "project.db") as db:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM zalo_outbox WHERE user_id = ? ORDER BY id", (user_id,))]


def post_webhook(assistant, body: bytes, headers=None):
    request = urllib.request.Request(
        f"{assistant.url}/webhooks/zalo/webhook", data=body,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_signed_text_is_acknowledged_and_answered_in_vietnamese(zalo, user):
    result = zalo.send(zalo.oa_id, user, text="xin chào")
    assert result["status"] == 200 and json.loads(result["body"])["status"] == "accepted"
    reply = zalo.wait_for_messages(user, 1, oa_id=zalo.oa_id)
    assert "Xin chào" in texts(reply)[0]


def test_answers_with_buttons_and_button_clicks(zalo, user):
    zalo.send(zalo.oa_id, user, text="làm căn cước")
    message = zalo.wait_for_messages(user, 1)[0]["body"]["message"]
    buttons = message["attachment"]["payload"]["buttons"]
    assert {"title": "Bị mất thẻ", "type": "oa.query.hide", "payload": "/id_card.reissue"} in buttons
    zalo.send(zalo.oa_id, user, text="/id_card.reissue")  # a click arrives as user_send_text
    answers = texts(zalo.wait_for_messages(user, 2))
    assert answers[1].startswith("Cấp lại thẻ căn cước (bị mất)\n")  # one short bubble, the title not in capitals
    assert all(len(t) <= 2000 for t in answers)


def test_form_is_uploaded_and_sent_as_a_file(zalo, user, assistant):
    zalo.send(zalo.oa_id, user, text="thủ tục đăng ký thường trú")
    first = len(zalo.wait_for_messages(user, 1))
    zalo.send(zalo.oa_id, user, text="cho tôi mẫu tờ khai")
    files = wait_for(lambda: [
        m for m in zalo.messages(user_id=user)[first:]
        if m["body"]["message"].get("attachment", {}).get("type") == "file"
    ])
    token = files[0]["body"]["message"]["attachment"]["payload"]["token"]
    with urllib.request.urlopen(f"{zalo.base_url}/_sim/files/{token}", timeout=10) as response:
        assert response.read()[:2] == b"PK"  # a DOCX (zip) file
    assert any(r["path"] == "/v2.0/oa/upload/file" for r in zalo.requests_log())


def test_a_form_comes_once_as_its_file_with_one_short_line(zalo, user, assistant):
    zalo.send(zalo.oa_id, user, text="thủ tục đăng ký tạm trú")
    zalo.wait_for_messages(user, 1)
    time.sleep(3)  # the whole overview
    first = len(zalo.messages(user_id=user))
    zalo.send(zalo.oa_id, user, text="mẫu tờ khai đâu?")

    def is_file(m):
        return m["body"]["message"].get("attachment", {}).get("type") == "file"

    def answered():  # the file, and after it the line naming it
        sent = zalo.messages(user_id=user)[first:]
        return sent if any(is_file(m) for m in sent) and not is_file(sent[-1]) else None
    wait_for(answered)
    time.sleep(3)  # anything else the answer would send has arrived by now
    sent = zalo.messages(user_id=user)[first:]
    files = [m for m in sent if is_file(m)]
    lines = texts([m for m in sent if not is_file(m)])
    assert len(files) == 1 and len(lines) == 1, sent
    assert "Mẫu CT01" in lines[0] and len(lines[0]) <= 200 and "http" not in lines[0]


# One citizen question for each procedure of the domains catalogue v2 added.
V2_QUESTIONS = {
    "immigration.passport": "thủ tục làm hộ chiếu lần đầu",
    "immigration.passport_loss_report": "trình báo mất hộ chiếu thế nào",
    "driving_licence.renewal": "đổi bằng lái xe hết hạn",
    "driving_licence.reissue": "bị mất bằng lái xe làm lại thế nào",
    "driving_licence.international": "làm bằng lái quốc tế",
    "records.criminal_record": "xin phiếu lý lịch tư pháp",
}


def test_catalogue_v2_procedures_are_answered_with_their_forms_sent_as_files(zalo, assistant):
    import docx

    kb = load_checked()
    assert set(V2_QUESTIONS) == {p for p in kb.catalogue if p.split(".")[0] in ("immigration", "driving_licence",
                                                                                 "records")}

    def received(user, fragment):
        """Everything the user got, once it holds ``fragment``."""
        return wait_for(lambda: fragment in "\n".join(texts(zalo.messages(user_id=user)))
                        and "\n".join(texts(zalo.messages(user_id=user))))

    def files(user, after, count):
        def found():
            sent = [m for m in zalo.messages(user_id=user)[after:]
                    if m["body"]["message"].get("attachment", {}).get("type") == "file"]
            return sent if len(sent) >= count else None
        return wait_for(found)

    for number, (procedure_id, question) in enumerate(V2_QUESTIONS.items()):
        procedure, user = kb.procedures[procedure_id], f"9100000000{number:06d}"
        zalo.send(zalo.oa_id, user, text=question)
        answer = received(user, f"{procedure.name}\n")  # the first answer starts with the name, not in capitals
        assert procedure.name.upper() not in answer
        assert assistant.tracker(user)["slots"]["procedure"] == procedure_id
        before = len(zalo.messages(user_id=user))
        zalo.send(zalo.oa_id, user, text="cho tôi mẫu tờ khai")
        titles = set()
        assert procedure.forms
        for message in files(user, before, len(procedure.forms)):
            token = message["body"]["message"]["attachment"]["payload"]["token"]
            with urllib.request.urlopen(f"{zalo.base_url}/_sim/files/{token}", timeout=10) as response:
                titles |= {p.text for p in docx.Document(io.BytesIO(response.read())).paragraphs}
        assert {kb.forms[code].title.upper() for code in procedure.forms} <= titles


@pytest.mark.parametrize("override", [
    {"signature": "mac=" + "0" * 64},
    {"signature": ""},
    {"timestamp": str(int(time.time() * 1000) - 10 * 60 * 1000)},
])
def test_forged_missing_or_stale_signatures_are_refused(zalo, user, assistant, override):
    result = zalo.send(zalo.oa_id, user, text="xin chào", **override)
    assert result["status"] == 401
    time.sleep(1.5)
    assert zalo.messages(user_id=user) == [] and outbox(assistant, user) == []


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b""])
def test_malformed_bodies_get_400_and_nothing_breaks(assistant, zalo, user, body):
    status, answer = post_webhook(assistant, body)
    assert status == 400 and "malformed" in answer["error"]
    zalo.send(zalo.oa_id, user, text="cảm ơn")
    assert zalo.wait_for_messages(user, 1)


def test_oversize_body_is_refused(assistant):
    status, _ = post_webhook(assistant, b'{"x": "' + b"a" * 1_100_000 + b'"}')
    assert status == 413


def test_redelivery_is_answered_once(zalo, user):
    first = zalo.send(zalo.oa_id, user, text="tạm biệt")
    again = zalo.send(zalo.oa_id, user, text="tạm biệt", msg_id=first["msg_id"], num_retry=1)
    assert json.loads(again["body"])["status"] == "duplicate"
    zalo.wait_for_messages(user, 1)
    time.sleep(1.5)
    assert len(zalo.messages(user_id=user)) == 1


def test_each_users_messages_are_answered_in_order(zalo, user):
    questions = ["xin chào", "dang ky tam tru", "lệ phí bao nhiêu?", "mất bao lâu?", "cảm ơn"]
    for text in questions:
        zalo.send(zalo.oa_id, user, text=text)
    answers = texts(zalo.wait_for_messages(user, 5, timeout=60))  # the procedure's first answer is one bubble
    order = [
        next(i for i, a in enumerate(answers) if "Xin chào" in a),
        next(i for i, a in enumerate(answers) if a.startswith("Đăng ký tạm trú\n")),
        next(i for i, a in enumerate(answers) if a.startswith("Lệ phí")),
        next(i for i, a in enumerate(answers) if a.startswith("Thời gian giải quyết")),
        next(i for i, a in enumerate(answers) if "Không có gì" in a),
    ]
    assert order == sorted(order)


@pytest.mark.parametrize("event, expected", [
    ("user_send_image", "đã nhận được tệp"),
    ("user_send_file", "đã nhận được tệp"),
    ("user_send_sticker", "đã nhận được tệp"),
    ("user_send_audio", "đã nhận được tệp"),
    ("user_send_location", "vị trí"),
    ("follow", "Cảm ơn bạn đã quan tâm"),
])
def test_every_event_gets_a_fitting_reply(zalo, user, event, expected):
    fields = {"latitude": 10.8017, "longitude": 106.6258} if event == "user_send_location" else {}
    assert zalo.send(zalo.oa_id, user, event_name=event, **fields)["status"] == 200
    assert expected in texts(zalo.wait_for_messages(user, 1))[0]


def test_shared_location_reaches_the_tracker_as_coordinates(zalo, user, assistant):
    zalo.send(zalo.oa_id, user, event_name="user_send_location", latitude=10.8017, longitude=106.6258)
    zalo.wait_for_messages(user, 1)
    tracker = assistant.tracker(user)
    entities = {e["entity"]: e["value"] for e in tracker["latest_message"]["entities"]}
    assert tracker["latest_message"]["intent"]["name"] == "share_location"
    assert entities == {"latitude": 10.8017, "longitude": 106.6258}
    assert tracker["latest_message"]["metadata"]["oa_id"] == zalo.oa_id


def test_image_is_kept_as_metadata_for_tip_offs(zalo, user, assistant):
    zalo.send(zalo.oa_id, user, event_name="user_send_image", url="https://example.invalid/a.jpg")
    zalo.wait_for_messages(user, 1)
    attachments = assistant.tracker(user)["latest_message"]["metadata"]["attachments"]
    assert attachments and attachments[0]["type"] == "image"


def test_unfollow_echo_and_unknown_events_are_not_answered(zalo, user, assistant):
    zalo.send(zalo.oa_id, user, text="xin chào")
    zalo.wait_for_messages(user, 1)
    for event in ("unfollow", "oa_send_text"):
        assert zalo.send(zalo.oa_id, user, event_name=event, text="x")["status"] == 200
    seen = json.dumps({  # an event the assistant does not handle
        "app_id": "x", "sender": {"id": user}, "recipient": {"id": zalo.oa_id}, "event_name": "user_seen_message",
        "message": {"msg_ids": ["a1"]}, "timestamp": str(int(time.time() * 1000)),
    })
    assert zalo.send(zalo.oa_id, user, raw_body=seen)["status"] == 200
    time.sleep(2)
    assert len(zalo.messages(user_id=user)) == 1
    with sqlite3.connect(assistant.state / "project.db") as db:
        assert db.execute("SELECT follower FROM zalo_users WHERE user_id = ?", (user,)).fetchone() == (0,)


def test_expired_token_is_refreshed_once_and_rotated(zalo, assistant):
    users = [f"8000000000000{i}" for i in range(3)]
    for u in users:
        zalo.send(zalo.oa_id, u, text="xin chào")
        zalo.wait_for_messages(u, 1)
    before = zalo.state()["refresh_calls"].get(zalo.oa_id, 0)
    zalo.expire_token(zalo.oa_id)
    for u in users:  # three deliveries hit the expired token together
        zalo.send(zalo.oa_id, u, text="cảm ơn")
    for u in users:
        zalo.wait_for_messages(u, 2)
    state = zalo.state()
    assert state["refresh_calls"][zalo.oa_id] == before + 1
    with sqlite3.connect(assistant.state / "project.db") as db:
        saved = db.execute("SELECT refresh_token FROM zalo_tokens WHERE oa_id = ?", (zalo.oa_id,)).fetchone()
    assert saved[0] == state["refresh_tokens"][zalo.oa_id]


@pytest.mark.parametrize("fault", [
    {"kind": "error", "code": -32, "times": 2},
    {"kind": "http", "code": 502, "times": 2},
])
def test_rate_limits_and_outages_are_retried_until_delivered_once(zalo, user, assistant, fault):
    zalo.send(zalo.oa_id, user, text="xin chào")
    zalo.wait_for_messages(user, 1)
    zalo.add_fault("message", fault["kind"], code=fault["code"], times=fault["times"], user_id=user)
    zalo.send(zalo.oa_id, user, text="cảm ơn")
    assert "Không có gì" in texts(zalo.wait_for_messages(user, 2, timeout=30))[1]
    time.sleep(1.5)
    assert len(zalo.messages(user_id=user)) == 2
    rows = outbox(assistant, user)
    assert [r["status"] for r in rows] == ["sent", "sent"] and rows[1]["attempts"] == fault["times"] + 1


def test_reply_outside_the_window_is_marked_undeliverable_not_retried(zalo, user, assistant):
    zalo.add_fault("message", "error", code=-230, times=1, user_id=user)
    zalo.send(zalo.oa_id, user, text="cảm ơn")
    row = wait_for(lambda: [r for r in outbox(assistant, user) if r["status"] != "pending"])[0]
    assert row["status"] == "undeliverable" and row["error_code"] == -230 and row["attempts"] == 1


def test_http_api_can_send_to_a_zalo_user(zalo, user, assistant):
    zalo.send(zalo.oa_id, user, text="cảm ơn")
    zalo.wait_for_messages(user, 1)
    request = urllib.request.Request(
        f"{assistant.url}/conversations/{user}/trigger_intent?output_channel=zalo",
        data=json.dumps({"name": "greet"}).encode(), headers={"Content-Type": "application/json", **rasa_headers()},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    assert "Xin chào" in texts(zalo.wait_for_messages(user, 2))[1]


def test_nothing_is_lost_across_a_crash(trained_model, tmp_path):
    """Kill everything while Zalo is down with a reply in the outbox; after a
    restart the reply is delivered once and a redelivery is still a duplicate."""
    first = Assistant(["--model", str(trained_model)], tmp_path)
    try:
        dev = json.loads((tmp_path / "zalo_dev.json").read_text())
        sim = SimClient(f"http://127.0.0.1:{first.sim_port}")
        user = "700000000000000001"
        sim.add_fault("message", "http", code=503, times=1000)
        sent = sim.send(dev["ZALO_OA_ID"], user, text="xin chào")
        wait_for(lambda: any(r["attempts"] > 0 for r in outbox(first, user)))
    finally:
        first.kill()  # a crash: SIGKILL to every process
    time.sleep(1)
    second = Assistant(["--model", str(trained_model)], tmp_path)
    try:
        sim = SimClient(f"http://127.0.0.1:{second.sim_port}")
        assert "Xin chào" in texts(sim.wait_for_messages(user, 1, timeout=60))[0]
        again = sim.send(dev["ZALO_OA_ID"], user, text="xin chào", msg_id=sent["msg_id"])
        assert json.loads(again["body"])["status"] == "duplicate"
        time.sleep(2)
        assert len(sim.messages(user_id=user)) == 1
        assert [r["status"] for r in outbox(second, user)] == ["sent"]
    finally:
        second.kill()
