"""Confidential tip-offs: the form in the chat (with photos, a shared
location, anonymity, cancellation at any point), the tracking code that only
the reporter can look up, routing to the ward of the place, and what
officers see in the console: attachments, the reporter only when not
anonymous and only in the routed unit, escalation to the district."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid

import pytest
import yaml

from bot.console import labels
from bot.tipoffs.redaction import CONFIDENTIAL_SLOTS, PLACEHOLDER, hidden_events, scrub_codes
from bot.tipoffs.routing import route
from bot.tipoffs.store import find_code
from tests.conftest import OFFICER_PASSWORD, ROOT, Console, rest_id, texts, wait_for

CODE = re.compile(r"TG-[0-9A-Z]{6}")


@pytest.fixture(scope="module")
def officers(assistant):
    accounts = assistant.accounts
    accounts.add("tg.sonky", OFFICER_PASSWORD, "phuong-son-ky", "officer", "Cán bộ Sơn Kỳ")
    accounts.add("tg.taythanh", OFFICER_PASSWORD, "phuong-tay-thanh", "officer", "Cán bộ Tây Thạnh")
    accounts.add("tg.quan", OFFICER_PASSWORD, "quan-mau", "commander", "Chỉ huy quận")
    return {name: Console(assistant, name) for name in ("tg.sonky", "tg.taythanh", "tg.quan")}


def user() -> str:
    return "7" + str(uuid.uuid4().int)[:17]


def zalo_turn(zalo, citizen, expected, **event) -> str:
    """Send one Zalo event; the replies it brought, once one of them holds ``expected``."""
    before = len(zalo.messages(user_id=citizen))
    zalo.send(zalo.oa_id, citizen, **event)
    try:
        return wait_for(lambda: "\n".join(texts(zalo.messages(user_id=citizen)[before:])) if expected in
                        "\n".join(texts(zalo.messages(user_id=citizen)[before:])) else None, timeout=20)
    except AssertionError:
        raise AssertionError(f"no reply with {expected!r} to {event}: {texts(zalo.messages(user_id=citizen))}")


def say(assistant, sender, text) -> str:
    return "\n".join(r.get("text", "") for r in assistant.say(sender, text))


def file_anonymous_report(assistant, sender, what="Có người cho vay nặng lãi, đòi nợ thuê ở chợ",
                          place="chợ phường Tây Thạnh", when="hôm qua", start="gửi tin báo") -> str:
    """Go through the tip-off form in the chat, without evidence and anonymously; the confirmation."""
    say(assistant, sender, start)
    for answer in [what, place, when, "không có", "ẩn danh"]:
        reply = say(assistant, sender, answer)
    return reply


def test_codes_are_found_in_messages_and_places_route_to_wards():
    assert find_code("tra cứu tg-7k3m9q giúp tôi") == "TG-7K3M9Q"
    assert find_code("TG 4HX2PA") == "TG-4HX2PA"
    assert find_code("tra cứu tin báo") is None
    assert route("phuong-tay-thanh", "", 10.79, 106.62) == "phuong-son-ky"  # the location wins
    assert route("phuong-tay-thanh", "hẻm 12, phường Sơn Kỳ") == "phuong-son-ky"
    assert route("phuong-tay-thanh", "hem 12 phuong son ky") == "phuong-son-ky"
    assert route("phuong-son-ky", "chợ Bến Thành") == "quan-mau"  # unknown place: the district
    assert route("phuong-son-ky", "", 10.70, 106.62) == "quan-mau"  # outside every ward


def test_anonymous_tipoff_on_zalo_with_photo_and_location(zalo, assistant, officers):
    citizen = user()
    steps = [
        ({"text": "tôi muốn gửi tin báo ngay"}, "mô tả sự việc"),
        ({"text": "Có nhóm người tụ tập mua bán ma túy mỗi tối trong hẻm"}, "ở đâu"),
        ({"event_name": "user_send_location", "latitude": 10.79, "longitude": 106.62}, "khi nào"),
        ({"text": "tối nào cũng có, khoảng 22 giờ"}, "chứng cứ"),
        ({"event_name": "user_send_image", "url": "https://photo.example.vn/bang-chung-1.jpg"}, "Đã nhận 1 tệp"),
        ({"text": "Xong"}, "ẩn danh"),
        ({"text": "Ẩn danh"}, "Mã tin báo"),
    ]
    for event, expected in steps:
        confirmation = zalo_turn(zalo, citizen, expected, **{"event_name": "user_send_text", **event})
    code = CODE.search(confirmation).group(0)
    assert "Công an phường Sơn Kỳ" in confirmation and "ẩn danh" in confirmation

    listing = officers["tg.sonky"].get("tipoffs").json()["tipoffs"]
    assert [t["code"] for t in listing if t["code"] == code] == [code]
    response = officers["tg.sonky"].get(f"tipoffs/{code}")
    detail = response.json()
    assert detail["what"] == "Có nhóm người tụ tập mua bán ma túy mỗi tối trong hẻm"
    assert detail["occurred"] == "tối nào cũng có, khoảng 22 giờ"
    assert detail["map"].startswith("https://www.openstreetmap.org/?mlat=10.79")
    assert [a["url"] for a in detail["attachments"]] == ["https://photo.example.vn/bang-chung-1.jpg"]
    assert "reporter" not in detail and citizen not in response.text  # anonymous: nobody sees who
    assert officers["tg.taythanh"].get(f"tipoffs/{code}").status_code == 404  # another ward
    assert code not in officers["tg.taythanh"].get("tipoffs").text
    assert officers["tg.quan"].get(f"tipoffs/{code}").status_code == 200  # the district commander

    # the reporter, and only the reporter, can follow it up by its code
    status = zalo_turn(zalo, citizen, code, text=f"tra cứu {code.lower()}")
    assert "Đã tiếp nhận" in status
    answer = zalo_turn(zalo, user(), "Không tìm thấy", text=f"tra cứu {code}")
    assert code in answer and "Sơn Kỳ" not in answer

    # the reporter's identity and the report never reach the logs
    assert citizen not in assistant.log
    assert "mua bán ma túy" not in assistant.log


def test_named_tipoff_by_address_status_and_escalation(assistant, officers):
    citizen = user()
    assert "mô tả sự việc" in say(assistant, citizen, "gửi tin báo")
    assert "ở đâu" in say(assistant, citizen, "Xe máy của tôi bị lấy trộm trước cửa nhà")
    assert "khi nào" in say(assistant, citizen, "số 5 đường Mẫu, phường Tây Thạnh")
    assert "chứng cứ" in say(assistant, citizen, "sáng nay lúc 6 giờ")
    assert "ẩn danh" in say(assistant, citizen, "Không có")
    assert "họ tên" in say(assistant, citizen, "Để lại liên hệ")
    confirmation = say(assistant, citizen, "Trần Thị Báo, 0909 555 123")
    code = CODE.search(confirmation).group(0)
    assert "Công an phường Tây Thạnh" in confirmation

    ward = officers["tg.taythanh"]
    detail = ward.get(f"tipoffs/{code}").json()
    assert detail["reporter"] == {"zalo_user_id": rest_id(citizen), "contact": "Trần Thị Báo, 0909 555 123"}
    assert detail["attachments"] == [] and detail["place"] == "số 5 đường Mẫu, phường Tây Thạnh"
    assert officers["tg.sonky"].get(f"tipoffs/{code}").status_code == 404

    assert ward.post(f"tipoffs/{code}/status", {"status": "verifying"}).status_code == 200
    assert "Đang xác minh" in say(assistant, citizen, f"tình trạng {code}")
    assert ward.post(f"tipoffs/{code}/status", {"status": "verifying"}, csrf=False).status_code == 403

    escalated = ward.post(f"tipoffs/{code}/escalate", {"note": "Cần lực lượng quận phối hợp"})
    assert escalated.status_code == 200 and escalated.json()["unit"] == "quan-mau"
    assert ward.get(f"tipoffs/{code}").status_code == 404  # now the district's
    district = officers["tg.quan"].get(f"tipoffs/{code}").json()
    assert district["unit"] == "quan-mau" and district["reporter"]["contact"] == "Trần Thị Báo, 0909 555 123"
    assert district["escalate_to"] is None
    assert officers["tg.quan"].post(f"tipoffs/{code}/unseal", {"reason": "x" * 20}).status_code == 409  # not sealed
    assert officers["tg.quan"].post(f"tipoffs/{code}/escalate").status_code == 409
    actions = [h["action"] for h in district["history"]]
    assert actions[:1] == ["Tiếp nhận tin báo"] and "Chuyển lên cấp trên" in actions
    assert "Cập nhật trạng thái" in actions and "Xem tin báo" in actions
    assert all(citizen not in str(h) and "0909 555 123" not in str(h) for h in district["history"])

    listing = say(assistant, citizen, "tin báo của tôi thế nào rồi")
    assert code in listing and "Công an quận Mẫu" in listing


@pytest.mark.parametrize("answers", [[], ["Có người lạ cạy khóa cửa nhà hàng xóm"],
                                     ["Có người lạ cạy khóa cửa nhà hàng xóm", "hẻm 3", "hôm qua"]])
def test_the_form_can_be_cancelled_at_any_question(assistant, answers):
    citizen = user()
    say(assistant, citizen, "tôi muốn báo tin ẩn danh")
    for answer in answers:
        say(assistant, citizen, answer)
    assert "Đã hủy" in say(assistant, citizen, "hủy")
    assert "chưa gửi tin báo nào" in say(assistant, citizen, "tin báo của tôi sao rồi")  # nothing was stored
    assert "Đăng ký thường trú" in say(assistant, citizen, "đăng ký thường trú cần giấy tờ gì")  # the bot is back


def test_the_crime_report_answer_offers_the_form_and_the_officer_never_reads_the_report_in_chats(
        assistant, officers):
    citizen = user()
    replies = assistant.say(citizen, "làm sao để tố giác tội phạm")
    buttons = [b["title"] for r in replies for b in r.get("buttons") or []]
    assert buttons[0] == "Gửi tin báo ngay"
    file_anonymous_report(assistant, citizen, "Có người lừa đảo bán hàng online, tôi đã mất 5 triệu",
                          "phường Tây Thạnh", "tuần trước", start="/start_tipoff")
    say(assistant, citizen, "cho tôi gặp cán bộ")
    chat = officers["tg.taythanh"].chat_for(rest_id(citizen))
    detail = officers["tg.taythanh"].get(f"chats/{chat['id']}").json()
    citizen_said = [t["text"] for t in detail["transcript"] if t["from"] == "citizen"]
    assert citizen_said[0] == "làm sao để tố giác tội phạm" and citizen_said[-1] == "cho tôi gặp cán bộ"
    assert not any("lừa đảo bán hàng online" in text for text in citizen_said)
    assert citizen_said.count(PLACEHOLDER) == 5


def test_a_crime_told_in_everyday_words_starts_the_intake_and_stays_confidential(assistant, officers):
    citizen = user()
    report = "nhà tôi bị trộm mất xe máy Wave tối qua ở hẻm 12"
    assert "ở đâu" in say(assistant, citizen, report)  # what happened is already told
    for answer in ["hẻm 12 đường Lũy Bán Bích, phường Tây Thạnh", "tối qua khoảng 23 giờ", "không có", "ẩn danh"]:
        reply = say(assistant, citizen, answer)
    code = CODE.search(reply).group(0)
    detail = officers["tg.taythanh"].get(f"tipoffs/{code}").json()
    assert detail["what"] == report and detail.get("reporter") is None
    say(assistant, citizen, "cho tôi gặp cán bộ")
    chat = officers["tg.taythanh"].chat_for(rest_id(citizen))
    transcript = officers["tg.taythanh"].get(f"chats/{chat['id']}").json()["transcript"]
    assert not any("xe máy Wave" in t["text"] for t in transcript)


# ---- the informant's identity is sealed apart from case handling (issue 15)

def database(assistant, query, *args):
    with sqlite3.connect(assistant.state / "project.db") as db:
        return [tuple(row) for row in db.execute(query, args)]


def readable(response) -> str:
    """All an officer's browser gets, as text (the JSON escapes diacritics)."""
    return json.dumps(response.json(), ensure_ascii=False)


