"""What officers never read of a tip-off outside the tip-offs page: the
data classes redacted wherever the console shows a conversation (chat
transcript, queue previews, the "understood" panel).

* confidential slots (``CONFIDENTIAL_SLOTS``: the tip-off form's answers and
  draft) are left out of the slots an officer sees;
* citizen messages the tip-off form took as answers, and a message that
  already told what happened (it filled a confidential slot), are shown as
  ``PLACEHOLDER``; an emergency sent during the form is not an answer and
  stays readable;
* bot messages marked at the source (event metadata ``{"confidential":
  "tipoff"}``, set by actions/tipoffs.py) are shown as ``PLACEHOLDER``;
* the files, images and buttons of a message shown as ``PLACEHOLDER`` are
  not shown at all;
* tracking codes ("TG-XXXXXX") are replaced in any text that is shown;
* Zalo outbox messages marked confidential are blanked once sent or given up
  (bot/zalo/store.py), and shown as ``PLACEHOLDER``.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Set

from bot.tipoffs.store import CODE_PATTERN

PLACEHOLDER = "[nội dung tin báo đã ẩn]"
CODE_PLACEHOLDER = "[mã tin báo đã ẩn]"
MARK = "tipoff"  # bot event metadata {"confidential": "tipoff"}
CONFIDENTIAL_FORMS = frozenset({"tipoff_form"})
CONFIDENTIAL_SLOTS = frozenset({
    "tipoff_what", "tipoff_where", "tipoff_when", "tipoff_evidence", "tipoff_anonymous", "tipoff_contact",
    "tipoff_latitude", "tipoff_longitude", "tipoff_attachments", "tipoff_cancelled",
})
EMPTY = (None, "", [], {})


def scrub_codes(text: Optional[str]) -> str:
    return CODE_PATTERN.sub(CODE_PLACEHOLDER, text or "")


def visible_slots(slots: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    return {name: value for name, value in (slots or {}).items() if name not in CONFIDENTIAL_SLOTS}


def hidden_events(events: Iterable[Dict[str, Any]]) -> Set[int]:
    """The indexes of the user and bot events (tracker events as Rasa's HTTP
    API gives them) to show as ``PLACEHOLDER``."""
    hidden: Set[int] = set()
    loop: Optional[str] = None  # the active form
    turn: Optional[int] = None  # the latest citizen message
    answering = False  # the latest citizen message came while a confidential form was active
    for index, event in enumerate(events):
        kind = event.get("event")
        if kind == "user":
            turn, answering = index, loop in CONFIDENTIAL_FORMS
        elif kind == "active_loop":
            loop = event.get("name")
        elif kind == "action" and answering and event.get("name") != "action_listen":
            # the first action run after the message tells whether the form took it as an answer (a form
            # that rejected it, e.g. an emergency, logs action_execution_rejected and runs no action)
            if event.get("name") in CONFIDENTIAL_FORMS and turn is not None:
                hidden.add(turn)
            answering = False
        elif (kind == "slot" and event.get("name") in CONFIDENTIAL_SLOTS and event.get("value") not in EMPTY
              and turn is not None):
            hidden.add(turn)
        elif kind == "bot" and (event.get("metadata") or {}).get("confidential") == MARK:
            hidden.add(index)
    return hidden


def shown(hidden: Set[int], index: int, text: Optional[str]) -> str:
    """What an officer reads of the event at ``index`` whose text is ``text``."""
    return PLACEHOLDER if index in hidden else scrub_codes(text)


def shown_extras(hidden: Set[int], index: int, extras: Dict[str, List[Any]]) -> Dict[str, List[Any]]:
    """What an officer sees of the files and images ({"text", "url", ...})
    and button titles of the event at ``index``: nothing of a hidden one."""
    if index in hidden:
        return {"attachments": [], "buttons": []}
    return {"attachments": [{**a, "text": scrub_codes(a.get("text"))} for a in extras.get("attachments") or []],
            "buttons": [scrub_codes(title) for title in extras.get("buttons") or []]}


def outbox_text(body: Dict[str, Any]) -> str:
    """What an officer reads of a Zalo message the citizen did not get."""
    if body.get("redacted"):
        return PLACEHOLDER
    return scrub_codes((body.get("message") or {}).get("text"))


def last_citizen_message(events: List[Dict[str, Any]], since: float = 0.0,
                         describe: Optional[Callable[[Dict[str, Any]], Dict[str, Any]]] = None,
                         ) -> Optional[Dict[str, Any]]:
    """The latest citizen message since ``since`` as an officer may read it
    (queue previews): {"text", "link"}; ``describe(event)`` says what the
    event reads as (its text otherwise). A hidden message has no link."""
    hidden = hidden_events(events)
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") == "user" and event.get("timestamp", 0) >= since:
            said = describe(event) if describe else {"text": event.get("text"), "link": None}
            return {"text": shown(hidden, index, said.get("text")),
                    "link": None if index in hidden else said.get("link")}
    return None


def last_citizen_text(events: List[Dict[str, Any]], since: float = 0.0) -> Optional[str]:
    """The latest citizen message since ``since`` as an officer may read it."""
    said = last_citizen_message(events, since)
    return said["text"] if said else None
