"""Telling the reporter that officers changed a tip-off's status.

When an officer sets a new status in the console, the reporter gets one
short message: the tracking code and the new status label
(``status_update`` in data/tipoffs.yml), nothing of the report, the officer
or the unit. It is queued in the Zalo outbox (marked confidential: its body
is blanked once sent) in the transaction that changes the status, to the
Zalo user who sent the report and the OA they write to, if Zalo takes
consultation messages for them now (bot/zalo/window.py):

* within 48 hours of their last interaction (free): sent;
* from 48 hours to 7 days (billed): sent only if the operator pays for it
  (``TIPOFF_PUSH_BILLED=1``; default: held back);
* after 7 days, after they unfollowed the OA, or when the report came
  through another channel (REST): held back.

A held-back update waits in ``tipoff_status_held`` (the code and the latest
status, never who: the reporter is found through the sealed table,
bot/tipoffs/sealed.py) and is delivered the next time the reporter writes,
before the answer to what they wrote: on Zalo by channels/zalo.py, on the
REST channel in the answer (channels/rest.py); each once, the latest status
of each report only. Other conversations (the terminal's ``--shell``) get
nothing.

Every push, hold and later delivery is in the audit log (actor "system",
subject "tipoff:<code>", the status and why, never the reporter). The
console's history of a report leaves these entries out: their times would
tell officers when an anonymous reporter was writing to the OA.
"""

from __future__ import annotations

import os
import time
from typing import Dict, List, Mapping, Optional, Tuple

from sqlalchemy import Column, Float, String, Table, and_, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from bot.core import db
from bot.core.audit import AuditLog
from bot.core.content import read_texts
from bot.core.conversations import channel_of
from bot.tipoffs import sealed
from bot.tipoffs.store import subject
from bot.zalo import window
from bot.zalo.messages import text_items
from bot.zalo.store import ZaloStore

PAY_ENV = "TIPOFF_PUSH_BILLED"
PUSHED, HELD, DELIVERED = "tipoff_status_pushed", "tipoff_status_held", "tipoff_status_delivered"
ACTIONS = (PUSHED, HELD, DELIVERED)

held = Table(
    "tipoff_status_held", db.metadata,
    Column("code", String(16), primary_key=True),
    Column("status", String(16), nullable=False),  # the latest one not yet told
    Column("held_at", Float, nullable=False),
)


def pays_billed_band(env: Mapping[str, str] = os.environ) -> bool:
    """The operator's choice: send status updates in Zalo's billed band (48 h to 7 days)."""
    return str(env.get(PAY_ENV) or "").strip().lower() in ("1", "true", "yes", "on")


def update_text(updates: List[Tuple[str, str]]) -> str:
    """What the reporter reads: one line per (code, status)."""
    texts = read_texts("tipoffs.yml")
    return "\n".join(texts["status_update"].format(code=code, status=texts["statuses"][status])
                     for code, status in updates)


class StatusPush:
    def __init__(self, engine: Optional[Engine] = None, pay_billed: Optional[bool] = None):
        self.engine = engine or db.engine()
        self.zalo = ZaloStore(self.engine)
        self.audit = AuditLog(self.engine)
        db.create_tables(self.engine, held, sealed.reporters)
        self.pay_billed = pays_billed_band() if pay_billed is None else pay_billed

    # ---- when the status changes
    def within(self, connection: Connection, code: str, status: str) -> Tuple[str, Dict[str, str]]:
        """In the transaction that sets ``status`` (TipoffStore.set_status):
        queue the update to the reporter, or hold it back; the audit entry
        (action, detail) to log once the transaction is committed."""
        reporter = sealed.reporter_of(connection, code)
        if not reporter:  # a report from before the seal, without a reporter: nobody to tell
            return HELD, {"status": status, "reason": "no_reporter"}
        reason = "not_on_zalo"
        user = self.zalo.user(reporter, connection) if channel_of(reporter) == "zalo" else None
        if user is not None and user["follower"] is False:
            reason = "unfollowed"
        elif user is not None:
            band = window.band(user["last_interaction_at"])
            if band == window.FREE or (band == window.BILLED and self.pay_billed):
                self.zalo.enqueue(user["oa_id"], reporter, text_items(update_text([(code, status)])),
                                  connection=connection, confidential=True)
                connection.execute(delete(held).where(held.c.code == code))
                return PUSHED, {"status": status, "band": band}
            reason = "billed_band" if band == window.BILLED else "window_closed"
        now = time.time()
        if not connection.execute(update(held).where(held.c.code == code).values(status=status, held_at=now)).rowcount:
            connection.execute(insert(held).values(code=code, status=status, held_at=now))
        return HELD, {"status": status, "reason": reason}

    # ---- when the reporter writes
    def _take(self, connection: Connection, reporter: str) -> List[Tuple[str, str]]:
        """The held updates of ``reporter``'s reports, removed (each taken once, even by replicas at once)."""
        rows = connection.execute(select(held).where(held.c.code.in_(sealed.codes_of(reporter)))
                                  .order_by(held.c.held_at)).all()
        return [(r.code, r.status) for r in rows if connection.execute(delete(held).where(and_(
            held.c.code == r.code, held.c.status == r.status, held.c.held_at == r.held_at))).rowcount]

    def _delivered(self, updates: List[Tuple[str, str]], channel: str) -> None:
        for code, status in updates:
            self.audit.log("system", DELIVERED, subject=subject(code), detail={"status": status, "channel": channel})

    def deliver_on_zalo(self, oa_id: str, user_id: str) -> int:
        """The Zalo user wrote: queue their held updates now (before the answer); how many."""
        with self.engine.begin() as c:
            updates = self._take(c, user_id)
            if updates:
                self.zalo.enqueue(oa_id, user_id, text_items(update_text(updates)), connection=c, confidential=True)
        self._delivered(updates, "zalo")
        return len(updates)

    def deliver_in_answer(self, conversation_id: str) -> List[str]:
        """A REST client wrote: the texts of their held updates, for the answer."""
        with self.engine.begin() as c:
            updates = self._take(c, conversation_id)
        self._delivered(updates, "rest")
        return [update_text(updates)] if updates else []