def inbox_payloads(assistant, citizen):
    return [payload for payload, status in database(
        assistant, "SELECT payload, status FROM zalo_inbox WHERE user_id = ? ORDER BY id", citizen)]


def test_confidential_slots_are_listed_once_and_tipoff_events_are_recognised():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert {slot for slot in domain["slots"] if slot.startswith("tipoff_")} <= CONFIDENTIAL_SLOTS
    assert scrub_codes("tra cứu tg-7k3m9q và TG 4HX2PA") == "tra cứu [mã tin báo đã ẩn] và [mã tin báo đã ẩn]"
    events = [
        {"event": "user", "text": "nhà tôi bị trộm mất xe máy Wave tối qua ở hẻm 12"},        # 0: the description
        {"event": "action", "name": "action_start_tipoff"},
        {"event": "slot", "name": "tipoff_what", "value": None},
        {"event": "slot", "name": "tipoff_what", "value": "nhà tôi bị trộm mất xe máy Wave tối qua ở hẻm 12"},
        {"event": "action", "name": "tipoff_form"},
        {"event": "active_loop", "name": "tipoff_form"},
        {"event": "bot", "text": "Sự việc xảy ra ở đâu?"},                                      # 6
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "hẻm 12"},                                                    # 8: an answer
        {"event": "action", "name": "tipoff_form"},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "/sos", "metadata": {"sos_text": "cứu tôi với"}},             # 11: not an answer
        {"event": "action_execution_rejected", "name": "tipoff_form"},
        {"event": "action", "name": "action_deactivate_loop"},
        {"event": "active_loop", "name": None},
        {"event": "action", "name": "action_emergency"},
        {"event": "user", "text": "tôi đang ở nhà"},                                            # 16: to the officer
        {"event": "bot", "text": "Mã tin báo: TG-7K3M9Q", "metadata": {"confidential": "tipoff"}},  # 17
    ]
    assert hidden_events(events) == {0, 8, 17}


