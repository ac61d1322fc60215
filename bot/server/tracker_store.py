"""Rasa's SQL tracker store, keeping the trackers it has just saved.

On every message Rasa's SQLTrackerStore reads the conversation's whole
session back from the database, decodes every event and replays it, then
counts the stored rows again to know which events are new: the longer the
conversation, the slower each turn (at 300 turns, 4.6 times turn 1; 39 % of
a saturated server's time, bench/load.py --profile).

This store keeps, per conversation, the tracker it has just saved together
with the id of the last row it wrote and the number of events it held. The
next ``retrieve`` hands that tracker out when the conversation's newest row
in the database is still that row and the tracker has not changed since; it
is taken out of the cache as it is handed out (the caller changes it). In
any other case, such as another replica having answered the conversation in
between, the tracker is read from the database exactly as Rasa does. Saving
writes only the events added since the tracker was read or saved.

A tracker that starts a new session is not kept: the next read then loads
the new session from the database, as Rasa does.

endpoints.yml: ``type: bot.server.tracker_store.CachingSQLTrackerStore`` with the
SQL store's settings; ``cache_size`` (default 256) conversations are kept,
least recently saved dropped first. A SQLite file gets pooled connections in
WAL mode, like the project database (bot/core/db.py).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Text, Tuple

import sqlalchemy as sa
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.core import db
from bot.reports.queries import create_tracker_indexes

logger = logging.getLogger(__name__)

# Attribute set on the trackers this store hands out: (events stored, id of the newest stored row).
POSITION = "_stored_position"
EVENTS = SQLTrackerStore.SQLEvent.__table__
# a conversation's newest row from the index alone (PostgreSQL's index on sender_id alone cannot);
# part of the table from now on, so Rasa creates it with a new table
NEWEST_ROW_INDEX = sa.Index("ix_events_sender_id_id", EVENTS.c.sender_id, EVENTS.c.id)


class CachingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, cache_size: int = 256, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            # keep connections, WAL (Rasa's SQLite engine opens a new connection per read or write)
            self.engine = db.engine(self.engine.url.render_as_string(hide_password=False))
            self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        self.cache_size = int(cache_size)
        self._kept: "OrderedDict[Text, Tuple[int, int, DialogueStateTracker]]" = OrderedDict()
        NEWEST_ROW_INDEX.create(self.engine, checkfirst=True)  # tables created before this store was used
        create_tracker_indexes(self.engine)  # what the commanders' reports read messages by (bot/reports)
        self._newest = (sa.select(sa.func.max(EVENTS.c.id)).where(EVENTS.c.sender_id == sa.bindparam("sender_id")))

    def _newest_id(self, session: Any, sender_id: Text) -> int:
        return session.execute(self._newest, {"sender_id": sender_id}).scalar() or 0

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        kept = self._kept.pop(sender_id, None)
        with self.session_scope() as session:
            newest = self._newest_id(session, sender_id)
        if kept is not None:
            row, length, tracker = kept
            if row == newest and len(tracker.events) == length:
                return tracker
        # read after the newest id: the tracker holds at least the rows up to it
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, POSITION, (len(tracker.events), newest))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        position = getattr(tracker, POSITION, None)
        with self.session_scope() as session:
            if position is None:  # not read through this store: count the stored rows, as Rasa does
                new: List[Event] = list(self._additional_events(session, tracker))
                newest = 0
            else:
                new = list(itertools.islice(tracker.events, position[0], None))
                newest = position[1]
            rows = [self._row(tracker.sender_id, event) for event in new]
            session.add_all(rows)
            session.flush()
            if rows:
                newest = rows[-1].id
            elif position is None:
                newest = self._newest_id(session, tracker.sender_id)
            session.commit()
        setattr(tracker, POSITION, (len(tracker.events), newest))
        self._kept.pop(tracker.sender_id, None)
        if not any(isinstance(event, SessionStarted) for event in new):
            self._kept[tracker.sender_id] = (newest, len(tracker.events), tracker)
            while len(self._kept) > self.cache_size:
                self._kept.popitem(last=False)
        logger.debug(f"Tracker with sender_id '{tracker.sender_id}' stored to database")

    def _row(self, sender_id: Text, event: Event) -> "SQLTrackerStore.SQLEvent":
        """The events table's row for an event, as Rasa's SQLTrackerStore writes it."""
        data: Dict[Text, Any] = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )
