"""What content staff do with a message the assistant did not serve (or a
group of them): give it to a procedure (a new example in the procedure's
file), to another agency (a new out-of-scope example in data/referrals.yml),
or skip it. The same for the console page (bot/console/review.py) and the
operators' command (``python -m bot.review``); every action is in the audit
log with who did it (subject ``unserved:<id>``, one entry per message)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

from sqlalchemy.engine import Engine

from bot.core.audit import AuditLog
from bot.review import content
from bot.review.content import Unknown
from bot.review.grouping import representative
from bot.review.store import UnservedStore


class ReviewQueue:
    def __init__(self, engine: Optional[Engine] = None, data_dir: Optional[Path] = None):
        self.store = UnservedStore(engine)
        self.audit = AuditLog(self.store.engine)
        self.data_dir = data_dir

    def open_rows(self, ids: Iterable[int], units: Optional[Iterable[str]] = None) -> List[Dict[str, Any]]:
        """The open rows of these ids (of these units, if given); Unknown if none."""
        allowed = None if units is None else set(units)
        rows = [r for r in (self.store.get(int(i)) for i in ids) if r and r["status"] == "open"
                and (allowed is None or r["unit"] in allowed)]
        if not rows:
            raise Unknown("Không tìm thấy câu hỏi này, hoặc câu hỏi đã được xử lý.")
        return rows

    def _close(self, rows, status: str, actor: str, resolution: Optional[str], action: str,
               detail: Dict[str, Any]) -> List[int]:
        closed = self.store.resolve([r["id"] for r in rows], status, actor, resolution)
        for row_id in closed:
            self.audit.log(actor, action, subject=f"unserved:{row_id}", detail={**detail, "ids": closed})
        return closed

    def assign(self, ids: Iterable[int], procedure: str, actor: str, units: Optional[Iterable[str]] = None,
               text: Optional[str] = None) -> Dict[str, Any]:
        """The messages belong to ``procedure``: one new example in its file
        (``text``, or the group's text), the messages closed."""
        rows = self.open_rows(ids, units)
        example = " ".join((text or representative(rows)).split())
        path = content.add_procedure_example(procedure, example, self.data_dir)
        closed = self._close(rows, "assigned", actor, procedure, "review_assigned",
                             {"procedure": procedure, "example": example})
        return {"closed": closed, "example": example, "file": self._shown(path)}

    def out_of_scope(self, ids: Iterable[int], agency: str, actor: str, units: Optional[Iterable[str]] = None,
                     text: Optional[str] = None) -> Dict[str, Any]:
        """The messages are another agency's matter: a new example of it in
        data/referrals.yml, the messages closed."""
        rows = self.open_rows(ids, units)
        example = " ".join((text or representative(rows)).split())
        path = content.add_referral_example(agency, example, self.data_dir)
        closed = self._close(rows, "out_of_scope", actor, agency, "review_out_of_scope",
                             {"agency": agency, "example": example})
        return {"closed": closed, "example": example, "file": self._shown(path)}

    def _shown(self, path: Path) -> str:
        """The file as content staff know it: data/procedures/..."""
        return f"data/{path.relative_to(content.content_dir(self.data_dir)).as_posix()}"

    def skip(self, ids: Iterable[int], actor: str, units: Optional[Iterable[str]] = None) -> Dict[str, Any]:
        """Nothing to learn from these messages: closed."""
        rows = self.open_rows(ids, units)
        return {"closed": self._close(rows, "skipped", actor, None, "review_skipped", {})}