def test_reports_from_before_the_seal_are_sealed_and_confided_zalo_texts_are_not_kept(tmp_path):
    from sqlalchemy import create_engine, insert, select

    from bot.core.db import metadata
    from bot.tipoffs.store import TipoffStore, tipoffs
    from bot.zalo.store import REDACTED, ZaloStore, inbox, outbox

    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}", future=True)
    metadata.create_all(engine, tables=[tipoffs])  # a database of the previous version
    with engine.begin() as c:
        c.execute(insert(tipoffs).values(code="TG-7K3M9Q", reporter_id="700000000000000001", anonymous=True,
                                         what="Có người bán ma túy", unit="phuong-son-ky", status="received",
                                         created_at=1.0, updated_at=1.0))
    store = TipoffStore(engine)
    assert store.get("TG-7K3M9Q")["reporter_id"] == ""
    assert [t["code"] for t in store.for_reporter("700000000000000001")] == ["TG-7K3M9Q"]
    assert store.unseal("TG-7K3M9Q", "chi.huy", "khẩn cấp") == "700000000000000001"
    assert [(e["actor"], e["action"], e["detail"]) for e in store.history("TG-7K3M9Q")] == [
        ("chi.huy", "tipoff_unsealed", {"reason": "khẩn cấp"})]

    zalo = ZaloStore(engine)
    for msg_id in ("m1", "m2"):
        zalo.accept(f"msg:{msg_id}", "oa", "u1", "user_send_text", json.dumps({"message": {"text": msg_id}}))
        row = zalo.claim_inbound("u1")
        if msg_id == "m1":
            zalo.mark_inbound_confidential("m1")  # by the tip-off form's validation, while Rasa handles it
        zalo.finish_inbound(row["id"], "done")
    with engine.connect() as c:
        assert [r.payload for r in c.execute(select(inbox).order_by(inbox.c.id))] == [
            REDACTED, json.dumps({"message": {"text": "m2"}})]
    zalo.enqueue("oa", "u1", [{"message": {"text": "Mã tin báo: TG-7K3M9Q"}}], confidential=True)
    zalo.enqueue("oa", "u1", [{"message": {"text": "Bạn có muốn ẩn danh không?"}}])
    for _ in range(2):
        zalo.mark_sent(zalo.claim_outgoing("u1").id, "z")
    with engine.connect() as c:
        bodies = [r.body for r in c.execute(select(outbox).order_by(outbox.c.id))]
    assert bodies[0] == REDACTED and "ẩn danh" in bodies[1]


