"""Tests of the Zalo OA simulator itself (devtools/zalo_sim), against the protocol
fact sheet: the simulator runs as a subprocess (its CLI) on a free local port
and signs webhooks to a small local receiver that records what arrives."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from devtools.zalo_sim import SimAccount, SimClient, SimConfig, create_app
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
APP_ID, APP_SECRET = "360846524940903967", "app-secret-xyz"
OA, OA_KEY, TOKEN, REFRESH = "388613280878808645", "oa-secret-key", "access-1", "refresh-1"
OA2, OA2_KEY, TOKEN2, REFRESH2 = "388613280878800002", "oa2-secret-key", "access-2", "refresh-2"


def mac(raw: bytes, timestamp: str, key: str = OA_KEY) -> str:
    return "mac=" + hashlib.sha256(APP_ID.encode() + raw + timestamp.encode() + key.encode()).hexdigest()


class Receiver:
    """A webhook endpoint (http.server in a thread) that records each delivery."""

    def __init__(self):
        self.received: list[dict] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                received.append({"path": self.path, "headers": dict(self.headers), "raw": raw})
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/webhooks/zalo/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def last(self) -> dict:
        assert self.received, "nothing reached the webhook"
        return self.received[-1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver():
    running = Receiver()
    yield running
    running.close()


@pytest.fixture(scope="module")
def sim(receiver, tmp_path_factory):
    port = free_port()
    log = (tmp_path_factory.mktemp("zalo_sim") / "sim.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.zalo_sim", "--port", str(port), "--webhook-url", receiver.url,
         "--app-id", APP_ID, "--app-secret", APP_SECRET,
         "--oa", f"{OA}:{OA_KEY}:{TOKEN}:{REFRESH}:Công an phường", "--oa", f"{OA2}:{OA2_KEY}:{TOKEN2}:{REFRESH2}"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=log, stderr=subprocess.STDOUT,
    )
    client = SimClient(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 15
    while True:
        try:
            client.state()
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the simulator did not start: " + Path(log.name).read_text())
            time.sleep(0.1)
    yield client
    process.kill()
    process.wait()
    log.close()


@pytest.fixture(autouse=True)
def clean(sim, receiver):
    sim.reset()
    receiver.received.clear()


def cs(sim, body, token=TOKEN, **kwargs):
    return requests.post(f"{sim.base_url}/v3.0/oa/message/cs", json=body, headers={"access_token": token},
                         timeout=kwargs.pop("timeout", 5), **kwargs)


def text_to(user_id, text="Xin chào", **message):
    return {"recipient": {"user_id": user_id}, "message": {"text": text, **message}}


def buttons(n, kind="oa.query.show"):
    return {"type": "template", "payload": {"buttons": [{"title": f"Nút {i}", "type": kind, "payload": f"/b{i}"}
                                                         for i in range(n)]}}


def upload(sim, kind, filename, content, token=TOKEN):
    return requests.post(f"{sim.base_url}/v2.0/oa/upload/{kind}", headers={"access_token": token},
                         files={"file": (filename, content)}, timeout=10).json()


def refresh(sim, token, secret=APP_SECRET):
    return requests.post(f"{sim.base_url}/v4/oa/access_token", headers={"secret_key": secret},
                         data={"refresh_token": token, "app_id": APP_ID, "grant_type": "refresh_token"},
                         timeout=5).json()


def test_text_webhook_is_signed_over_the_exact_bytes(sim, receiver):
    result = sim.send(OA, "user-a", text="Tôi muốn làm căn cước")
    assert result["status"] == 200 and result["body"] == "ok"
    got = receiver.last()
    assert got["path"] == "/webhooks/zalo/webhook"
    assert got["headers"]["Content-Type"] == "application/json"
    payload = json.loads(got["raw"])
    assert got["headers"]["X-ZEvent-Signature"] == mac(got["raw"], payload["timestamp"])
    assert payload == result["payload"]
    assert payload == {
        "app_id": APP_ID, "sender": {"id": "user-a"}, "user_id_by_app": payload["user_id_by_app"],
        "recipient": {"id": OA}, "event_name": "user_send_text",
        "message": {"text": "Tôi muốn làm căn cước", "msg_id": result["msg_id"]}, "timestamp": payload["timestamp"],
    }
    for value in (payload["app_id"], payload["user_id_by_app"], payload["message"]["msg_id"], payload["timestamp"]):
        assert isinstance(value, str)
    assert abs(int(payload["timestamp"]) - time.time() * 1000) < 60_000  # milliseconds


def test_attachment_and_follow_payload_shapes(sim, receiver):
    location = sim.send(OA, "user-b", "user_send_location", latitude=10.7642473, longitude="106.6564314")["payload"]
    assert location["message"]["attachments"] == [
        {"type": "location", "payload": {"coordinates": {"latitude": "10.7642473", "longitude": "106.6564314"}}}]
    image = sim.send(OA, "user-b", "user_send_image", text="ảnh giấy tờ")["payload"]["message"]
    assert image["text"] == "ảnh giấy tờ" and image["attachments"][0]["type"] == "image"
    assert set(image["attachments"][0]["payload"]) == {"thumbnail", "url"}
    file = sim.send(OA, "user-b", "user_send_file", name="don.pdf")["payload"]["message"]["attachments"][0]
    assert file["type"] == "file" and set(file["payload"]) == {"url", "name", "size", "checksum", "type"}
    assert file["payload"]["name"] == "don.pdf" and file["payload"]["type"] == "pdf"
    assert all(isinstance(v, str) for v in file["payload"].values())
    assert requests.get(file["payload"]["url"], timeout=5).content.startswith(b"%PDF")
    sticker = sim.send(OA, "user-b", "user_send_sticker")["payload"]["message"]["attachments"][0]
    assert sticker["type"] == "sticker" and set(sticker["payload"]) == {"id", "url"}
    follow = sim.send(OA, "user-b", "follow")["payload"]
    assert follow == {"app_id": APP_ID, "oa_id": OA, "follower": {"id": "user-b"},
                      "user_id_by_app": follow["user_id_by_app"], "event_name": "follow", "source": "oa_profile",
                      "timestamp": follow["timestamp"]}
    assert len(receiver.received) == 5
    for got in receiver.received:
        assert got["headers"]["X-ZEvent-Signature"] == mac(got["raw"], json.loads(got["raw"])["timestamp"])


def test_webhook_overrides(sim, receiver):
    stale = sim.send(OA, "user-c", text="cũ", timestamp="1543908534740")
    assert stale["payload"]["timestamp"] == "1543908534740"
    assert receiver.last()["headers"]["X-ZEvent-Signature"] == mac(receiver.last()["raw"], "1543908534740")
    sim.send(OA, "user-c", text="giả", signature="mac=forged")
    assert receiver.last()["headers"]["X-ZEvent-Signature"] == "mac=forged"
    raw = '{"app_id":"%s","sender":{"id":"user-c"},"recipient":{"id":"%s"},"event_name":"user_send_text",' \
          '"message":{"text":"thô","msg_id":"abc123"},"timestamp":"1700000000000"}' % (APP_ID, OA)
    sim.send(OA, "user-c", raw_body=raw)
    assert receiver.last()["raw"] == raw.encode()
    assert receiver.last()["headers"]["X-ZEvent-Signature"] == mac(raw.encode(), "1700000000000")
    first = sim.send(OA, "user-c", text="lặp", msg_id="dup-1")
    again = sim.send(OA, "user-c", text="lặp", msg_id="dup-1", num_retry=1)
    assert first["msg_id"] == again["msg_id"] == "dup-1"
    assert receiver.last()["headers"]["num_retry"] == "1"
    texts = [e["text"] for e in sim.conversation(OA, "user-c")]
    assert texts == ["cũ", "giả", "thô", "lặp"]  # the redelivery is not a second citizen message


def test_send_success_envelope_and_log(sim):
    sim.register_user(OA, "user-d")
    reply = cs(sim, text_to("user-d", "Chào bạn"))
    assert reply.status_code == 200
    body = reply.json()
    assert body["error"] == 0 and body["message"] == "Success"
    data = body["data"]
    assert re.fullmatch(r"[0-9a-f]{20}", data["message_id"]) and data["user_id"] == "user-d"
    assert isinstance(data["sent_time"], str) and data["sent_time"].isdigit()
    assert data["quota"] == {"quota_type": "reply", "remain": "8", "total": "8"}
    [logged] = sim.wait_for_messages("user-d", 1, timeout=2)
    assert logged["message_id"] == data["message_id"] and logged["oa_id"] == OA
    assert logged["body"]["message"]["text"] == "Chào bạn"
    assert sim.requests_log()[-1]["error"] == 0
    with pytest.raises(AssertionError):
        sim.wait_for_messages("user-d", 2, timeout=0.2)


def test_send_errors_record_nothing(sim):
    sim.send(OA, "user-e", text="hi")
    bad_token = cs(sim, text_to("user-e"), token="nope")
    assert bad_token.status_code == 200 and bad_token.json() == {"error": -216, "message": "Access token is invalid"}
    assert cs(sim, text_to("user-e", "x" * 2001)).json()["error"] == -210
    assert cs(sim, text_to("user-e", "Chọn:", attachment=buttons(6))).json()["error"] == -201
    assert cs(sim, text_to("user-e", "Chọn:", attachment=buttons(1, "oa.open.map"))).json()["error"] == -201
    file = {"type": "file", "payload": {"token": "not-uploaded"}}
    assert cs(sim, {"recipient": {"user_id": "user-e"}, "message": {"attachment": file}}).json()["error"] == -201
    assert cs(sim, text_to("stranger")).json() == {
        "error": -230, "message": "User has not interacted with the OA in the past 7 days"}
    assert sim.messages() == []
    assert cs(sim, text_to("user-e", "x" * 2000, attachment=buttons(5))).json()["error"] == 0
    assert len(sim.messages(user_id="user-e")) == 1


def test_upload_file_then_send_it(sim):
    sim.register_user(OA, "user-f")
    content = b"%PDF-1.4 don xin cap lai" * 10
    token = upload(sim, "file", "Tờ khai CT01.pdf", content)["data"]["token"]
    body = {"recipient": {"user_id": "user-f"},
            "message": {"text": "Mẫu tờ khai", "attachment": {"type": "file", "payload": {"token": token}}}}
    assert cs(sim, body).json()["error"] == 0
    download = requests.get(f"{sim.base_url}/_sim/files/{token}", timeout=5)
    assert download.content == content
    assert download.headers["Content-Disposition"].startswith("attachment;")
    [entry] = [e for e in sim.conversation(OA, "user-f") if e["from"] == "oa"]
    assert entry["attachment"]["url"] == f"/_sim/files/{token}"
    assert upload(sim, "file", "notes.txt", b"hello") == {"error": -201, "message": "file is invalid"}
    assert upload(sim, "file", "big.pdf", b"0" * (5 * 1024 * 1024 + 1))["error"] == -210
    assert upload(sim, "file", "a.pdf", b"x", token="nope")["error"] == -216
    image_id = upload(sim, "image", "anh.png", b"\x89PNG")["data"]["attachment_id"]
    media = {"type": "template", "payload": {"template_type": "media",
                                             "elements": [{"media_type": "image", "attachment_id": image_id}]}}
    assert cs(sim, {"recipient": {"user_id": "user-f"}, "message": {"attachment": media}}).json()["error"] == 0
    assert upload(sim, "image", "anh.gif", b"GIF")["error"] == -201


def test_user_detail(sim):
    sim.register_user(OA, "user-g", display_name="Nguyễn Văn A", follower=False)
    url = f"{sim.base_url}/v3.0/oa/user/detail"
    data = requests.get(url, params={"data": json.dumps({"user_id": "user-g"})},
                        headers={"access_token": TOKEN}, timeout=5).json()["data"]
    assert data["display_name"] == "Nguyễn Văn A" and data["user_is_follower"] is False
    assert set(data["avatars"]) == {"120", "240"} and isinstance(data["user_id_by_app"], str)
    unknown = requests.get(url, params={"data": json.dumps({"user_id": "nobody"})},
                           headers={"access_token": TOKEN}, timeout=5).json()
    assert unknown == {"error": -201, "message": "user_id is invalid"}


def test_token_refresh_rotates(sim):
    sim.register_user(OA2, "user-h")
    assert refresh(sim, REFRESH2, secret="wrong")["error"] == -14002
    fresh = refresh(sim, REFRESH2)
    assert set(fresh) == {"access_token", "refresh_token", "expires_in"} and fresh["expires_in"] == "90000"
    assert refresh(sim, REFRESH2) == {"error": -14014, "error_name": "Invalid refresh token",
                                      "error_description": "Invalid refresh token"}
    assert sim.state()["refresh_calls"][OA2] == 3
    assert sim.state()["refresh_tokens"][OA2] == fresh["refresh_token"]
    as_json = requests.post(f"{sim.base_url}/v4/oa/access_token", headers={"secret_key": APP_SECRET},
                            json={"refresh_token": fresh["refresh_token"], "app_id": APP_ID,
                                  "grant_type": "refresh_token"}, timeout=5).json()
    assert "access_token" not in as_json  # the endpoint takes a form body
    assert cs(sim, text_to("user-h"), token=TOKEN2).json()["error"] == 0  # the old token still works
    assert cs(sim, text_to("user-h"), token=fresh["access_token"]).json()["error"] == 0
    sim.expire_token(OA2)
    assert cs(sim, text_to("user-h"), token=fresh["access_token"]).json()["error"] == -216
    again = refresh(sim, fresh["refresh_token"])
    assert cs(sim, text_to("user-h"), token=again["access_token"]).json()["error"] == 0


def test_faults_are_consumed_in_order_and_record_nothing(sim):
    sim.register_user(OA, "user-i")
    sim.add_fault("message", "error", -32, times=2)
    sim.add_fault("message", "http", 502)
    sim.add_fault("message", "timeout")
    for _ in range(2):
        assert cs(sim, text_to("user-i")).json() == {"error": -32, "message": "Your application/OA reached limit call api"}
    bad_gateway = cs(sim, text_to("user-i"))
    assert bad_gateway.status_code == 502
    with pytest.raises(ValueError):
        bad_gateway.json()
    with pytest.raises(requests.Timeout):
        cs(sim, text_to("user-i"), timeout=0.5)
    assert sim.messages() == []
    assert cs(sim, text_to("user-i")).json()["error"] == 0
    assert [r["fault"] for r in sim.requests_log()] == ["error", "error", "http", "timeout", None]
    sim.add_fault("token", "error", -14014)
    assert refresh(sim, REFRESH)["error_name"] == "Invalid refresh token"
    assert sim.state()["refresh_tokens"][OA] == REFRESH  # the faulted call rotated nothing
    sim.add_fault("upload", "http", 503)
    assert requests.post(f"{sim.base_url}/v2.0/oa/upload/file", headers={"access_token": TOKEN},
                         files={"file": ("a.pdf", b"x")}, timeout=5).status_code == 503
    sim.add_fault("user_detail", "error", -216)
    sim.add_fault("user_detail", "error", -216)
    sim.clear_faults()
    detail = requests.get(f"{sim.base_url}/v3.0/oa/user/detail", params={"data": '{"user_id":"user-i"}'},
                          headers={"access_token": TOKEN}, timeout=5).json()
    assert detail["error"] == 0


def test_conversation_merges_both_directions(sim):
    sim.send(OA, "user-j", text="Làm hộ chiếu ở đâu?")
    hide = {"title": "Đồng ý", "type": "oa.query.hide", "payload": "/affirm"}
    call = {"title": "Gọi", "type": "oa.open.phone", "payload": {"phone_code": "113"}}
    attachment = {"type": "template", "payload": {"buttons": [hide, call]}}
    assert cs(sim, text_to("user-j", "Bạn cần hỗ trợ?", attachment=attachment)).json()["error"] == 0
    sim.send(OA, "user-j", text="/affirm", display_text="Đồng ý")
    sim.send(OA, "user-j", "user_send_location", latitude="21.0285", longitude="105.8542")
    sim.send(OA, "other-user", text="không liên quan")
    conversation = sim.conversation(OA, "user-j")
    assert [e["from"] for e in conversation] == ["user", "oa", "user", "user"]
    assert conversation[1]["text"] == "Bạn cần hỗ trợ?" and conversation[1]["buttons"] == [hide, call]
    assert conversation[2]["text"] == "Đồng ý" and conversation[2]["payload_text"] == "/affirm"
    assert conversation[3]["attachments"][0]["payload"]["coordinates"]["latitude"] == "21.0285"


def test_page_is_self_contained_and_vietnamese(sim):
    page = requests.get(sim.base_url + "/", timeout=5)
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.text
    for label in ("Chia sẻ vị trí", "Quan tâm OA", "Gửi", "Công an phường", "/_sim/conversation"):
        assert label in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html


def test_create_app_is_independent_per_call():
    config = SimConfig(APP_ID, APP_SECRET, [SimAccount(OA, OA_KEY, TOKEN, REFRESH)])
    first, second = create_app(config), create_app(config)
    assert first.name != second.name
    assert first.ctx.state is not second.ctx.state


def test_two_processes_refreshing_the_token_at_once_both_get_the_new_one(sim, tmp_path):
    """The intake server and a Rasa replica each send to Zalo: when the access
    token expires, both want to refresh it, but Zalo's refresh tokens are
    single-use. One claims the refresh in the database and spends the token;
    the other waits for the tokens it saves. Neither fails. A claim left by a
    process that died is taken over once it runs out."""
    import asyncio

    from bot.core.db import engine
    from bot.zalo.accounts import Account, Registry
    from bot.zalo.api import ZaloApi
    from bot.zalo.outbox import Outbox
    from bot.zalo.store import ZaloStore

    account = Account(OA, "phuong", "Công an phường", APP_ID, APP_SECRET, OA_KEY, TOKEN, REFRESH)
    registry = Registry({OA: account}, sim.base_url, sim.base_url)
    database = engine(f"sqlite:///{tmp_path / 'project.db'}")

    async def both_refresh():
        apis = [ZaloApi(sim.base_url, sim.base_url) for _ in range(2)]
        outboxes = [Outbox(ZaloStore(database, worker), registry, api)
                    for worker, api in zip(("intake", "rasa-0"), apis)]
        try:
            return await asyncio.gather(*(outbox._refresh(account, TOKEN) for outbox in outboxes))
        finally:
            for api in apis:
                await api.close()

    assert ZaloStore(database, "died").claim_token_refresh(OA, lease=0.5)
    tokens = asyncio.run(both_refresh())
    state = sim.state()
    assert state["refresh_calls"][OA] == 1  # Zalo was asked once
    assert tokens[0] == tokens[1] == ZaloStore(database).tokens(OA)["access_token"]
    assert ZaloStore(database).tokens(OA)["refresh_token"] == state["refresh_tokens"][OA]
    sim.register_user(OA, "9001")
    assert cs(sim, text_to("9001"), token=tokens[0]).json()["error"] == 0  # and Zalo takes it


def article_body(**changes):
    return {"type": "normal", "title": "Cảnh báo lừa đảo", "author": "Công an phường",
            "description": "Không cung cấp mã OTP.", "status": "show",
            "cover": {"cover_type": "photo", "photo_url": "https://example.vn/a.png", "status": "show"},
            "body": [{"type": "text", "content": "Không cung cấp mã OTP cho bất kỳ ai."}], **changes}


def open_api(sim, path, body, token=TOKEN):
    return requests.post(sim.base_url + path, json=body, headers={"access_token": token}, timeout=5).json()


def broadcast_body(article_id):
    return {"recipient": {"target": {}}, "message": {"attachment": {"type": "template", "payload": {
        "template_type": "media", "elements": [{"media_type": "article", "attachment_id": article_id}]}}}}


def test_article_then_broadcast_reaches_the_followers_only_within_the_monthly_quota(sim):
    sim.register_user(OA, "follower-1")
    sim.register_user(OA, "writer-1", follower=False)
    sim.register_user(OA2, "follower-of-oa2")
    token2 = sim.state()["access_tokens"][OA2]
    assert open_api(sim, "/v2.0/article/create", article_body(title="x" * 151))["error"] == -210
    assert open_api(sim, "/v2.0/article/create", article_body(body=[]))["error"] == -201
    created = open_api(sim, "/v2.0/article/create", article_body())
    assert created["error"] == 0 and created["data"]["token"]
    assert open_api(sim, "/v2.0/article/verify", {"token": "unknown"})["error"] == -201
    assert open_api(sim, "/v2.0/article/verify", {"token": created["data"]["token"]}, token2)["error"] == -201  # other OA
    article_id = open_api(sim, "/v2.0/article/verify", {"token": created["data"]["token"]})["data"]["id"]

    assert open_api(sim, "/v2.0/oa/message", broadcast_body(article_id), token2)["error"] == -201  # not its Article
    assert open_api(sim, "/v2.0/oa/message", {"recipient": {"user_id": "follower-1"}, "message": {"text": "hi"}})["error"] == -240
    sent = open_api(sim, "/v2.0/oa/message", broadcast_body(article_id))
    assert sent["error"] == 0 and sent["data"]["message_id"]
    [done] = sim.broadcasts(OA)
    users = sim.state()["users"][OA]
    assert done["recipients"] == sorted(u for u, user in users.items() if user["follower"]) and done["article_id"] == article_id
    assert "follower-1" in done["recipients"] and "writer-1" not in done["recipients"]
    assert sim.messages() == []  # a broadcast is not a consultation message
    assert sim.conversation(OA, "follower-1")[-1]["attachment"]["type"] == "article"

    assert sim.set_broadcast_limit(OA, 1)["used"] == 1
    out = open_api(sim, "/v2.0/oa/message", broadcast_body(article_id))
    assert out == {"error": -211, "message": "Out of quota"}
    sim.add_fault("article", "error", -100)
    assert open_api(sim, "/v2.0/article/create", article_body())["error"] == -100
    assert len(sim.broadcasts()) == 1
