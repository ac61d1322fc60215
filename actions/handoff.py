"""Handing the chat to an officer: the citizen asks for one, or for their
area police officer ("gặp riêng"), or the assistant failed to understand
twice in a row. The conversation is paused for the bot (Rasa keeps recording
what the citizen writes) until an officer closes it, the citizen cancels, or
nobody takes it in time (bot/handoff/service.py). Outside the unit's office
hours the citizen is also told when officers answer (bot/handoff/hours.py)."""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.citizen import unit_of
from bot.console.auth import Accounts
from bot.core.clock import now
from bot.core.units import Unit, load_units
from bot.handoff import hours
from bot.handoff.area_officers import account_problem
from bot.handoff.store import PERSONAL, Busy, HandoffStore
from bot.handoff.texts import settings
from bot.knowledge.units import residential_group
from bot.nlu.text import bare_number
from bot.review import capture

logger = logging.getLogger(__name__)

GROUP_SLOT = "residential_group"  # the citizen's tổ dân phố, kept for the conversation (carried over sessions)


def call_button(unit: Unit) -> List[Dict[str, str]]:
    return [{"title": settings()["call_button"], "payload": f"tel:{unit.duty_phone}"}]


def tell_if_closed(dispatcher: CollectingDispatcher, unit: Unit) -> None:
    """Outside office hours: when officers answer, and the duty phone to call."""
    at = now()
    if not hours.is_open(unit, at):
        opens = hours.spoken(hours.next_opening(unit, at), at)
        dispatcher.utter_message(text=settings()["after_hours"].format(unit=unit.name, opens=opens,
                                                                       phone=unit.duty_phone),
                                 buttons=call_button(unit))


def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str,
              officer: Optional[Dict[str, Any]] = None, group: Optional[int] = None,
              told: Optional[str] = None) -> List[EventType]:
    """Queue the chat for the unit's officers; with ``officer`` (an area officer
    entry of data/units.yml), for that officer first. ``told``: what the
    citizen is told in place of the usual "connecting" text."""
    store = HandoffStore()
    texts = settings()
    if store.open_for(tracker.sender_id):
        dispatcher.utter_message(text=texts["already_waiting"])
        return [ConversationPaused()]
    unit = load_units().get(unit_of(tracker))
    try:
        store.request(tracker.sender_id, unit.id, PERSONAL if officer else reason, limits=texts["limits"],
                      detail={"group": group} if officer else None,
                      officer=officer["username"] if officer else None)
    except Busy as flood:
        logger.warning("handoff not queued: %s", flood)
        dispatcher.utter_message(text=texts["busy"].format(unit=unit.name, phone=unit.duty_phone),
                                 buttons=call_button(unit))
        return []
    if officer:
        dispatcher.utter_message(text=texts["area_officer_connecting"].format(
            group=group, officer=officer["officer"], unit=unit.name,
            minutes=max(1, round(texts["area_officer_timeout_seconds"] / 60))))
    elif told:
        dispatcher.utter_message(text=told.format(unit=unit.name))
    else:
        dispatcher.utter_message(text=texts["connecting" if hours.is_open(unit, now()) else "connecting_after_hours"]
                                 .format(unit=unit.name, minutes=texts["expected_wait_minutes"]))
    tell_if_closed(dispatcher, unit)
    return [ConversationPaused()]


class ActionRequestHandoff(Action):
    def name(self) -> Text:
        return "action_request_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        capture.observe(tracker, unit_of(tracker))  # the answer before, if the citizen asks for an officer after it
        return hand_over(dispatcher, tracker, "requested")


def group_said(tracker: Tracker) -> Optional[int]:
    """The residential group the message names: a tapped group button's entity,
    "tổ 6" typed, or a bare number answering the question for it."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == GROUP_SLOT and str(entity.get("value")).isdigit():
            return int(entity["value"])
    text = (tracker.latest_message or {}).get("text") or ""
    group = residential_group(text)
    if group is None and asked_group(tracker):
        group = bare_number(text)
    return group


def asked_group(tracker: Tracker) -> bool:
    """Whether the question for the residential group is open (the assistant's last words)."""
    return last_bot_text(tracker) == settings()["ask_group"]


def answers_group_question(tracker: Tracker) -> bool:
    """A lone number ("6", "số 6") sent while the group question is open: the
    answer to it. Anywhere else a lone number is no request (bot/nlu/intent_rules.py)."""
    return asked_group(tracker) and bare_number((tracker.latest_message or {}).get("text") or "") is not None


def last_bot_text(tracker: Tracker) -> Optional[str]:
    """What the assistant said last in this conversation."""
    return next((e.get("text") for e in reversed(tracker.events) if e.get("event") == "bot"), None)


class ActionRequestAreaOfficer(Action):
    """"Cho tôi gặp cảnh sát khu vực (tổ 6)": asks for the residential group
    unless the message or the conversation names it, then hands the chat to
    that group's area officer (their console account: ``username`` in
    data/units.yml). A group without one: the unit's queue. An officer
    without a usable account (bot/handoff/area_officers.py): the unit's queue
    at once, the citizen told so as when the officer does not answer in time."""

    def name(self) -> Text:
        return "action_request_area_officer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        texts = settings()
        unit = load_units().get(unit_of(tracker))
        said = group_said(tracker)
        remembered = tracker.get_slot(GROUP_SLOT)
        group = said if said is not None else (int(remembered) if str(remembered or "").isdigit() else None)
        known = sorted(int(o["group"]) for o in unit.area_officers)
        if group is None and known:
            dispatcher.utter_message(text=texts["ask_group"], buttons=[
                *({"title": texts["group_button"].format(group=g),
                   "payload": f'/request_area_officer{{"{GROUP_SLOT}": "{g}"}}'} for g in known),
                {"title": texts["group_unknown_button"], "payload": "/request_human"}])
            return []
        officer = unit.area_officer(group) if group is not None else None
        if officer is None:
            if group is not None:
                dispatcher.utter_message(text=texts["unknown_group"].format(
                    unit=unit.name, group=group, groups=", ".join(map(str, known)) or "–"))
            return hand_over(dispatcher, tracker, "requested")
        remember = [SlotSet(GROUP_SLOT, str(group))]
        problem = account_problem(officer, unit, Accounts())
        if problem:
            logger.warning("area officer of group %s of unit %s: %s; the chat goes to the unit's queue",
                           group, unit.id, problem)
            return remember + hand_over(dispatcher, tracker, "requested", told=texts["area_officer_fallback"])
        return remember + hand_over(dispatcher, tracker, PERSONAL, officer=officer, group=group)
