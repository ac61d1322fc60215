"""Confidential tip-offs in the chat: a form asks what happened, where,
when, for photos or files, and whether the citizen stays anonymous; "hủy"
stops it at any question. The report gets a tracking code, goes to the ward
of its place (bot/tipoffs/routing.py) and appears in the officer console.
Later "tra cứu TG-XXXXXX" shows its status, to the same Zalo user only.

Confidential by data class (bot/tipoffs/redaction.py): every message these
actions send is marked ``{"confidential": "tipoff"}`` (the console shows a
placeholder, the Zalo outbox does not keep it once sent), and the Zalo
delivery of each answer the form takes is blanked once handled."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.citizen import unit_of
from bot.core.content import read_texts
from bot.core.units import load_units
from bot.core.web import VIETNAM
from bot.nlu.text import canonical, fold
from bot.tipoffs.redaction import CONFIDENTIAL_SLOTS, MARK
from bot.tipoffs.routing import route
from bot.tipoffs.store import TipoffStore, find_code
from bot.zalo.store import ZaloStore

SLOTS = sorted(CONFIDENTIAL_SLOTS)  # the form's answers and draft: all cleared before and after a report
CANCEL = re.compile(r"^(huy|huy bo|huy tin bao|thoi|dung|dung lai|khong bao nua|thoi khong bao nua|cancel)"
                    r"( nhe| a| di| nua)?$")
NO_EVIDENCE = {"khong", "khong co", "ko", "k", "ko co", "k co", "khong co gi", "chua co"}
DONE = {"xong", "xong roi", "het", "het roi", "du roi", "roi", "da gui", "gui xong", "ok"}
ANONYMOUS = {"an danh", "co", "co a", "vang", "u", "giu kin", "giu bi mat", "bi mat", "an danh a"}
NAMED = {"de lai lien he", "khong", "ko", "k", "khong an danh", "de lai thong tin", "lien he"}


@lru_cache(maxsize=1)
def texts() -> Dict[str, Any]:
    return read_texts("tipoffs.yml")


def words(text: str) -> str:
    """Lower case, no diacritics, no punctuation, single spaces: how answers are compared."""
    return " ".join(re.sub(r"[^\w\s]", " ", fold(canonical(text or ""))).split())


def date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, VIETNAM).strftime("%d/%m/%Y %H:%M")


def reset() -> List[EventType]:
    return [SlotSet(slot, None) for slot in SLOTS]


def tell(dispatcher: CollectingDispatcher, text: str) -> None:
    """A message about a tip-off: marked, so officers never read it in chats."""
    dispatcher.utter_message(text=text, confidential=MARK)


@lru_cache(maxsize=1)
def zalo_store() -> ZaloStore:
    return ZaloStore()


def forget_delivery(tracker: Tracker) -> None:
    """The Zalo inbox keeps no copy of an answer to the form once it is handled."""
    msg_id = ((tracker.latest_message or {}).get("metadata") or {}).get("msg_id")
    if msg_id:
        zalo_store().mark_inbound_confidential(str(msg_id))


class ActionStartTipoff(Action):
    def name(self) -> Text:
        return "action_start_tipoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        tell(dispatcher, texts()["intro"])
        events = reset()
        text = (tracker.latest_message or {}).get("text") or ""
        if len(words(text).split()) >= texts()["describes_at_least_words"] and not text.startswith("/"):
            # "nhà tôi bị trộm xe máy tối qua": the message already says what happened
            events.append(SlotSet("tipoff_what", text.strip()))
        return events


class ValidateTipoffForm(FormValidationAction):
    """Takes each typed answer as it is, except "hủy", a shared location and
    photos or files, which may come at any question."""

    def name(self) -> Text:
        return "validate_tipoff_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        if tracker.get_slot("tipoff_cancelled"):
            return []
        if tracker.get_slot("tipoff_anonymous") is True:
            return [s for s in domain_slots if s != "tipoff_contact"]
        return domain_slots

    def _common(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> Optional[Dict]:
        """Cancellation, media or a location in place of an answer; None for a plain answer."""
        if value is None:  # a slot cleared (by action_start_tipoff), not an answer
            return {slot: None}
        forget_delivery(tracker)
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name")
        said = words(message.get("text") or "")
        if CANCEL.match(said) or (intent == "cancel" and len(said.split()) <= 5
                                  and slot not in ("tipoff_evidence", "tipoff_anonymous")):
            return {slot: None, "tipoff_cancelled": True}
        if intent == "send_media":
            attachments = list(tracker.get_slot("tipoff_attachments") or [])
            for item in (message.get("metadata") or {}).get("attachments") or []:
                payload = item.get("payload") or {}
                attachments.append({"type": item.get("type") or "file", "url": payload.get("url") or "",
                                    "name": payload.get("name") or ""})
            tell(dispatcher, texts()["media_received"].format(count=len(attachments)))
            return {slot: None, "tipoff_attachments": attachments}
        if intent == "share_location":
            entities = {e.get("entity"): e.get("value") for e in message.get("entities") or []}
            if "latitude" in entities and "longitude" in entities:
                located = {"tipoff_latitude": float(entities["latitude"]),
                           "tipoff_longitude": float(entities["longitude"])}
                if slot == "tipoff_where":
                    return {**located, slot: f"Vị trí đã chia sẻ ({located['tipoff_latitude']:.6f}, "
                                             f"{located['tipoff_longitude']:.6f})"}
                tell(dispatcher, texts()["location_received"])
                return {**located, slot: None}
        return None

    async def validate_tipoff_what(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        common = self._common("tipoff_what", value, dispatcher, tracker)
        if common is not None:
            return common
        if len(str(value or "").strip()) < 8:
            tell(dispatcher, texts()["too_short"])
            return {"tipoff_what": None}
        return {"tipoff_what": str(value).strip()}

    async def validate_tipoff_where(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        common = self._common("tipoff_where", value, dispatcher, tracker)
        return common if common is not None else {"tipoff_where": str(value).strip()}

    async def validate_tipoff_when(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        common = self._common("tipoff_when", value, dispatcher, tracker)
        return common if common is not None else {"tipoff_when": str(value).strip()}

    async def validate_tipoff_evidence(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> Dict[Text, Any]:
        common = self._common("tipoff_evidence", value, dispatcher, tracker)
        if common is not None:
            return common
        said = words(str(value))
        count = len(tracker.get_slot("tipoff_attachments") or [])
        if said in DONE or said in NO_EVIDENCE:
            return {"tipoff_evidence": f"{count} tệp đính kèm" if count else "Không có"}
        return {"tipoff_evidence": str(value).strip()}  # described instead of sent ("có video, gửi sau")

    async def validate_tipoff_anonymous(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> Dict[Text, Any]:
        common = self._common("tipoff_anonymous", value, dispatcher, tracker)
        if common is not None:
            return common
        said = words(str(value))
        if said in ANONYMOUS:
            return {"tipoff_anonymous": True}
        if said in NAMED:
            return {"tipoff_anonymous": False}
        tell(dispatcher, texts()["not_understood_yes_no"])
        return {"tipoff_anonymous": None}

    async def validate_tipoff_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> Dict[Text, Any]:
        common = self._common("tipoff_contact", value, dispatcher, tracker)
        return common if common is not None else {"tipoff_contact": str(value).strip()}


class ActionSubmitTipoff(Action):
    def name(self) -> Text:
        return "action_submit_tipoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        t = texts()
        if tracker.get_slot("tipoff_cancelled"):
            tell(dispatcher, t["cancelled"])
            return reset()
        slot = tracker.get_slot
        latitude, longitude = slot("tipoff_latitude"), slot("tipoff_longitude")
        unit = route(unit_of(tracker), slot("tipoff_where") or "", latitude, longitude)
        anonymous = slot("tipoff_anonymous") is not False
        report = TipoffStore().create(
            reporter_id=tracker.sender_id, unit=unit, what=slot("tipoff_what") or "",
            place=slot("tipoff_where") or "", occurred=slot("tipoff_when") or "", anonymous=anonymous,
            contact=slot("tipoff_contact"), latitude=latitude, longitude=longitude,
            attachments=slot("tipoff_attachments") or [],
        )
        note = t["received_anonymous"] if anonymous else t["received_named"]
        tell(dispatcher, t["received"].format(code=report["code"], unit=load_units().get(unit).name)
                                 + " " + note)
        return reset()


class ActionTipoffStatus(Action):
    def name(self) -> Text:
        return "action_tipoff_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        t = texts()
        code = find_code(tracker.latest_message.get("text") or "")
        reports = TipoffStore().for_reporter(tracker.sender_id, code)
        if code and not reports:
            tell(dispatcher, t["not_found"].format(code=code))
        elif not reports:
            tell(dispatcher, t["none_sent"])
        else:
            lines = [t["status"].format(code=r["code"], date=date(r["created_at"]), status=t["statuses"][r["status"]],
                                        unit=load_units().get(r["unit"]).name, updated=date(r["updated_at"]))
                     for r in reports[:5]]
            tell(dispatcher, "\n".join(lines if code else [t["list_heading"], *lines]))
        return []
