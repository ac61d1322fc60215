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

from typing import Any, Dict, List, Optional, Text, Tuple

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
    start = keep_from(events, keep)
    if start is None:
        return tracker
    cut = turn_start(events, start)
    slots, activated = remembered_state_before(tracker, events, cut)
    if activated is not None:  # never start inside a form: Rasa skips a form's turns in the states
        cut = turn_start(events, activated)
        slots, _ = remembered_state_before(tracker, events, cut)
    if cut <= 0:
        return tracker
    begin = [SlotSet(key, value) for key, value in slots.items() if value is not None]
    return DialogueStateTracker.from_events(tracker.sender_id, begin + events[cut:], domain.slots)


# Event classes compared by type, not isinstance (Rasa's events are ABCs: isinstance is slow,
# and these loops see every event of the conversation); ActiveLoop has a subclass, LegacyForm.
RESETS = (Restarted, SessionStarted)
LOOPS = (ActiveLoop, *ActiveLoop.__subclasses__())


def keep_from(events: List[Any], keep: int) -> Optional[int]:
    """The index of the ``keep``-th last action, or None if there are no more
    than ``2 * keep`` actions (read from the end)."""
    found: Optional[int] = None
    seen = 0
    for index in range(len(events) - 1, -1, -1):
        if type(events[index]) is ActionExecuted:
            seen += 1
            if seen == keep:
                found = index
            elif seen > 2 * keep:
                return found
    return None


def turn_start(events: List[Any], index: int) -> int:
    """The index of the action_listen that starts the turn of events[index]."""
    while index > 0 and not (type(events[index]) is ActionExecuted
                             and events[index].action_name == ACTION_LISTEN_NAME):
        index -= 1
    return index


def state_before(events: List[Any], cut: int, since: Tuple[int, Dict[Text, Any], Optional[int]] = (0, {}, None)
                 ) -> Tuple[Dict[Text, Any], Optional[int]]:
    """The slots set before ``cut`` (since the last restart or session start),
    and where the loop active at ``cut`` was activated (None if none is);
    ``since``: the same, known at an earlier index, to go on from."""
    start, known, activated = since
    slots = dict(known)
    for index in range(start, cut):
        event = events[index]
        kind = type(event)
        if kind is SlotSet:
            slots[event.key] = event.value
        elif kind in RESETS:
            slots, activated = {}, None  # slots carried into a new session are set again after it
        elif kind in LOOPS:
            activated = (activated if activated is not None else index) if event.name else None
    return slots, activated


STATE_MEMO = "_recent_rule_policy_state"  # attribute of a tracker: (cut, event before it, slots, activated)


def remembered_state_before(tracker: DialogueStateTracker, events: List[Any], cut: int
                            ) -> Tuple[Dict[Text, Any], Optional[int]]:
    """state_before, going on from what this tracker's last call found (the
    same tracker object across turns: bot/server/tracker_store.py keeps it), so
    that the cost does not grow with the conversation."""
    memo = tracker.__dict__.get(STATE_MEMO)
    since: Tuple[int, Dict[Text, Any], Optional[int]] = (0, {}, None)
    if memo is not None and 0 < memo[0] <= cut and memo[0] <= len(events) and events[memo[0] - 1] is memo[1]:
        since = (memo[0], memo[2], memo[3])
    slots, activated = state_before(events, cut, since)
    if cut > 0 and (memo is None or cut >= memo[0]):
        tracker.__dict__[STATE_MEMO] = (cut, events[cut - 1], slots, activated)
    return slots, activated


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class RecentRulePolicy(RulePolicy):
    def _prediction_states(self, tracker: DialogueStateTracker, domain: Domain,
                           use_text_for_last_user_input: bool = False,
                           rule_only_data: Optional[Dict[Text, Any]] = None) -> List[State]:
        return super()._prediction_states(recent(tracker, domain), domain, use_text_for_last_user_input,
                                          rule_only_data)
