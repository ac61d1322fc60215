"""Tip-offs in the project database.

A report's row names its reporter (the Zalo user, ``reporter_id``) only
when they did not ask for anonymity; it is '' otherwise. Who sent each
report is sealed apart (bot/tipoffs/sealed.py): the reporter's own look-up
by code reads it, and a commander's audited break-glass (``unseal``).
Nothing here logs; the audit log records codes, units and officers, never
the reporter.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from sqlalchemy import Boolean, Column, Float, Integer, String, Table, Text, and_, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from bot.core import db
from bot.core.audit import AuditLog
from bot.core.cipher import cipher
from bot.tipoffs import sealed

STATUSES = ("received", "verifying", "transferred", "resolved")
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out over the phone
CODE_PATTERN = re.compile(r"\bTG\s*-?\s*([%s]{6})\b" % CODE_ALPHABET, re.IGNORECASE)

tipoffs = Table(
    "tipoffs", db.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(16), unique=True, nullable=False),
    Column("reporter_id", String(128), nullable=False, index=True),  # named reports only; '' when anonymous
    Column("anonymous", Boolean, nullable=False),
    Column("contact", Text),  # name and phone, only when not anonymous
    Column("what", Text, nullable=False),
    Column("place", Text),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("occurred", Text),
    Column("attachments", Text),  # JSON list of {type, url, name}
    Column("unit", String(64), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)


def find_code(text: str) -> Optional[str]:
    """The tracking code in a message ("tra cứu tg-7k3m9q" -> "TG-7K3M9Q")."""
    match = CODE_PATTERN.search(text or "")
    return f"TG-{match.group(1).upper()}" if match else None


def subject(code: str) -> str:
    return f"tipoff:{code}"


class TipoffStore:
    def __init__(self, engine: Optional[Engine] = None):
        self.engine = engine or db.engine()
        db.metadata.create_all(self.engine, tables=[tipoffs, sealed.reporters])
        self.audit = AuditLog(self.engine)
        if self.engine.url not in _sealed_engines:
            seal_older_reports(self.engine)
            _sealed_engines.add(self.engine.url)

    def create(self, reporter_id: str, unit: str, what: str, place: str = "", occurred: str = "",
               anonymous: bool = True, contact: Optional[str] = None, latitude: Optional[float] = None,
               longitude: Optional[float] = None, attachments: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
        now = time.time()
        secret = cipher().encrypt  # the contents, encrypted at rest (bot/core/cipher.py)
        values = dict(
            reporter_id="" if anonymous else reporter_id, anonymous=anonymous,
            contact=secret(None if anonymous else contact), what=secret(what), place=secret(place),
            latitude=latitude, longitude=longitude, occurred=secret(occurred),
            attachments=secret(json.dumps(attachments or [], ensure_ascii=False)), unit=unit, status="received",
            created_at=now, updated_at=now,
        )
        for _ in range(10):
            code = "TG-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
            try:
                with self.engine.begin() as c:
                    c.execute(insert(tipoffs).values(code=code, **values))
                    sealed.seal(c, code, reporter_id)
                break
            except IntegrityError:  # the code is taken: draw another
                continue
        else:
            raise RuntimeError("could not draw a free tip-off code")
        self.audit.log("citizen", "tipoff_received", subject=subject(code),
                       detail={"unit": unit, "anonymous": anonymous, "attachments": len(attachments or [])})
        return self.get(code)

    def get(self, code: str) -> Optional[Dict[str, Any]]:
        with self.engine.connect() as c:
            row = c.execute(select(tipoffs).where(tipoffs.c.code == code)).first()
        return as_report(row)

    def for_reporter(self, reporter_id: str, code: Optional[str] = None) -> List[Dict[str, Any]]:
        """The reporter's own tip-offs (newest first), or the one with ``code`` if it is theirs."""
        query = select(tipoffs).where(tipoffs.c.code.in_(sealed.codes_of(reporter_id)))
        if code:
            query = query.where(tipoffs.c.code == code)
        with self.engine.connect() as c:
            return [as_report(r) for r in c.execute(query.order_by(tipoffs.c.created_at.desc()))]

    def for_units(self, units: Iterable[str]) -> List[Dict[str, Any]]:
        """Tip-offs routed to these units: open ones first, newest first."""
        with self.engine.connect() as c:
            rows = c.execute(select(tipoffs).where(tipoffs.c.unit.in_(list(units)))
                             .order_by((tipoffs.c.status == "resolved"), tipoffs.c.created_at.desc()))
            return [as_report(r) for r in rows]

    def set_status(self, code: str, status: str, officer: str,
                   then: Optional[Callable[[Connection, str, str], Tuple[str, Dict[str, Any]]]] = None) -> bool:
        """Set a new status; False if it was already that. ``then(connection,
        code, status)`` runs in the same transaction when it changed (telling
        the reporter: bot/tipoffs/push.py) and returns an audit entry
        (action, detail) of the system's, logged with the officer's."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status}")
        followed = None
        with self.engine.begin() as c:
            done = c.execute(update(tipoffs).where(and_(tipoffs.c.code == code, tipoffs.c.status != status))
                             .values(status=status, updated_at=time.time()))
            if done.rowcount and then is not None:
                followed = then(c, code, status)
        if done.rowcount:
            self.audit.log(officer, "tipoff_status", subject=subject(code), detail={"status": status})
        if followed:
            self.audit.log("system", followed[0], subject=subject(code), detail=followed[1])
        return bool(done.rowcount)

    def escalate(self, code: str, from_unit: str, to_unit: str, officer: str, note: str = "") -> bool:
        """Send the report up to ``to_unit``; False if it was no longer at ``from_unit``."""
        with self.engine.begin() as c:
            done = c.execute(update(tipoffs).where(and_(tipoffs.c.code == code, tipoffs.c.unit == from_unit))
                             .values(unit=to_unit, updated_at=time.time()))
        if done.rowcount:
            self.audit.log(officer, "tipoff_escalated", subject=subject(code),
                           detail={"from_unit": from_unit, "to_unit": to_unit, "note": note})
        return bool(done.rowcount)

    def viewed(self, code: str, officer: str) -> None:
        self.audit.log(officer, "tipoff_viewed", subject=subject(code))

    def history(self, code: str) -> List[Dict[str, Any]]:
        return self.audit.entries(subject=subject(code))

    def unseal(self, code: str, officer: str, reason: str) -> Optional[str]:
        """Break-glass: the Zalo user who sent report ``code``, once the audit
        log holds who asked and why (the caller checks that they may)."""
        self.audit.log(officer, "tipoff_unsealed", subject=subject(code), detail={"reason": reason})
        with self.engine.connect() as c:
            return sealed.reporter_of(c, code)


_sealed_engines: set = set()  # the databases seal_older_reports ran on, in this process


def seal_older_reports(engine: Engine) -> None:
    """Databases from before the seal: every reporter into the sealed table,
    and out of the rows of anonymous reports."""
    try:
        with engine.begin() as c:
            c.execute(insert(sealed.reporters).from_select(
                ["code", "reporter_id", "sealed_at"],
                select(tipoffs.c.code, tipoffs.c.reporter_id, tipoffs.c.created_at).where(and_(
                    tipoffs.c.reporter_id != "", tipoffs.c.code.not_in(select(sealed.reporters.c.code))))))
            c.execute(update(tipoffs).where(and_(tipoffs.c.anonymous.is_(True), tipoffs.c.reporter_id != ""))
                      .values(reporter_id=""))
    except IntegrityError:  # another process sealed them at the same moment
        pass


ENCRYPTED = ("contact", "what", "place", "occurred", "attachments")


def as_report(row) -> Optional[Dict[str, Any]]:
    """A tip-off row as the code uses it: contents decrypted, attachments a list."""
    if row is None:
        return None
    result, fields = dict(row._mapping), cipher()
    for field in ENCRYPTED:
        result[field] = fields.decrypt(result[field])
    try:
        result["attachments"] = json.loads(result["attachments"] or "[]")
    except ValueError:  # not readable with this key
        result["attachments"] = []
    return result
