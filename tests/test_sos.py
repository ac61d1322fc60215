"""Emergencies: recognised by words alone, answered by the Zalo channel before
the assistant and its model are involved, queued on top for officers, and
routed to the ward of the location the citizen shares."""

from __future__ import annotations

import re
import time

import pytest

from bot.safety.sos import is_emergency
from bot.safety.wards import inside, ward_at
from tests.conftest import Console, texts, wait_for


@pytest.mark.parametrize("text", [
    "cứu", "cứu tôi với", "giúp", "giúp đỡ", "SOS", "sos!!!", "cuu voi", "có trộm, cứu với",
    "giup toi voi", "nhà tôi đang cháy cứu với", "CỨU", "cứu vs", "cứuuuu", "CUUUU VOIII",
])
def test_emergencies_with_and_without_diacritics(text):
    assert is_emergency(text)


@pytest.mark.parametrize("text", [
    "giúp tôi hỏi thủ tục tạm trú", "giup toi hoi thu tuc tam tru", "nghiên cứu thủ tục cư trú",
    "cứu hộ giao thông ở đâu", "số điện thoại cấp cứu là gì", "xin chào", "đăng ký tạm trú",
    "bạn giúp được gì cho tôi về thủ tục căn cước công dân vậy", "tra cứu TG-7K3M9Q", "tra cuu ho so", "",
])
def test_questions_that_merely_contain_the_words_are_not_emergencies(text):
    assert not is_emergency(text)


@pytest.mark.parametrize("text, emergency", [
    # longer than a cry for help, but happening now
    ("có tai nạn xe máy, một người đang nằm bất tỉnh giữa đường", True),
    ("co nguoi dang dung tren lan can cau doi nhay xuong song", True),
    # the same danger told as past, or asked about
    ("hôm qua có tai nạn xe máy, một người bất tỉnh giữa đường", False),
    ("bị tai nạn giao thông đang nằm viện thì làm lại bằng lái thế nào", False),
    # lost, not asking where something is; hiding from a burglar in the house
    ("bi bat coc dang o trong xe tai ko biet o dau", True),
    ("Trộm đang trong nhà, tôi trốn trong tủ", True),
    ("bị bắt cóc thì trình báo ở đâu", False),
    # people trapped in a fire; a man with a sword, and a call to come at once
    ("nha hang xom chay lon, con nguoi ket ben trong", True),
    ("co dua cam kiem chem nguoi truoc cho, toi lien di", True),
    ("nhà tôi bị cháy lớn hồi tháng trước, làm lại hộ khẩu thế nào", False),
    # "ở đầu hẻm" is a place, not the question "ở đâu"; "làm sao bây giờ" is a plea, not a question
    ("co thang cam dao dang duoi chem nguoi o dau hem", True),
    ("đang có mấy người đi theo đuổi em, em phải làm sao bây giờ", True),
    ("cầm dao ở đầu hẻm thì bị xử lý thế nào", False),
    # a child taken away, a fire with no way out, a lone "cướp!"
    ("con gái em bị tụi lạ lôi lên xe chạy mất, giúp em", True),
    ("Cháy chung cư tầng 8, khói đầy hành lang không ra được", True),
    ("cướp!!!", True),
    ("ad ơi có đứa nhỏ bị kéo lên xe lạ trước cổng trường", True),
    # a report or a filing, not a call for help now
    ("bị đánh gây thương tích muốn trình báo công an", False),
    ("tôi muốn tố giác vụ cướp", False),
    ("làm căn cướp lần đầu cho con mới 14 tuổi", False),
    # told without the words "cứu" or "giúp", at some length: smoke on the stairs, a child led away, gas and an
    # old man who does not answer, someone followed for streets
    ("khoi den ngap cau thang, ca nha bi ket o tang 5 ko xuong duoc", True),
    ("thang be nha em vua bi mot ba la dat di ve phia cho, em dang chay theo ma ko kip", True),
    ("mùi gas nồng nặc ở tầng 3 nhà trọ, phòng bên khóa cửa mà bà cụ trong đó không lên tiếng", True),
    ("Em bị một thằng lạ đi theo từ chợ, rẽ ba lần nó vẫn bám, giờ em đứng trước tiệm vàng Kim Long", True),
    # ...but a fight told as over, and a question with the same words, are not
    ("Lúc nãy hai nhóm cầm mã tấu đánh nhau ở quán nhậu, có người chảy máu rồi tụi nó chạy hết", False),
    ("vợ cán bộ ngoại giao đi theo chồng có được cấp hộ chiếu ngoại giao không", False),
    # shots fired now; a beating heard every night is a report, not a call now
    ("vừa nghe tiếng súng nổ 2 phát ở bãi xe sau chợ, mọi người chạy tán loạn", True),
    ("đêm nào cũng nghe nhà đối diện chồng đánh vợ, tiếng khóc với tiếng đập đồ", False),
    # a collapse just now with a man trapped under it; someone held and not let go home
    ("Mái tôn xưởng cơ khí cuối hẻm 12 vừa đổ sập xuống, có một chú bị đè dưới đống sắt còn kêu, mấy anh em ở đây "
     "nhấc không nổi", True),
    ("bạn em bị chủ quán giữ lại không cho về 2 hôm nay, lấy hết giấy tờ", True),
    # a short plea: "trộm" cried out, "tới lẹ đi"; not a theft told as past
    ("TRỘMMM", True),
    ("toi le di", True),
    ("trộm hôm qua", False),
    ("nhà có 2 đứa lạ mặt đang lục đồ dưới bếp, em trốn trên gác", True),
])
def test_a_danger_happening_now_is_an_emergency_in_a_longer_message(text, emergency):
    assert is_emergency(text) is emergency


