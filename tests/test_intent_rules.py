"""Intents decided by words after the classifier (bot/nlu/intent_rules.py)."""

from bot.nlu.intent_rules import (is_crime_report, is_other_agency_matter, is_request_for_person,
                                   is_unsure_request_for_person, is_unsure_tipoff)


def test_a_story_taken_for_a_tip_off_that_asks_about_another_agencys_matter_is_not_a_tip_off():
    assert is_other_agency_matter("Công ty nợ lương tôi ba tháng, giờ muốn kiện ra tòa thì nộp đơn ở đâu?", "start_tipoff")
    # a report phrase keeps it a tip-off; another intent is left alone
    assert not is_other_agency_matter("Tôi bị lừa đảo mất tiền, giờ muốn kiện ra tòa thì nộp đơn ở đâu?", "start_tipoff")
    assert not is_other_agency_matter("kiện ra tòa ở đâu", "out_of_scope")


def test_another_agencys_matter_taken_for_talk_to_the_page_is_that_matter():
    assert is_other_agency_matter("Công chứng hợp đồng vay 50 triệu với anh trai, công an phường làm không?",
                                  "ask_directory")
    assert is_other_agency_matter("Con tôi theo tôi đi biển, tới tuổi khám nghĩa vụ có được miễn không?", "ask_privacy")
    # the directory asked for, or a procedure named beside the matter, is left to the other rules
    assert not is_other_agency_matter("số điện thoại công an phường là gì", "ask_directory")
    assert not is_other_agency_matter("làm hộ chiếu có cần công chứng giấy khai sinh không, hỏi ai", "ask_directory")


def test_a_tip_off_guessed_without_report_words_needs_a_sure_classifier():
    assert is_unsure_tipoff("cúp nước cả tuần rồi, gọi ai", "start_tipoff", 0.55)
    assert not is_unsure_tipoff("cúp nước cả tuần rồi, gọi ai", "start_tipoff", 0.9)
    assert not is_unsure_tipoff("nhà tôi bị trộm xe máy tối qua", "start_tipoff", 0.55)
    assert is_crime_report("nhà tôi bị trộm xe máy tối qua", "out_of_scope", 0.6)


def test_a_crime_report_the_classifier_barely_takes_for_a_request_for_a_person_is_a_tip_off():
    assert is_crime_report("vay app online giờ bị khủng bố gọi điện chửi cả nhà", "request_human", 0.35)
    assert not is_crime_report("cho tôi gặp cán bộ, tôi bị lừa đảo", "request_human", 0.9)


def test_a_crime_told_in_ones_own_words_is_a_tip_off_even_when_taken_for_how_to_report_one():
    story = "bi nhom thanh nien chan duong danh o cau toi qua, em bi rach dau phai khau 5 mui"
    assert is_crime_report(story, "security.crime_report", 0.97)
    assert not is_crime_report("thủ tục tố giác lừa đảo qua mạng", "security.crime_report", 0.97)
    assert not is_crime_report("nộp đơn tố giác lừa đảo xong bao lâu có kết quả", "security.crime_report", 0.97)


def test_how_many_told_is_no_question_asked():
    # "mấy chục cái điện thoại" tells how many; the crime told, asking nothing, is a tip-off however the
    # classifier guesses a procedure
    told = ("Tôi là chủ trọ, phát hiện phòng số 5 có cả thùng sim rác với mấy chục cái điện thoại chạy liên tục, "
            "nghi đang làm lừa đảo.")
    assert is_crime_report(told, "id_card.electronic_id", 0.53)
    assert not is_crime_report("bị lừa đảo mất mấy chục triệu thì làm đơn trình báo ở đâu", "security.crime_report", 0.9)


def test_crimes_in_everyday_words_are_tip_offs():
    # a lottery den, a fare dodger who hit the driver, a stranger loitering by a school
    assert is_crime_report("quan nuoc dau ngo co ban so de, nguoi ra vao suot ngay", "out_of_scope", 0.7)
    assert is_crime_report("khach taxi quyt tien con dam tui chay mau mui hom qua", "out_of_scope", 0.6)
    assert is_crime_report("thay 1 ong la mat lan vang quanh truong hoc", "out_of_scope", 0.5)
    # a follow-up question's intent, however sure, follows up on nothing when no procedure is named
    assert is_crime_report("phong tro ben canh dem nao cung tu tap hut chich", "ask_legal_basis", 0.64)
    assert not is_crime_report("mất trộm cà vẹt, cấp lại giấy đăng ký xe theo luật nào", "ask_legal_basis", 0.64)
    # a crime told that asks and wants nothing, however sure the classifier is of a procedure it mentions
    assert is_crime_report("toi bi moc tui tren xe buyt so 8, mat vi co 2 trieu voi the can cuoc", "id_card.reissue", 0.9)
    assert not is_crime_report("bi moc tui mat ho chieu, lam don trinh bao", "immigration.passport_loss_report", 0.9)
    assert not is_crime_report("bị móc túi mất căn cước, làm lại ở đâu", "id_card.reissue", 0.9)
    # a scam told through its lure: a fake traffic police message and a link that took the money
    assert is_crime_report("co nguoi nhan tin gia CSGT bao toi bi phat nguoi, bam link mat tien, bao o dau",
                           "out_of_scope", 1.0)
    assert is_crime_report("bấm vào link lạ xong tài khoản bị trừ tiền, báo ai ạ", "out_of_scope", 0.9)