def test_an_sos_during_a_tipoff_shows_officers_nothing_of_the_draft(zalo, assistant, officers):
    citizen = user()
    zalo_turn(zalo, citizen, "mô tả sự việc", text="tôi muốn gửi tin báo")
    zalo_turn(zalo, citizen, "ở đâu", text="Có người bán ma túy trong quán cà phê đầu hẻm 7")
    zalo_turn(zalo, citizen, "khi nào", text="quán cà phê Hoa Sữa, hẻm 7 đường Mẫu")
    zalo_turn(zalo, citizen, "113", text="cứu tôi với")
    commander = officers["tg.quan"]
    chat = wait_for(lambda: commander.chat_for(citizen))
    assert chat["reason"] == "sos"
    answer = wait_for(lambda: (a := commander.get(f"chats/{chat['id']}")) and len(
        [t for t in a.json()["transcript"] if t["from"] == "citizen"]) == 4 and a)
    detail = answer.json()
    assert not [slot for slot in detail["understood"]["slots"] if slot in CONFIDENTIAL_SLOTS]  # the understood panel
    assert "ma túy" not in readable(answer) and "Hoa Sữa" not in readable(answer)
    citizen_said = [t["text"] for t in detail["transcript"] if t["from"] == "citizen"]
    assert citizen_said == ["tôi muốn gửi tin báo", PLACEHOLDER, PLACEHOLDER, "SOS: cứu tôi với"]
    assert assistant.tracker(citizen)["slots"]["tipoff_where"] == "quán cà phê Hoa Sữa, hẻm 7 đường Mẫu"  # kept by Rasa

    # the Zalo inbox keeps no copy of the answers once they are handled; the emergency is kept
    payloads = wait_for(lambda: (p := inbox_payloads(assistant, citizen)) and not any("Hoa Sữa" in x for x in p) and p)
    assert not any("ma túy" in payload for payload in payloads)
    assert any("cứu tôi với" in payload for payload in payloads)