def test_points_resolve_to_wards_including_borders():
    assert ward_at(10.81, 106.62) == "phuong-tay-thanh"
    assert ward_at(10.79, 106.62) == "phuong-son-ky"
    assert ward_at(10.70, 106.62) is None  # outside every ward
    assert ward_at(10.80, 106.62) == "phuong-tay-thanh"  # the shared border: the first listed ward
    assert ward_at(10.82, 106.63) == "phuong-tay-thanh"  # a corner
    square = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]
    assert inside(0.5, 0.5, square) and inside(1, 0.5, square) and not inside(1.0001, 0.5, square)


def test_sos_is_answered_at_once_queued_on_top_and_routed(zalo, assistant):
    from tests.conftest import OFFICER_PASSWORD

    accounts = assistant.accounts
    accounts.add("son.ky", OFFICER_PASSWORD, "phuong-son-ky", "officer", "Cán bộ Sơn Kỳ")
    accounts.add("quan", OFFICER_PASSWORD, "quan-mau", "commander", "Chỉ huy quận")
    waiting = "59000000000000001"
    zalo.send(zalo.oa_id, waiting, text="cho tôi gặp cán bộ")  # an ordinary request, queued first
    zalo.wait_for_messages(waiting, 1)

    user = "59000000000000002"
    started = time.monotonic()
    zalo.send(zalo.oa_id, user, text="có trộm, cứu với")
    message = zalo.wait_for_messages(user, 1)[0]["body"]["message"]
    elapsed = time.monotonic() - started
    assert "113" in message["text"] and "114" in message["text"] and "115" in message["text"]
    assert "vị trí" in message["text"]
    phones = [b["payload"]["phone_code"] for b in message["attachment"]["payload"]["buttons"]]
    assert phones == ["02830000001", "113", "114", "115"]  # the OA's unit's duty phone first
    assert elapsed < 5, elapsed

    commander = Console(assistant, "quan")
    queue = wait_for(lambda: [c for c in commander.get("queue").json()["chats"]
                              if c["conversation_id"] in (user, waiting)] if commander.chat_for(user) else None)
    assert [c["conversation_id"] for c in queue][0] == user and queue[0]["reason"] == "sos"
    assert assistant.tracker(user)["paused"] is True

    zalo.send(zalo.oa_id, user, event_name="user_send_location", latitude=10.79, longitude=106.62)
    routed = texts(zalo.wait_for_messages(user, 2))[1]
    assert "Công an phường Sơn Kỳ" in routed and "0283 000 0002" in routed
    chat = wait_for(lambda: Console(assistant, "son.ky").chat_for(user))
    assert chat["unit"] == "phuong-son-ky" and chat["reason"] == "sos"
    detail = Console(assistant, "son.ky").get(f"chats/{chat['id']}").json()
    citizen = [t for t in detail["transcript"] if t["from"] == "citizen"]
    assert citizen[0]["text"] == "SOS: có trộm, cứu với"
    answered = detail["transcript"][detail["transcript"].index(citizen[0]) + 1]  # by the intake, before Rasa
    assert answered["from"] == "bot" and "113" in answered["text"]
    assert re.fullmatch(r"📍 Vị trí \(\d\d:\d\d\)", citizen[1]["text"])
    assert citizen[1]["link"].startswith("https://www.openstreetmap.org/?mlat=10.79&mlon=106.62")


def test_a_question_with_giup_is_answered_as_a_question(zalo):
    user = "59000000000000003"
    zalo.send(zalo.oa_id, user, text="giúp tôi hỏi thủ tục đăng ký tạm trú")
    answer = texts(zalo.wait_for_messages(user, 1))[0]
    assert "113" not in answer and answer.startswith("Đăng ký tạm trú\n")
