"""SimClient: a small synchronous helper over the simulator's HTTP control API."""

from __future__ import annotations

import time
from typing import Optional

import requests


class SimClient:
    def __init__(self, base_url: str, timeout: float = 10.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def _call(self, method: str, path: str, timeout: Optional[float] = None, **kwargs):
        response = self.session.request(method, self.base_url + path, timeout=timeout or self.timeout, **kwargs)
        response.raise_for_status()
        return response.json()

    def send(self, oa_id: str, user_id: str, event_name: str = "user_send_text", **fields) -> dict:
        """Play a user event through the webhook; the /_sim/send result
        (status, body, payload, msg_id, headers, elapsed_ms[, error])."""
        body = {"oa_id": oa_id, "user_id": user_id, "event_name": event_name, **fields}
        return self._call("POST", "/_sim/send", timeout=float(fields.get("webhook_timeout", 10)) + self.timeout, json=body)

    def messages(self, oa_id: Optional[str] = None, user_id: Optional[str] = None) -> list:
        """Accepted OA -> user messages, in order."""
        params = {k: v for k, v in (("oa_id", oa_id), ("user_id", user_id)) if v}
        return self._call("GET", "/_sim/messages", params=params)

    def conversation(self, oa_id: str, user_id: str) -> list:
        return self._call("GET", "/_sim/conversation", params={"oa_id": oa_id, "user_id": user_id})

    def wait_for_messages(self, user_id: str, count: int, timeout: float = 30.0, oa_id: Optional[str] = None) -> list:
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages(oa_id=oa_id, user_id=user_id)
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} message(s) for {user_id!r} within {timeout} s, got {found!r}")
            time.sleep(0.1)

    def add_fault(self, endpoint: str, kind: str, code: Optional[int] = None, times: int = 1, **extra) -> dict:
        """endpoint: message|upload|token|user_detail|article|broadcast; kind: error|http|timeout."""
        return self._call("POST", "/_sim/faults", json={"endpoint": endpoint, "kind": kind, "code": code,
                                                        "times": times, **extra})

    def clear_faults(self) -> dict:
        return self._call("DELETE", "/_sim/faults")

    def broadcasts(self, oa_id: Optional[str] = None) -> list:
        """The broadcasts sent, each with the followers it reached ("recipients")."""
        return self._call("GET", "/_sim/broadcasts", params={"oa_id": oa_id} if oa_id else {})

    def set_broadcast_limit(self, oa_id: str, limit: int) -> dict:
        """How many broadcasts the OA may send a month (then -211); the answer says how many it sent."""
        return self._call("POST", "/_sim/broadcast_limit", json={"oa_id": oa_id, "limit": limit})

    def expire_token(self, oa_id: str) -> dict:
        return self._call("POST", "/_sim/expire_token", json={"oa_id": oa_id})

    def state(self) -> dict:
        return self._call("GET", "/_sim/state")

    def requests_log(self) -> list:
        return self._call("GET", "/_sim/requests")

    def reset(self) -> dict:
        return self._call("POST", "/_sim/reset")

    def register_user(self, oa_id: str, user_id: str, display_name: str = "Công dân", follower: bool = True) -> dict:
        return self._call("POST", "/_sim/users", json={"oa_id": oa_id, "user_id": user_id,
                                                       "display_name": display_name, "follower": follower})