def test_the_chat_view_shows_no_tipoff_its_code_or_the_bot_echoes(zalo, assistant, officers):
    citizen = user()
    zalo.register_user(zalo.oa_id, citizen, display_name="Phan Văn Báo")  # Zalo gives the console a name
    for text, expected in [("nhà tôi bị trộm mất xe máy Wave tối qua ở hẻm 12", "ở đâu"),
                           ("hẻm 12 đường Lũy Bán Bích, phường Tây Thạnh", "khi nào"),
                           ("tối qua khoảng 23 giờ", "chứng cứ"), ("không có", "ẩn danh"), ("ẩn danh", "Mã tin báo")]:
        confirmation = zalo_turn(zalo, citizen, expected, text=text)
    code = CODE.search(confirmation).group(0)
    assert "Đã tiếp nhận" in zalo_turn(zalo, citizen, code, text=f"tra cứu {code}")  # the citizen's own lookup
    zalo_turn(zalo, citizen, "kết nối bạn với cán bộ", text="cho tôi gặp cán bộ")

    officer = officers["tg.taythanh"]
    chat = wait_for(lambda: officer.chat_for(citizen))
    answer = officer.get(f"chats/{chat['id']}")
    assert answer.status_code == 200
    for secret in (code, code[3:], "Mã tin báo", "Wave", "Lũy Bán Bích", "23 giờ"):
        assert secret not in readable(answer), secret
    transcript = answer.json()["transcript"]
    citizen_said = [t["text"] for t in transcript if t["from"] == "citizen"]
    assert citizen_said == [PLACEHOLDER] * 5 + ["tra cứu [mã tin báo đã ẩn]", "cho tôi gặp cán bộ"]
    bot_said = [t["text"] for t in transcript if t["from"] == "bot"]
    assert bot_said.count(PLACEHOLDER) >= 2  # the confirmation with its code, the status
    assert any("ẩn danh" in text for text in bot_said)  # the form's questions stay readable
    assert code not in officer.get("queue").text

    # nor who the reporter is: Zalo's display name was fetched, the chat shows the neutral label
    assert wait_for(lambda: [r for r in zalo.requests_log()
                             if r["path"] == "/v3.0/oa/user/detail" and citizen in r["query"] and r["status"] == 200])
    time.sleep(1.5)  # the queue's previews are read again every second
    assert officer.chat_for(citizen)["citizen"] == labels.citizen(citizen)
    assert officer.get(f"chats/{chat['id']}").json()["chat"]["citizen"] == labels.citizen(citizen)
    assert "Phan Văn Báo" not in officer.get("queue").text + readable(officer.get(f"chats/{chat['id']}"))

    # marked where they are said: the tip-off actions tag their messages
    marked = [e["text"] for e in assistant.tracker(citizen)["events"]
              if e["event"] == "bot" and (e.get("metadata") or {}).get("confidential") == "tipoff"]
    assert any(code in text for text in marked) and any("Đã tiếp nhận" in text for text in marked)

    # nor does the Zalo inbox keep the answers, or the outbox the confirmation with its code
    payloads = wait_for(lambda: (p := inbox_payloads(assistant, citizen)) and not any("Wave" in x for x in p) and p)
    assert not any("Lũy Bán Bích" in payload or "23 giờ" in payload for payload in payloads)
    bodies = wait_for(lambda: (b := [body for body, in database(
        assistant, "SELECT body FROM zalo_outbox WHERE user_id = ? AND status = 'sent'", citizen)])
        and not any(code in x for x in b) and b)
    assert any("ẩn danh" in body for body in bodies)


