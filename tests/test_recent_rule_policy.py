"""The rule policy's dialogue states computed from the recent events only are
the states Rasa computes from the whole conversation: same predictions, at a
cost that does not grow with the conversation (bot/dialogue/recent_rule_policy.py)."""

from __future__ import annotations

import uuid

import pytest
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue.recent_rule_policy import recent
from tests.conftest import rest_id

QUESTIONS = [
    "xin chào", "đăng ký tạm trú cần giấy tờ gì", "lệ phí bao nhiêu", "còn thường trú thì sao",
    "mẫu tờ khai đâu", "số điện thoại công an phường Tây Thạnh", "cảm ơn", "làm căn cước",
    "bị mất", "bao lâu thì có", "tin mới", "xyz qwrt", "gia hạn tạm trú ở đâu",
]
# a tip-off form still open at the end: the cut falls inside it for small windows
TIPOFF = ["gửi tin báo", "Có người lạ đứng canh trước cổng trường mỗi tối", "cổng trường tiểu học phường Sơn Kỳ",
          "tối qua", "Không có"]


@pytest.fixture(scope="module")
def long_tracker(assistant, agent):
    citizen = "6" + str(uuid.uuid4().int)[:17]
    for text in QUESTIONS * 2 + TIPOFF:
        assistant.say(citizen, text)
    data = assistant.tracker(rest_id(citizen))
    tracker = DialogueStateTracker.from_dict(citizen, data["events"], agent.domain.slots)
    assert tracker.active_loop_name == "tipoff_form" and len(tracker.events) > 150
    return tracker


@pytest.mark.parametrize("keep", [6, 9, 20])
def test_recent_states_are_the_conversations_last_states(long_tracker, agent, keep):
    full = long_tracker.past_states(agent.domain)
    trimmed_tracker = recent(long_tracker, agent.domain, keep=keep)
    assert len(trimmed_tracker.events) < len(long_tracker.events) / 2
    trimmed = trimmed_tracker.past_states(agent.domain)
    compared = len(trimmed) - 1  # the first state has no previous action to carry
    assert compared >= min(keep // 2, 5)  # the longest rule has 5 states
    assert trimmed[-compared:] == full[-compared:]


def test_a_short_conversation_is_left_whole(agent):
    tracker = DialogueStateTracker.from_events("short", [], agent.domain.slots)
    assert recent(tracker, agent.domain) is tracker


def test_default_intents_still_trigger_default_actions(assistant):
    """Rasa's validator warns that without its exact RulePolicy class /restart
    would not work; the inherited code path still runs it."""
    citizen = "6" + str(uuid.uuid4().int)[:17]
    assistant.say(citizen, "đăng ký tạm trú cần giấy tờ gì")
    assistant.say(citizen, "/restart")
    events = assistant.tracker(rest_id(citizen))["events"]  # the conversation since the last restart
    assert events[0]["event"] == "action" and events[0]["name"] == "action_session_start"
    assert not [e for e in events if e["event"] == "user"]  # the earlier question is behind the restart


def events_of(tracker) -> list:
    """The events as dicts, without the time the slots at the cut were set (now)."""
    return [{k: v for k, v in e.as_dict().items() if k != "timestamp"} for e in tracker.events]


def test_a_growing_tracker_gives_what_a_fresh_one_gives(long_tracker, agent):
    """recent() remembers on the tracker how far it read; a tracker that grows
    turn by turn (as the tracker store keeps it) gives what a fresh one gives."""
    events = list(long_tracker.events)
    growing = DialogueStateTracker.from_events(long_tracker.sender_id, events[:30], agent.domain.slots)
    for end in range(30, len(events) + 1):
        fresh = DialogueStateTracker.from_events(long_tracker.sender_id, events[:end], agent.domain.slots)
        for keep in (6, 20):  # the cut moves back into the open form for the small window
            assert events_of(recent(growing, agent.domain, keep=keep)) == events_of(
                recent(fresh, agent.domain, keep=keep)), end
        if end < len(events):
            growing.update(events[end])