def test_asking_to_send_a_tip_off_is_one_however_unsure():
    assert not is_unsure_tipoff("gửi tin báo", "start_tipoff", 0.13)
    assert not is_other_agency_matter("tôi muốn tố giác công ty nợ lương công nhân", "start_tipoff")


def test_a_procedure_named_by_its_alias_is_not_small_talk():
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.intent_rules import IntentRules

    def parsed(text, ranking):
        message = Message(data={"text": text})
        message.set("intent", {"name": ranking[0][0], "confidence": ranking[0][1]})
        message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking])
        return IntentRules().process([message])[0].get("intent")["name"]

    # "what can you do?" in the classifier's eyes, but the words name how to report a crime
    assert parsed("thủ tục tố giác tội phạm như thế nào",
                  [("ask_capabilities", 0.56), ("security.crime_report", 0.4)]) == "security.crime_report"
    # no procedure named, or the procedure not ranked: the classifier's intent stands
    assert parsed("bạn làm được những gì", [("ask_capabilities", 0.9), ("security.crime_report", 0.05)]) == "ask_capabilities"
    assert parsed("thủ tục tố giác tội phạm như thế nào",
                  [("ask_capabilities", 0.9), ("security.crime_report", 0.05)]) == "ask_capabilities"


def test_a_procedure_question_taken_for_a_tip_off_is_not_one():
    from bot.nlu.intent_rules import is_procedure_taken_for_tipoff

    # the words name a procedure (a residence confirmation) and tell no crime
    assert is_procedure_taken_for_tipoff(
        "Tôi muốn vay tiền ngân hàng, bên ngân hàng nói cần giấy xác nhận chỗ ở, tôi lên xã xin được không?", "start_tipoff")
    # a crime told, then a procedure asked about: the card is to be made again
    assert is_procedure_taken_for_tipoff(
        "bua truoc bi giut tui xach, mat luon cai the can cuoc, da trinh bao roi, gio muon lam lai cai the", "start_tipoff")
    # a crime told and nothing asked of a procedure: the tip-off stands
    assert not is_procedure_taken_for_tipoff("tôi bị lừa đảo mất căn cước và 20 triệu", "start_tipoff")
    assert not is_procedure_taken_for_tipoff("ngân hàng cần giấy xác nhận chỗ ở", "residence.confirmation")


def test_a_request_for_a_person_barely_believed_gives_way_to_the_topic_named():
    assert is_unsure_request_for_person("ad oi hoi chut ve gplx", "request_human", 0.3)
    # sure of it, or nothing of ours named: a person is what is asked for
    assert not is_unsure_request_for_person("ad oi hoi chut ve gplx", "request_human", 0.8)
    assert not is_unsure_request_for_person("ad oi cho gap nguoi that", "request_human", 0.3)


def test_a_complaint_about_the_answer_or_the_silence_is_a_request_for_a_person():
    assert is_request_for_person("tôi hỏi làm căn cước mà trả lời về đăng ký xe là sao??", "id_card.first_issue")
    assert is_request_for_person("cau tra loi nay sai, le phi 30k chu dau phai mien phi", "ask_fee")
    assert is_request_for_person("alo alo co ai ko, nhan nay gio ko ai rep", "greet")
    # abbreviations spelled out before the phrases are looked for; a person asked for with "cho mình"
    assert is_request_for_person("ko phai cai toi hoi, toi hoi doi bang lai", "driving_licence.renewal")
    assert is_request_for_person("là người hay máy vậy, nếu máy thì cho mình gặp người", "bot_challenge")
    # nobody answering somewhere else is part of a story, and an emergency stays one
    assert not is_request_for_person("Em gửi đơn lên phòng nhân sự không ai trả lời, giờ muốn kiện công ty", "out_of_scope")
    assert not is_request_for_person("cứu với, gọi 113 không ai trả lời", "sos")


