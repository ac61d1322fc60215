"""RulePolicy that matches rules against the recent turns of a conversation.

Rasa's RulePolicy turns the whole conversation into dialogue states before
every prediction (several per message), so a turn costs more the longer the
conversation is: at turn 300 a turn took 4.4 times as long as at turn 1
(bench/load.py), and the profile put these states first. Rules only look at
the last few states (the longest rule here has 5 actions), so the states are
computed from the recent events only (never starting inside a form), started
with the slots as they were at the cut. Predictions are the same; the cost no longer
grows with the conversation.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted, ActiveLoop, Restarted, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

RECENT_ACTIONS = 20  # dialogue states kept: four times the longest rule


def recent(tracker: DialogueStateTracker, domain: Domain, keep: int = RECENT_ACTIONS) -> DialogueStateTracker:
    """The tracker's events of its last ``keep`` actions (from the start of a
    turn, outside any form), after the slots as they were just before them;
    the tracker itself if it is not much longer."""
    events = list(tracker.events)
    actions = [i for i, event in enumerate(events) if isinstance(event, ActionExecuted)]
    if len(actions) <= 2 * keep:
        return tracker
    cut = turn_start(events, actions[-keep])
    activated = loop_activation(events, cut)
    if activated is not None:  # never start inside a form: Rasa skips a form's turns in the states
        cut = turn_start(events, activated)
    if cut <= 0:
        return tracker
    slots: Dict[Text, Any] = {}
    for event in events[:cut]:
        if isinstance(event, (Restarted, SessionStarted)):
            slots = {}  # slots carried into a new session are set again after it
        elif isinstance(event, SlotSet):
            slots[event.key] = event.value
    start = [SlotSet(key, value) for key, value in slots.items() if value is not None]
    return DialogueStateTracker.from_events(tracker.sender_id, start + events[cut:], domain.slots)


def turn_start(events: List[Any], index: int) -> int:
    """The index of the action_listen that starts the turn of events[index]."""
    while index > 0 and not (isinstance(events[index], ActionExecuted)
                             and events[index].action_name == ACTION_LISTEN_NAME):
        index -= 1
    return index


def loop_activation(events: List[Any], cut: int) -> Optional[int]:
    """Where the loop active at ``cut`` was activated, or None if none is active there."""
    activated: Optional[int] = None
    for index, event in enumerate(events[:cut]):
        if isinstance(event, (Restarted, SessionStarted)):
            activated = None
        elif isinstance(event, ActiveLoop):
            activated = (activated if activated is not None else index) if event.name else None
    return activated


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class RecentRulePolicy(RulePolicy):
    def _prediction_states(self, tracker: DialogueStateTracker, domain: Domain,
                           use_text_for_last_user_input: bool = False,
                           rule_only_data: Optional[Dict[Text, Any]] = None) -> List[State]:
        return super()._prediction_states(recent(tracker, domain), domain, use_text_for_last_user_input,
                                          rule_only_data)
