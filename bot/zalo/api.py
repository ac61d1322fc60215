"""Client for the Zalo OA Open API (send, upload, token refresh, user detail,
and for announcements: Article create and verify, broadcast;
docs/zalo_article_broadcast.md).

Application errors come back as HTTP 200 with ``error != 0``: they raise
ZaloError with a ``kind`` saying what the caller should do. Network
failures, timeouts, HTTP 5xx and bodies that are not JSON raise
TransportError (retry later).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, Optional, Tuple

import aiohttp

TOKEN_CODES = {-216, -220}  # access token invalid or expired: refresh once, retry once
RETRY_CODES = {-32, -100}  # rate limit, unknown error: back off and retry
WINDOW_CODES = {-213, -217, -227, -230, -232, -234, -244}  # user cannot be reached now: do not retry


class ZaloError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(f"Zalo error {code}: {message}")
        self.code = code
        self.message = message

    @property
    def kind(self) -> str:
        if self.code in TOKEN_CODES:
            return "token"
        if self.code in RETRY_CODES:
            return "retry"
        if self.code in WINDOW_CODES:
            return "window"
        return "permanent"


class TransportError(Exception):
    """The request did not get a usable answer (network, timeout, 5xx, not JSON)."""


class ZaloApi:
    def __init__(self, api_base: str, oauth_base: str, timeout: float = 10.0):
        self.api_base = api_base.rstrip("/")
        self.oauth_base = oauth_base.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: Optional[aiohttp.ClientSession] = None

    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # an idle connection is dropped after 4 s: servers close theirs after 5 s or more (Sanic's
            # default), and a request sent on a connection the server is closing fails for nothing
            self._session = aiohttp.ClientSession(timeout=self.timeout,
                                                  connector=aiohttp.TCPConnector(keepalive_timeout=4.0))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(self, method: str, url: str, **kwargs: Any) -> Dict[str, Any]:
        try:
            async with self.session().request(method, url, **kwargs) as response:
                text = await response.text()
                if response.status >= 500:
                    raise TransportError(f"HTTP {response.status} from {url}")
                try:
                    body = json.loads(text)
                except ValueError:
                    raise TransportError(f"HTTP {response.status} from {url}: not JSON") from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise TransportError(f"{type(error).__name__} calling {url}") from error
        if not isinstance(body, dict):
            raise TransportError(f"unexpected answer from {url}")
        code = body.get("error", 0)
        if code not in (0, "0", None):
            raise ZaloError(int(code), str(body.get("message") or body.get("error_description") or ""))
        return body

    async def send(self, access_token: str, user_id: str, message: Dict[str, Any]) -> Dict[str, Any]:
        body = await self._call(
            "POST", f"{self.api_base}/v3.0/oa/message/cs",
            headers={"access_token": access_token, "Content-Type": "application/json"},
            data=json.dumps({"recipient": {"user_id": user_id}, "message": message}, ensure_ascii=False).encode(),
        )
        return body.get("data") or {}

    async def upload_file(self, access_token: str, filename: str, content: bytes, content_type: str) -> str:
        form = aiohttp.FormData()
        form.add_field("file", content, filename=filename, content_type=content_type)
        body = await self._call(
            "POST", f"{self.api_base}/v2.0/oa/upload/file", headers={"access_token": access_token}, data=form
        )
        data = body.get("data") or {}
        token = data.get("token") or data.get("attachment_id")  # GO fixtures name it attachment_id
        if not token:
            raise ZaloError(-201, "upload answered without a token")
        return token

    async def refresh(self, app_id: str, app_secret: str, refresh_token: str) -> Tuple[str, str]:
        body = await self._call(
            "POST", f"{self.oauth_base}/v4/oa/access_token",
            headers={"secret_key": app_secret, "Content-Type": "application/x-www-form-urlencoded"},
            data={"refresh_token": refresh_token, "app_id": app_id, "grant_type": "refresh_token"},
        )
        if not body.get("access_token") or not body.get("refresh_token"):
            raise ZaloError(-14014, "token refresh answered without tokens")
        return body["access_token"], body["refresh_token"]

    async def user_detail(self, access_token: str, user_id: str) -> Dict[str, Any]:
        body = await self._call(
            "GET", f"{self.api_base}/v3.0/oa/user/detail",
            headers={"access_token": access_token},
            params={"data": json.dumps({"user_id": user_id})},
        )
        return body.get("data") or {}

    async def _post_json(self, access_token: str, path: str, payload: Dict[str, Any]) -> Dict[str, Any]:
        body = await self._call(
            "POST", f"{self.api_base}{path}",
            headers={"access_token": access_token, "Content-Type": "application/json"},
            data=json.dumps(payload, ensure_ascii=False).encode(),
        )
        return body.get("data") or {}

    async def create_article(self, access_token: str, article: Dict[str, Any]) -> str:
        """Create an Article; the token to verify it with (Zalo makes it asynchronously)."""
        data = await self._post_json(access_token, "/v2.0/article/create", article)
        if not data.get("token"):
            raise ZaloError(-201, "article/create answered without a token")
        return str(data["token"])

    async def verify_article(self, access_token: str, token: str) -> Optional[str]:
        """The Article's id once Zalo has made it; None while it is still being made."""
        data = await self._post_json(access_token, "/v2.0/article/verify", {"token": token})
        return str(data["id"]) if data.get("id") else None

    async def broadcast_article(self, access_token: str, article_id: str,
                                target: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Broadcast an Article to the OA's followers (``target``: Zalo's filters; none: all)."""
        return await self._post_json(access_token, "/v2.0/oa/message", {
            "recipient": {"target": target or {}},
            "message": {"attachment": {"type": "template", "payload": {
                "template_type": "media", "elements": [{"media_type": "article", "attachment_id": article_id}]}}},
        })