def test_the_classifiers_emergency_stands_only_for_a_danger_told_now():
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.intent_rules import IntentRules
    from bot.safety.sos import is_emergency

    def parsed(text, confidence, runner_up="start_tipoff"):
        assert not is_emergency(text)  # no phrase of data/sos.yml: only the classifier calls it one
        message = Message(data={"text": text})
        message.set("intent", {"name": "sos", "confidence": confidence})
        message.set("intent_ranking", [{"name": "sos", "confidence": confidence},
                                       {"name": runner_up, "confidence": 0.35}])
        return IntentRules().process([message])[0].get("intent")["name"]

    # told now, in one's own words: an emergency
    assert parsed("nước dâng tới nóc rồi, ba mẹ con đang leo lên mái tôn", 0.9) == "sos"
    # the classifier unsure: its next intent
    assert parsed("nước dâng tới nóc rồi, ba mẹ con đang leo lên mái tôn", 0.55) == "start_tipoff"
    # a question to the page, however sure: no cry for help
    assert parsed("nước máy nhà tôi mất ba ngày rồi, gọi số nào?", 0.9, "out_of_scope") == "out_of_scope"
    assert parsed("mẹ tôi ở nhà con gái sắp hết hạn, xin ở thêm được không", 0.9, "out_of_scope") == "out_of_scope"
    # an event of the past: a report
    assert parsed("tiệm tóc nhà em bị tụi thanh niên vô đập phá hồi trưa", 0.9) == "start_tipoff"
    # a procedure named: the question about it
    assert parsed("nhà ngập hết, thẻ căn cước trôi mất, làm lại thẻ căn cước", 0.9,
                  "id_card.reissue") == "id_card.reissue"


def test_the_intent_a_dropped_one_gives_way_to_must_pass_the_same_bars():
    """A tip-off guessed from the shape of a message gives way to the
    classifier's next intent; an unsure emergency behind it is no emergency,
    and an intent less sure than the fallback threshold is "not understood"
    (an answer to the tip-off form's "when?" once raised the alarm)."""
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.intent_rules import IntentRules

    def parsed(text, ranking):
        message = Message(data={"text": text})
        message.set("intent", {"name": ranking[0][0], "confidence": ranking[0][1]})
        message.set("intent_ranking", [{"name": n, "confidence": c} for n, c in ranking])
        return IntentRules(fallback_threshold=0.3).process([message])[0].get("intent")["name"]

    when = "tối nào cũng có, khoảng 22 giờ"
    assert parsed(when, [("start_tipoff", 0.41), ("sos", 0.15), ("request_area_officer", 0.14)]) == "nlu_fallback"
    assert parsed(when, [("start_tipoff", 0.41), ("sos", 0.35), ("greet", 0.1)]) == "nlu_fallback"
    assert parsed(when, [("start_tipoff", 0.41), ("sos", 0.35), ("ask_where", 0.31)]) == "ask_where"
    # "none of ours" claims nothing: it stands however unsure, and the citizen is told where to go
    assert parsed("cúp nước cả tuần rồi, gọi ai", [("start_tipoff", 0.4), ("out_of_scope", 0.12)]) == "out_of_scope"


def test_selling_to_pay_for_something_is_no_lottery_den():
    # "bán để" (to sell in order to) is "bán đề" (selling lottery numbers) typed with another tone
    sale = ("Bà nội em đồng ý bán căn nhà để lấy tiền chữa bệnh, bà đồng ý bán để lấy tiền. Bên mua sang tên sổ hồng "
            "ở đâu ạ?")
    assert not is_crime_report(sale, "out_of_scope", 0.6)
    assert is_crime_report("quán nước đầu ngõ có bán số đề, người ra vào suốt", "out_of_scope", 0.6)


def test_asking_to_see_an_officer_by_name_is_a_request_for_a_person():
    assert is_request_for_person("cho e xin gap chi can bo hom truoc huong dan e lam ho so tam tru, chi ten Thuy",
                                 "residence.temporary_registration")
    assert is_request_for_person("tôi muốn gặp cán bộ công an phường", "ask_directory")


def test_a_procedure_named_in_a_question_taken_for_the_directory_is_that_procedure():
    from rasa.shared.nlu.training_data.message import Message

    from bot.nlu.intent_rules import IntentRules

    message = Message(data={"text": "sang ten xe o cong an phuong dc k hay len CSGT"})
    message.set("intent", {"name": "ask_directory", "confidence": 0.75})
    message.set("intent_ranking", [{"name": "ask_directory", "confidence": 0.75},
                                   {"name": "vehicle.ownership_transfer", "confidence": 0.15}])
    # the one procedure named, which the classifier still ranks: where to file it, not the unit's address
    assert IntentRules().process([message])[0].get("intent")["name"] == "vehicle.ownership_transfer"


def test_a_crime_in_the_story_of_another_agencys_matter_asked_is_not_a_tip_off():
    # the classifier says not ours, and the question asks about another agency's matter: the crime is the story
    abroad = "Chồng tôi làm ở Malaysia bị móc túi mất hộ chiếu ở Kuala Lumpur. Giờ xin giấy tờ về nước ở đâu?"
    assert not is_crime_report(abroad, "out_of_scope", 0.9)
    debt = "Hụi bị giựt 50 triệu, tôi trình báo rồi mà người ta bảo là tranh chấp dân sự. Giờ kiện đòi tiền thì nộp đơn tòa nào?"
    assert not is_crime_report(debt, "out_of_scope", 0.85)
    # a crime told in the question itself stays a tip-off, whatever matter it names
    assert is_crime_report("co nguoi nhan tin gia CSGT bao toi bi phat nguoi, bam link mat tien, bao o dau",
                           "out_of_scope", 1.0)
