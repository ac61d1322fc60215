"""bot/server/tracker_store.py: Rasa's SQL tracker store keeping the trackers it has
just saved. What it hands out must always be what Rasa's own store reads."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered

from bot.server.tracker_store import CachingSQLTrackerStore

DOMAIN = Domain.from_yaml("slots:\n  procedure:\n    type: any\n    mappings: [{type: custom}]\n")


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def stores(tmp_path):
    """Two replicas' stores on one database, and Rasa's own store to compare with."""
    db = str(tmp_path / "tracker.db")
    return (CachingSQLTrackerStore(DOMAIN, dialect="sqlite", db=db),
            CachingSQLTrackerStore(DOMAIN, dialect="sqlite", db=db),
            SQLTrackerStore(DOMAIN, dialect="sqlite", db=db))


def turn(tracker, text: str, procedure: str) -> None:
    for event in (UserUttered(text, {"name": "ask", "confidence": 1.0}), SlotSet("procedure", procedure),
                  ActionExecuted("action_answer_procedure"), ActionExecuted("action_listen")):
        tracker.update(event)


def first_turn(store, text: str, procedure: str):
    """A new conversation's tracker after one turn, saved."""
    tracker = run(store.get_or_create_tracker("citizen"))
    turn(tracker, text, procedure)
    run(store.save(tracker))
    return tracker


def as_rasa_reads_it(rasa_store, sender: str):
    return [event.as_dict() for event in run(rasa_store.retrieve(sender)).events]


def test_a_conversation_reads_back_as_rasa_reads_it(stores):
    a, _, rasa_store = stores
    tracker = run(a.get_or_create_tracker("citizen"))
    for n in range(5):
        turn(tracker, f"câu {n}", f"p{n}")
        run(a.save(tracker))
        again = run(a.retrieve("citizen"))
        assert [e.as_dict() for e in again.events] == as_rasa_reads_it(rasa_store, "citizen")
        assert again.get_slot("procedure") == f"p{n}"
        assert again is tracker  # kept, not read and replayed
        tracker = again
    assert len(as_rasa_reads_it(rasa_store, "citizen")) == 1 + 5 * 4  # each event stored once


def test_turns_answered_by_another_replica_are_read(stores):
    a, b, rasa_store = stores
    tracker = first_turn(a, "hỏi ở A", "a1")
    on_b = run(b.retrieve("citizen"))
    turn(on_b, "hỏi ở B", "b1")
    run(b.save(on_b))
    on_a = run(a.retrieve("citizen"))
    assert on_a is not tracker
    assert [e.as_dict() for e in on_a.events] == as_rasa_reads_it(rasa_store, "citizen")
    assert on_a.get_slot("procedure") == "b1"
    turn(on_a, "lại ở A", "a2")
    run(a.save(on_a))
    assert [e.get("text") for e in as_rasa_reads_it(rasa_store, "citizen") if e["event"] == "user"] == [
        "hỏi ở A", "hỏi ở B", "lại ở A"]


def test_a_tracker_changed_but_not_saved_is_not_handed_out(stores):
    a, _, rasa_store = stores
    tracker = first_turn(a, "câu đã lưu", "saved")
    turn(tracker, "câu chưa lưu", "unsaved")  # e.g. a turn that failed before Rasa saved it
    again = run(a.retrieve("citizen"))
    assert again.get_slot("procedure") == "saved"
    assert [e.as_dict() for e in again.events] == as_rasa_reads_it(rasa_store, "citizen")


def test_a_new_session_reads_only_that_session(stores):
    a, _, rasa_store = stores
    tracker = first_turn(a, "phiên cũ", "old")
    tracker = run(a.retrieve("citizen"))
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    turn(tracker, "phiên mới", "new")
    run(a.save(tracker))
    again = run(a.retrieve("citizen"))
    assert [e.as_dict() for e in again.events] == as_rasa_reads_it(rasa_store, "citizen")
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["phiên mới"]


def test_only_the_most_recent_conversations_are_kept(tmp_path):
    store = CachingSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"), cache_size=2)
    for sender in ("c1", "c2", "c3"):
        tracker = run(store.get_or_create_tracker(sender))
        turn(tracker, sender, sender)
        run(store.save(tracker))
    assert list(store._kept) == ["c2", "c3"]
    assert run(store.retrieve("c1")).get_slot("procedure") == "c1"  # read from the database
