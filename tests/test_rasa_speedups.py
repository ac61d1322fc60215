"""bot/rasa_speedups.py changes how fast Rasa works, not what it does."""

from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_speedups


@pytest.fixture(scope="module", autouse=True)
def installed():
    rasa_speedups.install()


def test_action_server_answers_are_still_validated():
    assert RemoteAction._validate_action_result.__module__ == "bot.rasa_speedups"
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
