"""bot/server/speedups.py changes how fast Rasa works, not what it does."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig

from bot.server import speedups as rasa_speedups


@pytest.fixture(scope="module", autouse=True)
def installed():
    rasa_speedups.install()


def test_action_server_answers_are_still_validated():
    assert RemoteAction._validate_action_result.__module__ == "bot.server.speedups"
    action = RemoteAction("action_answer_procedure", EndpointConfig("http://localhost:1/webhook"))
    assert action._validate_action_result(
        {"events": [{"event": "slot", "name": "procedure", "value": "x"}], "responses": [{"text": "ok"}]})
    with pytest.raises(ValidationError) as error:
        action._validate_action_result({"events": [{"event": 42}], "responses": "not a list"})
    assert "Failed to validate Action server response" in error.value.message


def test_event_types_resolve_as_before():
    assert Event.resolve_by_type("slot") is SlotSet
    assert Event.resolve_by_type("slot") is SlotSet  # remembered
    assert Event.resolve_by_type("user") is UserUttered and Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    assert Event.resolve_by_type("topic") is None
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")
    assert Event.from_parameters({"event": "slot", "name": "aspect", "value": "fee"}) == SlotSet("aspect", "fee")


def test_the_action_server_gets_the_recent_events_and_the_whole_state():
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.from_yaml("slots:\n  unit:\n    type: any\n    mappings: [{type: custom}]\n")
    events = [ActionExecuted("action_listen"), SlotSet("unit", "phuong-1")]
    for n in range(1, 31):
        events += [UserUttered(f"câu {n}", {"name": "ask", "confidence": 1.0},
                               parse_data={"intent": {"name": "ask", "confidence": 1.0}, "text": f"câu {n}",
                                           "intent_ranking": [{"name": "ask", "confidence": 1.0}]}),
                   ActionExecuted("utter_x"), ActionExecuted("action_listen")]
    tracker = DialogueStateTracker.from_events("citizen", events, domain.slots)
    action = RemoteAction("action_answer_procedure", EndpointConfig("http://localhost:1/webhook"))
    sent = action._action_call_format(tracker, domain)["tracker"]
    texts = [e["text"] for e in sent["events"] if e["event"] == "user"]
    assert texts == [f"câu {n}" for n in range(31 - rasa_speedups.RECENT_USER_MESSAGES, 31)]
    assert sent["events"][-1]["name"] == "action_listen"  # up to the last event
    assert sent["slots"]["unit"] == "phuong-1"  # set before the events sent, still sent
    assert sent["latest_message"]["text"] == "câu 30"
    assert sent["latest_message"]["intent_ranking"] == [{"name": "ask", "confidence": 1.0}]
    assert all("intent_ranking" not in e["parse_data"] for e in sent["events"] if e["event"] == "user")
    assert [e.parse_data.get("intent_ranking") for e in tracker.events if isinstance(e, UserUttered)][-1]  # kept
    short = DialogueStateTracker.from_events("citizen", events[:8], domain.slots)
    assert len(action._action_call_format(short, domain)["tracker"]["events"]) == 8


def test_applied_events_are_the_same_as_rasa_finds():
    from rasa.shared.core.events import (
        ActionReverted,
        ActiveLoop,
        Restarted,
        SessionStarted,
        UserUtteranceReverted,
    )
    from rasa.shared.core.trackers import DialogueStateTracker

    def said(text):
        return UserUttered(text, {"name": "ask", "confidence": 1.0})

    events = [
        ActionExecuted("action_listen"), said("một"), ActionExecuted("utter_a"), ActionExecuted("action_listen"),
        said("hai"), UserUtteranceReverted(), said("ba"), ActionExecuted("utter_b"), ActionReverted(),
        ActionExecuted("utter_c"), ActionExecuted("action_listen"), Restarted(), ActionExecuted("action_listen"),
        said("báo tin"), ActionExecuted("tipoff_form"), ActiveLoop("tipoff_form"), SlotSet("requested_slot", "what"),
        ActionExecuted("action_listen"), said("mất xe"), ActionExecuted("tipoff_form"), SlotSet("what", "mất xe"),
        ActionExecuted("action_listen"), said("ở chợ"), ActionExecuted("tipoff_form"), ActiveLoop(None),
        ActionExecuted("action_listen"), SessionStarted(), ActionExecuted("action_listen"), said("bốn"),
        ActionExecuted("utter_d"), ActionExecuted("action_listen"),
    ]
    original = rasa_speedups.originals["applied_events"]
    growing = DialogueStateTracker.from_events("citizen", [], [])  # remembers its result between calls
    for end in range(len(events) + 1):  # every prefix of the conversation
        tracker = DialogueStateTracker.from_events("citizen", events[:end], [])
        assert tracker.applied_events() == original(tracker), end
        assert growing.applied_events() == original(tracker), end
        assert growing.applied_events() == original(tracker), end  # twice: nothing added
        if end < len(events):
            growing.update(events[end])
    assert len(DialogueStateTracker.from_events("citizen", events, []).applied_events()) == 4  # since the session start


def _conversation():
    """Events that move every part of a tracker's state: slots, pauses, a
    follow-up action, reverts, a form interrupted and rejected, a restart."""
    from rasa.shared.core.events import (
        ActionExecutionRejected,
        ActiveLoop,
        BotUttered,
        ConversationPaused,
        ConversationResumed,
        FollowupAction,
        LoopInterrupted,
        Restarted,
        UserUtteranceReverted,
    )

    def said(text, intent="ask"):
        return UserUttered(text, {"name": intent, "confidence": 1.0})

    return [
        ActionExecuted("action_listen"), said("một"), SlotSet("procedure", "p1"), BotUttered("trả lời"),
        ActionExecuted("action_answer_procedure"), ActionExecuted("action_listen"), said("hai"),
        UserUtteranceReverted(), said("ba"), FollowupAction("utter_x"), ActionExecuted("utter_x"),
        ActionExecuted("action_listen"), said("báo tin", "tipoff"), ActionExecuted("tipoff_form"),
        ActiveLoop("tipoff_form"), SlotSet("requested_slot", "what"), ActionExecuted("action_listen"),
        said("lệ phí?", "ask_fee"), ActionExecutionRejected("tipoff_form"), LoopInterrupted(True),
        ActionExecuted("action_answer_procedure"), ActionExecuted("action_listen"), ConversationPaused(),
        said("còn ai không"), ConversationResumed(), Restarted(), SlotSet("procedure", "p2"),
        ActionExecuted("action_listen"), said("bốn"), ActionExecuted("utter_d"), ActionExecuted("action_listen"),
    ]


def _state(tracker):
    from rasa.shared.core.trackers import EventVerbosity

    return (tracker.current_state(EventVerbosity.ALL), tracker.active_loop, tracker.followup_action,
            tracker.latest_bot_utterance, tracker.model_id,
            {name: (slot.value, slot.has_been_set) for name, slot in tracker.slots.items()})


def test_a_copied_tracker_is_what_rasa_s_replay_gives():
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.from_yaml("slots:\n  procedure:\n    type: any\n    mappings: [{type: custom}]\n"
                              "  requested_slot:\n    type: any\n    mappings: [{type: custom}]\n")
    replay = rasa_speedups.originals["copy"]
    events = _conversation()
    for end in range(len(events) + 1):
        tracker = DialogueStateTracker.from_events("citizen", events[:end], domain.slots)
        tracker.model_id = "model"
        assert _state(tracker.copy()) == _state(replay(tracker)), end
    # and the copy is a copy: changing it (here: inside the form) leaves the tracker as it was
    from rasa.shared.core.events import ActiveLoop, LoopInterrupted

    tracker = DialogueStateTracker.from_events("citizen", events[:events.index(ActiveLoop("tipoff_form")) + 1],
                                               domain.slots)
    copied, before = tracker.copy(), _state(tracker)
    for event in (SlotSet("procedure", "p3"), ActionExecuted("utter_more"), LoopInterrupted(True)):
        copied.update(event)
    assert _state(tracker) == before
    assert copied.get_slot("procedure") == "p3" and copied.active_loop.is_interrupted