def test_an_anonymous_report_keeps_no_link_to_the_reporter_but_the_sealed_view(assistant, officers):
    citizen = user()
    code = CODE.search(file_anonymous_report(assistant, citizen)).group(0)
    row = database(assistant, "SELECT * FROM tipoffs WHERE code = ?", code)
    assert row and citizen not in str(row)  # nothing in the report's row leads to the Zalo user

    ward, district = officers["tg.taythanh"], officers["tg.quan"]
    for response in (ward.get("tipoffs"), ward.get(f"tipoffs/{code}"), district.get(f"tipoffs/{code}")):
        assert response.status_code == 200 and citizen not in readable(response)
    detail = ward.get(f"tipoffs/{code}").json()
    assert detail["anonymous"] is True and "reporter" not in detail and detail["can_unseal"] is False
    assert district.get(f"tipoffs/{code}").json()["can_unseal"] is True

    # the citizen, and only they, still follow it up
    assert "Đã tiếp nhận" in say(assistant, citizen, f"tra cứu {code}")
    assert code in say(assistant, citizen, "tin báo của tôi thế nào rồi")
    assert "Không tìm thấy" in say(assistant, user(), f"tra cứu {code}")

    # break-glass: the commander above the unit only, with a reason, in the audit log
    reason = "Người báo tin có thể đang gặp nguy hiểm tính mạng"
    assert ward.post(f"tipoffs/{code}/unseal", {"reason": reason}).status_code == 403
    assert officers["tg.sonky"].post(f"tipoffs/{code}/unseal", {"reason": reason}).status_code == 404
    assert district.post(f"tipoffs/{code}/unseal", {"reason": "xem"}).status_code == 400
    assert district.post(f"tipoffs/{code}/unseal", {"reason": reason}, csrf=False).status_code == 403
    opened = district.post(f"tipoffs/{code}/unseal", {"reason": reason})
    assert opened.status_code == 200 and opened.json()["zalo_user_id"] == rest_id(citizen)
    after = ward.get(f"tipoffs/{code}")
    assert citizen not in after.text  # the ward still does not see who
    unsealed = [h for h in after.json()["history"] if h["action"] == "Mở niêm phong danh tính người báo tin"]
    assert [(h["actor"], h["detail"]["reason"]) for h in unsealed] == [("Chỉ huy quận", reason)]
    assert not database(assistant, "SELECT id FROM audit_log WHERE detail LIKE ?", f"%{citizen}%")
