"""Costs inside Rasa 3.6 that grow or repeat without doing useful work
(bench/load.py measured them; the Zalo channel installs these in the Rasa
server when Rasa loads it).

* ``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` on
  every action server answer, which checks Rasa's large events schema against
  the JSON Schema meta-schema each time before validating the answer: 38 % of
  a saturated server's time. Here the schema is checked once and its
  validator reused; an invalid answer raises the same ValidationError.
* ``Event.resolve_by_type`` walks every Event subclass for each event it
  reads back from the tracker store; here the class found for a type name is
  remembered (unknown names are still looked up, and still fail, each time).
* ``RemoteAction._action_call_format`` sends the action server every event of
  the conversation, so each custom action cost more the longer the chat
  (JSON written by Rasa, read by the SDK). Here it sends the events of the
  last ``RECENT_USER_MESSAGES`` user messages, their intent rankings left
  out; the slots, the latest message (with its ranking) and the active form
  are sent in full as before. The project's actions look
  back two questions at most (actions/procedures.py: ``failed_twice``;
  actions/handoff.py: ``unit_of``, the latest message's OA).
* ``DialogueStateTracker.applied_events`` walks every event of the
  conversation several times per message (Rasa's processor calls it to know
  whether the tracker is empty and when the last message came), testing each
  with ``isinstance`` against Rasa's abstract event classes, which is slow.
  Here the walk compares the event's exact class (sets that include every
  subclass), and a tracker remembers its result: the next call walks only
  the events added since (all of them again if a form is named for the
  first time). The result is the same list.
* ``DialogueStateTracker.copy`` (before every action the processor runs)
  builds a new tracker and replays every event of the conversation into it.
  Here the copy takes the events and the state the replay would arrive at
  (slots, pause, follow-up action, latest action, message and bot
  utterance, active loop) from the tracker itself; trackers with a
  ``max_event_history`` are still replayed.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Type

_installed = False
originals: Dict[str, Any] = {}  # what was replaced, for the tests that compare
APPLIED_MEMO = "_applied_events_memo"  # attribute of a tracker: its applied events so far
RECENT_USER_MESSAGES = 10


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    _validate_action_results_with_one_validator()
    _remember_event_types()
    _send_recent_events_to_actions()
    _applied_events_by_exact_class()
    _copy_trackers_without_replay()


def _validate_action_results_with_one_validator() -> None:
    from jsonschema import exceptions, validators
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        error = exceptions.best_match(validator.iter_errors(result))
        if error is not None:  # as jsonschema.validate raises it, with Rasa's hint
            error.message += (
                f". Failed to validate Action server response from API, make sure your response from the "
                f"Action endpoint is valid. For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    RemoteAction._validate_action_result = _validate_action_result


def _remember_event_types() -> None:
    from rasa.shared.core.events import Event

    look_up = Event.resolve_by_type
    known: Dict[Text, Type[Event]] = {}

    def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
        found = known.get(type_name)
        if found is None:
            found = look_up(type_name, default)
            if found is not None and found is not default:
                known[type_name] = found
        return found

    Event.resolve_by_type = staticmethod(resolve_by_type)


def recent_events(events: Any, user_messages: int = RECENT_USER_MESSAGES) -> List[Any]:
    """The events from the ``user_messages``-th last user message on (all of
    them if there are fewer), read from the end."""
    from rasa.shared.core.events import UserUttered

    tail: List[Any] = []
    seen = 0
    for event in reversed(events):
        tail.append(event)
        if isinstance(event, UserUttered):
            seen += 1
            if seen == user_messages:
                break
    tail.reverse()
    return tail


def without_ranking(event: Dict[Text, Any]) -> Dict[Text, Any]:
    """An event as a dict, a user message without its intent ranking (every
    intent's confidence: the largest part of a user event)."""
    parse_data = event.get("parse_data")
    if isinstance(parse_data, dict) and "intent_ranking" in parse_data:
        event["parse_data"] = {key: value for key, value in parse_data.items() if key != "intent_ranking"}
    return event


def _send_recent_events_to_actions() -> None:
    import rasa
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.core.trackers import EventVerbosity

    def _action_call_format(self: RemoteAction, tracker: Any, domain: Any) -> Dict[Text, Any]:
        state = tracker.current_state(EventVerbosity.NONE)
        state["events"] = [without_ranking(event.as_dict()) for event in recent_events(tracker.events)]
        result = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": state,
                  "version": rasa.__version__}
        if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
            result["domain"] = domain.as_dict()
        return result

    RemoteAction._action_call_format = _action_call_format


def _applied_events_by_exact_class() -> None:
    from rasa.shared.core import events as e
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.shared.utils.common import all_subclasses

    def family(cls: type) -> frozenset:
        return frozenset([cls, *all_subclasses(cls)])

    resets = family(e.Restarted) | family(e.SessionStarted)
    action_reverted, utterance_reverted = family(e.ActionReverted), family(e.UserUtteranceReverted)
    actions, loops = family(e.ActionExecuted), family(e.ActiveLoop)

    def applied_events(self: DialogueStateTracker) -> List[e.Event]:
        events = self.events
        count = len(events)
        memo = self.__dict__.get(APPLIED_MEMO)  # (events count, last event, loop names, applied events)
        start, loop_names, applied = 0, set(), []
        if memo is not None and 0 < memo[0] <= count and events[memo[0] - 1] is memo[1]:
            start, loop_names, applied = memo[0], memo[2], list(memo[3])  # the same events, and more
        new = [events[index] for index in range(start, count)]
        added = {event.name for event in new if type(event) in loops and event.name}
        if not added <= loop_names:  # a loop named for the first time: earlier events may read otherwise
            new, loop_names, applied = list(events), loop_names | added, []
        for event in new:
            kind = type(event)
            if kind in resets:
                applied = []
            elif kind in action_reverted:
                self._undo_till_previous(e.ActionExecuted, applied)
            elif kind in utterance_reverted:
                self._undo_till_previous(e.UserUttered, applied)
                self._undo_till_previous(e.ActionExecuted, applied)
            elif (kind in actions and event.action_name in loop_names
                  and not self._first_loop_execution_or_unhappy_path(event.action_name, applied)):
                self._undo_till_previous_loop_execution(event.action_name, applied)
            else:
                applied.append(event)
        if count:
            self.__dict__[APPLIED_MEMO] = (count, events[-1], loop_names, list(applied))
        return applied

    originals["applied_events"] = DialogueStateTracker.applied_events
    DialogueStateTracker.applied_events = applied_events


def _copy_trackers_without_replay() -> None:
    import copy as copying
    from collections import deque

    from rasa.shared.core.trackers import DialogueStateTracker

    replay = DialogueStateTracker.copy

    def copy(self: DialogueStateTracker) -> DialogueStateTracker:
        if self._max_event_history is not None:  # a replay keeps only the last events: same as Rasa's
            return replay(self)
        duplicate = self.init_copy()  # as Rasa's copy: sender, domain slots, no model or assistant id
        duplicate.events = deque(self.events)
        for name, slot in self.slots.items():  # value and has-been-set, as the SlotSet events left them
            duplicate.slots[name] = copying.copy(slot)
        duplicate._paused = self._paused
        duplicate.followup_action = self.followup_action
        duplicate.latest_action = copying.copy(self.latest_action)
        duplicate.latest_message = self.latest_message
        duplicate.latest_bot_utterance = self.latest_bot_utterance
        duplicate.active_loop = copying.copy(self.active_loop)  # a loop's flags change in place
        return duplicate

    originals["copy"] = replay
    DialogueStateTracker.copy = copy
