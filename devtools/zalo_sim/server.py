"""The simulator's Sanic app: Zalo's Open API, a webhook sender and a control API.

Open API (as on openapi.zalo.me / oauth.zaloapp.com, served at the root):
    POST /v3.0/oa/message/cs      POST /v2.0/oa/upload/file   POST /v2.0/oa/upload/image
    GET  /v3.0/oa/user/detail     POST /v4/oa/access_token
    POST /v2.0/article/create     POST|GET /v2.0/article/verify
    POST /v2.0/oa/message (broadcast of an Article to the OA's followers, with a monthly quota per OA)
Control API (simulator only): /_sim/send, /_sim/faults (optionally for one user_id), /_sim/expire_token,
/_sim/messages, /_sim/requests, /_sim/reset, /_sim/state, /_sim/users,
/_sim/conversation, /_sim/files/<token>, /_sim/media/<name>, /_sim/broadcasts
(who received each broadcast), /_sim/broadcast_limit (an OA's monthly
broadcasts); GET / is the citizen chat page. Protocol: docs/zalo_protocol.md,
docs/zalo_article_broadcast.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import mimetypes
import os
import secrets
import time
from collections import deque
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, quote

import aiohttp
from sanic import Sanic, response
from sanic.exceptions import MethodNotSupported, NotFound
from sanic.request import Request

MAX_TEXT = 2000
MAX_BUTTONS = 5
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_IMAGE_BYTES = 1024 * 1024
FILE_EXTENSIONS = (".pdf", ".doc", ".docx")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
BUTTON_TYPES = {"oa.open.url", "oa.query.show", "oa.query.hide", "oa.open.phone", "oa.open.sms"}
INTERACTION_WINDOW_MS = 7 * 24 * 3600 * 1000
FAULT_ENDPOINTS = {"message", "upload", "token", "user_detail", "article", "broadcast"}
BROADCASTS_PER_MONTH = 4  # a verified OA on the "Nâng cao" package (docs/zalo_article_broadcast.md)
MAX_ARTICLE_TITLE, MAX_ARTICLE_AUTHOR, MAX_ARTICLE_DESCRIPTION = 150, 50, 300
ARTICLE_PARAGRAPHS = {"text", "image", "video", "product"}
# display names of users nobody registered (POST /_sim/users names them): a name, never their id
DEFAULT_NAMES = ("Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Hoàng Văn Đức", "Võ Thị Hoa")
FAULT_KINDS = {"error", "http", "timeout"}
USER_EVENTS = {
    "user_send_text", "user_send_image", "user_send_gif", "user_send_file", "user_send_sticker",
    "user_send_location", "user_send_link", "user_send_audio", "user_send_video",
}
OTHER_EVENTS = {"follow", "unfollow", "oa_send_text"}

# Fact sheet §5 (messages as Zalo words them where known, else its meaning).
ERROR_MESSAGES = {
    -32: "Your application/OA reached limit call api",
    -100: "Unknown error",
    -201: "Parameter is invalid",
    -210: "Parameter exceeds allowable limit",
    -211: "Out of quota",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -217: "User has blocked invitations from the OA",
    -218: "Recipient is out of quota to receive",
    -220: "access_token is expired or removed",
    -227: "User is banned or has been inactive for more than 45 days",
    -230: "User has not interacted with the OA in the past 7 days",
    -232: "User has not interacted with the OA or the last interaction has expired",
    -233: "Message type is invalid or not supported",
    -234: "Message cannot be sent at night (22:00-06:00)",
    -240: "MessageV2 API has been shut down, please switch to MessageV3",
    -242: "appsecret_proof is invalid",
    -244: "User has restricted this message type",
    -305: "Cannot respond to user after 48 hours",
    -311: "Out of reply quota",
    -14002: "App is not active",
    -14003: "Invalid redirect uri",
    -14014: "Invalid refresh token",
}

# Tiny placeholder bodies for the media URLs of simulated inbound events.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201a5f6a1a30000000049454e44ae426082"
)
_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PLACEHOLDERS = {
    "png": (_PNG, "image/png"), "jpg": (_PNG, "image/png"), "gif": (_PNG, "image/png"),
    "pdf": (_PDF, "application/pdf"), "amr": (b"#!AMR\n", "audio/amr"),
    "mp4": (b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
}


@dataclass
class SimAccount:
    oa_id: str
    oa_secret_key: str
    access_token: str
    refresh_token: str
    name: str = "OA"
    broadcast_limit: int = BROADCASTS_PER_MONTH  # broadcasts a month; then -211


@dataclass
class SimConfig:
    app_id: str
    app_secret: str
    accounts: list[SimAccount]
    webhook_url: Optional[str] = None
    public_url: str = "http://localhost:5090"
    # Zalo remembers who wrote to an OA; with a file, so does the simulator across restarts
    users_file: Optional[str] = None


def _json(body: Any, status: int = 200):
    """A JSON response as a Java/Go server writes it: UTF-8, compact, '/' unescaped."""
    return response.json(body, status=status, dumps=partial(json.dumps, ensure_ascii=False, separators=(",", ":")))


def now_ms() -> int:
    return int(time.time() * 1000)


def zalo_error(code: int, message: Optional[str] = None) -> dict:
    return {"error": code, "message": message or ERROR_MESSAGES.get(code, "Unknown error")}


def oauth_error(code: int, name: Optional[str] = None, description: Optional[str] = None) -> dict:
    name = name or ERROR_MESSAGES.get(code, "Unknown error")
    return {"error": code, "error_name": name, "error_description": description or name}


def signature(app_id: str, raw_body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """§3: plain SHA-256 (not HMAC) of app_id + raw body + timestamp + OA secret key."""
    return hashlib.sha256(app_id.encode() + raw_body + timestamp.encode() + oa_secret_key.encode()).hexdigest()


def user_id_by_app(app_id: str, user_id: str) -> str:
    """A stable numeric string, scoped per app (§9)."""
    return str(int(hashlib.sha256(f"{app_id}:{user_id}".encode()).hexdigest()[:15], 16))


class SimState:
    """Everything the simulator knows; one per app (app.ctx.state)."""

    def __init__(self, config: SimConfig):
        self.config = config
        self.accounts = {a.oa_id: a for a in config.accounts}
        self.access_tokens = {a.oa_id: a.access_token for a in config.accounts}
        self.valid_access = {a.access_token: a.oa_id for a in config.accounts}
        self.refresh_tokens = {a.oa_id: a.refresh_token for a in config.accounts}
        self.refresh_owner = {a.refresh_token: a.oa_id for a in config.accounts}  # every token ever issued
        self.users: dict[str, dict[str, dict]] = {a.oa_id: {} for a in config.accounts}
        if config.users_file and os.path.exists(config.users_file):
            with open(config.users_file, encoding="utf-8") as saved:
                for oa_id, users in json.load(saved).items():
                    if oa_id in self.users:
                        self.users[oa_id].update(users)
        self.uploads: dict[str, dict] = {}
        self.articles: dict[str, dict] = {}  # by id; article_tokens: create's token -> id
        self.article_tokens: dict[str, str] = {}
        self.reset()

    def reset(self) -> None:
        self.messages: list[dict] = []
        self.requests: list[dict] = []
        self.conversation: list[dict] = []
        self.faults: dict[str, deque] = {name: deque() for name in FAULT_ENDPOINTS}
        self.refresh_calls = {oa_id: 0 for oa_id in self.accounts}
        self.broadcasts: list[dict] = []  # each with the followers it reached
        self.broadcast_limits = {a.oa_id: a.broadcast_limit for a in self.config.accounts}

    def snapshot(self) -> dict:
        return {
            "refresh_calls": dict(self.refresh_calls),
            "access_tokens": dict(self.access_tokens),
            "refresh_tokens": dict(self.refresh_tokens),
            "users": {oa: dict(users) for oa, users in self.users.items()},
            "faults": {name: list(queue) for name, queue in self.faults.items()},
            "broadcast_limits": dict(self.broadcast_limits),
        }

    def broadcasts_this_month(self, oa_id: str) -> int:
        month = time.strftime("%Y-%m", time.gmtime(time.time() + 7 * 3600))  # Vietnam time
        return sum(1 for b in self.broadcasts if b["oa_id"] == oa_id and b["month"] == month)

    def touch_user(self, oa_id: str, user_id: str, *, interacted: bool = True,
                   follower: Optional[bool] = None, display_name: Optional[str] = None) -> dict:
        user = self.users[oa_id].setdefault(
            user_id, {"display_name": DEFAULT_NAMES[hashlib.sha256(user_id.encode()).digest()[0] % len(DEFAULT_NAMES)],
                      "follower": True, "last_interaction": None}
        )
        if interacted:
            user["last_interaction"] = now_ms()
        if follower is not None:
            user["follower"] = follower
        if display_name:
            user["display_name"] = display_name
        if self.config.users_file:
            with open(self.config.users_file, "w", encoding="utf-8") as saved:
                json.dump(self.users, saved, ensure_ascii=False)
        return user

    def has_interacted(self, oa_id: str, user_id: str) -> bool:
        last = self.users[oa_id].get(user_id, {}).get("last_interaction")
        return last is not None and now_ms() - last <= INTERACTION_WINDOW_MS

    def log(self, entry: dict) -> None:
        entry["seq"] = len(self.conversation)
        self.conversation.append(entry)


# --------------------------------------------------------------------------- #
# Open API
# --------------------------------------------------------------------------- #

def _request_record(request: Request) -> dict:
    headers = {k: request.headers[k] for k in ("access_token", "secret_key", "content-type") if k in request.headers}
    record = {"method": request.method, "path": request.path, "query": request.query_string,
              "headers": headers, "time": now_ms(), "status": 200, "error": None, "fault": None}
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        record["form"] = {k: v for k, v in request.form.items()}
        record["files"] = {k: [{"name": f.name, "type": f.type, "size": len(f.body)} for f in files]
                           for k, files in request.files.items()}
    elif content_type.startswith("application/x-www-form-urlencoded"):
        record["form"] = {k: v[0] if len(v) == 1 else v for k, v in request.form.items()}
    else:
        record["body"] = request.body.decode("utf-8", "replace")[:20000]
        try:
            record["json"] = json.loads(request.body) if request.body else None
        except ValueError:
            pass
    return record


async def _fault_response(fault: dict, endpoint: str):
    code = fault.get("code")
    if fault["kind"] == "http":
        status = code or 500
        return response.text(f"<html><body><h1>{status} Error</h1></body></html>", status=status,
                             content_type="text/html"), status, None
    if fault["kind"] == "timeout":
        await asyncio.sleep(float(fault.get("delay", 30)))
        code = code or -100
    payload = oauth_error(code) if endpoint == "token" else zalo_error(code)
    return _json(payload), 200, code


def _take_fault(queue, record: dict) -> Optional[dict]:
    """The first queued fault for this request (a fault may be for one recipient only: the
    message's recipient, or the user a GET's ``data`` names, as user/detail's)."""
    recipient = ((record.get("json") or {}).get("recipient") or {}).get("user_id") \
        if isinstance(record.get("json"), dict) else None
    if recipient is None and record["method"] == "GET":
        try:
            recipient = json.loads(parse_qs(record["query"]).get("data", [""])[0]).get("user_id")
        except (ValueError, AttributeError):
            recipient = None
    for fault in queue:
        if not fault.get("user_id") or fault["user_id"] == recipient:
            queue.remove(fault)
            return fault
    return None


def open_api(endpoint: str, needs_token: bool = True) -> Callable:
    """Log the request, serve a queued fault or run `handler(state, request, oa_id) -> dict`."""

    def decorator(handler: Callable) -> Callable:
        async def wrapped(request: Request):
            state: SimState = request.app.ctx.state
            record = _request_record(request)
            state.requests.append(record)
            if endpoint == "token":
                owner = state.refresh_owner.get(request.form.get("refresh_token") or "")
                if owner:
                    state.refresh_calls[owner] += 1
            fault = _take_fault(state.faults[endpoint], record)
            if fault is not None:
                record["fault"] = fault["kind"]
                resp, record["status"], record["error"] = await _fault_response(fault, endpoint)
                return resp
            oa_id = state.valid_access.get(request.headers.get("access_token", ""))
            if needs_token and oa_id is None:
                payload = zalo_error(-216)
            else:
                payload = handler(state, request, oa_id)
            record["error"] = payload.get("error")
            return _json(payload)

        wrapped.__name__ = handler.__name__
        return wrapped

    return decorator


def _check_buttons(buttons: Any) -> Optional[dict]:
    if not isinstance(buttons, list) or not buttons or len(buttons) > MAX_BUTTONS:
        return zalo_error(-201, "buttons is invalid")
    for button in buttons:
        if not isinstance(button, dict) or button.get("type") not in BUTTON_TYPES:
            return zalo_error(-201, "button type is invalid")
        if not isinstance(button.get("title"), str) or not button["title"].strip():
            return zalo_error(-201, "button title is invalid")
        payload, kind = button.get("payload"), button["type"]
        if kind in ("oa.query.show", "oa.query.hide"):
            valid = isinstance(payload, str) and payload != ""
        elif kind == "oa.open.url":
            valid = (isinstance(payload, dict) and isinstance(payload.get("url"), str)
                     and payload["url"].startswith(("https://", "http://")) and len(payload["url"]) > 8)
        else:
            valid = isinstance(payload, dict) and isinstance(payload.get("phone_code"), str) and payload["phone_code"] != ""
        if not valid:
            return zalo_error(-201, "button payload is invalid")
    return None


def _check_elements(state: SimState, oa_id: str, template_type: str, elements: Any) -> Optional[dict]:
    if not isinstance(elements, list) or len(elements) != 1 or not isinstance(elements[0], dict):
        return zalo_error(-201, "elements is invalid")
    element = elements[0]
    if template_type == "request_user_info":
        return None if isinstance(element.get("title"), str) else zalo_error(-201, "title is invalid")
    media_type = element.get("media_type")
    if media_type not in ("image", "gif", "sticker"):
        return zalo_error(-201, "media_type is invalid")
    attachment_id = element.get("attachment_id")
    if media_type == "sticker":
        return None if isinstance(attachment_id, str) and attachment_id else zalo_error(-201, "attachment_id is invalid")
    if attachment_id is None and media_type == "image" and isinstance(element.get("url"), str):
        return None
    upload = state.uploads.get(attachment_id or "")
    if not upload or upload["kind"] != "image" or upload["oa_id"] != oa_id:
        return zalo_error(-201, "attachment_id is invalid")
    return None


def _check_attachment(state: SimState, oa_id: str, attachment: Any) -> Optional[dict]:
    if not isinstance(attachment, dict) or not isinstance(attachment.get("payload"), dict):
        return zalo_error(-201, "attachment is invalid")
    payload = attachment["payload"]
    if attachment.get("type") == "file":
        upload = state.uploads.get(payload.get("token") or "")
        if not upload or upload["kind"] != "file" or upload["oa_id"] != oa_id:
            return zalo_error(-201, "token is invalid")
        return None
    if attachment.get("type") != "template":
        return zalo_error(-201, "attachment type is invalid")
    template_type = payload.get("template_type")
    if template_type in ("media", "request_user_info"):
        error = _check_elements(state, oa_id, template_type, payload.get("elements"))
        if error:
            return error
    elif template_type is not None:
        return zalo_error(-201, "template_type is invalid")
    if "buttons" in payload or template_type is None:
        return _check_buttons(payload.get("buttons"))
    return None


def _check_message(state: SimState, oa_id: str, body: Any) -> Optional[dict]:
    if not isinstance(body, dict):
        return zalo_error(-201, "body is invalid")
    recipient = body.get("recipient")
    user_id = recipient.get("user_id") if isinstance(recipient, dict) else None
    if not isinstance(user_id, str) or not user_id:
        return zalo_error(-201, "user_id is invalid")
    message = body.get("message")
    if not isinstance(message, dict) or (message.get("text") is None and message.get("attachment") is None):
        return zalo_error(-201, "message is invalid")
    text = message.get("text")
    if text is not None:
        if not isinstance(text, str) or (text == "" and message.get("attachment") is None):
            return zalo_error(-201, "text is invalid")
        if len(text) > MAX_TEXT:
            return zalo_error(-210)
    if message.get("attachment") is not None:
        error = _check_attachment(state, oa_id, message["attachment"])
        if error:
            return error
    if not state.has_interacted(oa_id, user_id):
        return zalo_error(-230)
    return None


def _conversation_attachment(state: SimState, attachment: Optional[dict]) -> Optional[dict]:
    """A display-friendly view of an OA message's attachment (for the page)."""
    if not attachment:
        return None
    payload = attachment["payload"]
    if attachment["type"] == "file":
        token = payload["token"]
        return {"type": "file", "token": token, "name": state.uploads[token]["filename"], "url": f"/_sim/files/{token}"}
    template_type = payload.get("template_type")
    if template_type == "request_user_info":
        element = payload["elements"][0]
        return {"type": "request_user_info", "title": element.get("title"), "subtitle": element.get("subtitle")}
    if template_type == "media":
        element = payload["elements"][0]
        if element["media_type"] == "sticker":
            return {"type": "sticker", "attachment_id": element["attachment_id"]}
        url = element.get("url") or f"/_sim/files/{element['attachment_id']}"
        return {"type": element["media_type"], "url": url, "attachment_id": element.get("attachment_id")}
    return None


@open_api("message")
def send_message(state: SimState, request: Request, oa_id: str) -> dict:
    if not request.headers.get("content-type", "").startswith("application/json"):
        return zalo_error(-201, "Content-Type is invalid, use application/json")
    try:
        body = json.loads(request.body)
    except ValueError:
        return zalo_error(-201, "body is invalid")
    error = _check_message(state, oa_id, body)
    if error:
        return error
    user_id, message = body["recipient"]["user_id"], body["message"]
    message_id, sent = secrets.token_hex(10), now_ms()
    state.messages.append({"message_id": message_id, "oa_id": oa_id, "user_id": user_id, "body": body, "time": sent})
    attachment = message.get("attachment")
    state.log({
        "from": "oa", "oa_id": oa_id, "user_id": user_id, "time": sent, "message_id": message_id,
        "text": message.get("text"),
        "buttons": (attachment or {}).get("payload", {}).get("buttons") or [],
        "attachment": _conversation_attachment(state, attachment),
    })
    return {
        "data": {"message_id": message_id, "user_id": user_id, "sent_time": str(sent),
                 "quota": {"quota_type": "reply", "remain": "8", "total": "8"}},
        "error": 0, "message": "Success",
    }


def _upload(state: SimState, request: Request, oa_id: str, kind: str) -> dict:
    extensions, limit = (FILE_EXTENSIONS, MAX_FILE_BYTES) if kind == "file" else (IMAGE_EXTENSIONS, MAX_IMAGE_BYTES)
    invalid = "file is invalid" if kind == "file" else "file is invalid. We only support png and jpeg"
    upload = request.files.get("file") if request.files else None
    if upload is None or not (upload.name or "").lower().endswith(extensions):
        return zalo_error(-201, invalid)
    if len(upload.body) > limit:
        return zalo_error(-210)
    token = secrets.token_hex(16) if kind == "file" else secrets.token_hex(10)
    content_type = mimetypes.guess_type(upload.name)[0] or upload.type or "application/octet-stream"
    state.uploads[token] = {"kind": kind, "oa_id": oa_id, "filename": upload.name, "body": upload.body,
                            "content_type": content_type, "time": now_ms()}
    data = {"token": token} if kind == "file" else {"attachment_id": token}
    return {"data": data, "error": 0, "message": "Success"}


@open_api("upload")
def upload_file(state: SimState, request: Request, oa_id: str) -> dict:
    return _upload(state, request, oa_id, "file")


@open_api("upload")
def upload_image(state: SimState, request: Request, oa_id: str) -> dict:
    return _upload(state, request, oa_id, "image")


@open_api("user_detail")
def user_detail(state: SimState, request: Request, oa_id: str) -> dict:
    try:
        user_id = json.loads(request.args.get("data", ""))["user_id"]
    except (ValueError, KeyError, TypeError):
        return zalo_error(-201, "data is invalid")
    user = state.users[oa_id].get(user_id) if isinstance(user_id, str) else None
    if user is None:
        return zalo_error(-201, "user_id is invalid")
    by_app = user_id_by_app(state.config.app_id, user_id)
    avatar = f"{state.config.public_url}/_sim/media/avatar-{by_app}.png"
    last = user["last_interaction"]
    return {
        "data": {
            "user_id": user_id, "user_id_by_app": by_app, "display_name": user["display_name"],
            "user_alias": "", "is_sensitive": False, "user_is_follower": bool(user["follower"]),
            "user_last_interaction_date": time.strftime("%d/%m/%Y", time.localtime(last / 1000)) if last else "",
            "avatar": avatar, "avatars": {"120": avatar, "240": avatar},
        },
        "error": 0, "message": "Success",
    }


@open_api("token", needs_token=False)
def refresh_token(state: SimState, request: Request, oa_id: Optional[str]) -> dict:
    form = request.form if request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded") else {}
    if form.get("app_id") != state.config.app_id:
        return oauth_error(-14002, "Invalid app_id", "app_id is invalid or the app is not active")
    if request.headers.get("secret_key") != state.config.app_secret:
        return oauth_error(-14002, "Invalid secret key", "secret_key is invalid")
    if form.get("grant_type") != "refresh_token":
        return oauth_error(-14001, "Invalid grant_type", "grant_type must be refresh_token")
    old = form.get("refresh_token") or ""
    owner = state.refresh_owner.get(old)
    if owner is None or state.refresh_tokens[owner] != old:
        return oauth_error(-14014)
    access, refresh = secrets.token_urlsafe(48), secrets.token_urlsafe(48)
    state.access_tokens[owner], state.refresh_tokens[owner] = access, refresh
    state.valid_access[access], state.refresh_owner[refresh] = owner, owner
    return {"access_token": access, "refresh_token": refresh, "expires_in": "90000"}


def _json_request(request: Request) -> Any:
    if not request.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        return json.loads(request.body)
    except ValueError:
        return None


def _check_article(body: Any) -> Optional[dict]:
    """Article API, type "normal" (docs/zalo_article_broadcast.md)."""
    if not isinstance(body, dict) or body.get("type") != "normal":
        return zalo_error(-201, "type is invalid")
    for field, limit in (("title", MAX_ARTICLE_TITLE), ("author", MAX_ARTICLE_AUTHOR),
                         ("description", MAX_ARTICLE_DESCRIPTION)):
        value = body.get(field)
        if not isinstance(value, str) or not value.strip():
            return zalo_error(-201, f"{field} is invalid")
        if len(value) > limit:
            return zalo_error(-210, f"{field} exceeds {limit} characters")
    cover = body.get("cover")
    if cover is not None and not (isinstance(cover, dict) and cover.get("cover_type") == "photo"
                                  and isinstance(cover.get("photo_url"), str) and cover.get("status") in ("show", "hide")):
        return zalo_error(-201, "cover is invalid")
    paragraphs = body.get("body")
    if not isinstance(paragraphs, list) or not paragraphs:
        return zalo_error(-201, "body is invalid")
    for paragraph in paragraphs:
        if not isinstance(paragraph, dict) or paragraph.get("type") not in ARTICLE_PARAGRAPHS:
            return zalo_error(-201, "body is invalid")
        if paragraph["type"] == "text" and not isinstance(paragraph.get("content"), str):
            return zalo_error(-201, "content is invalid")
    if body.get("status", "hide") not in ("show", "hide"):
        return zalo_error(-201, "status is invalid")
    return None


@open_api("article")
def create_article(state: SimState, request: Request, oa_id: str) -> dict:
    body = _json_request(request)
    error = _check_article(body)
    if error:
        return error
    article_id, token = secrets.token_hex(10), secrets.token_urlsafe(48)
    state.articles[article_id] = {**body, "id": article_id, "oa_id": oa_id, "status": body.get("status", "hide"),
                                  "time": now_ms()}
    state.article_tokens[token] = article_id
    return {"data": {"token": token}, "error": 0, "message": "Success"}


@open_api("article")
def verify_article(state: SimState, request: Request, oa_id: str) -> dict:
    body = _json_request(request) if request.method == "POST" else {"token": request.args.get("token")}
    article_id = state.article_tokens.get((body or {}).get("token") or "")
    if article_id is None or state.articles[article_id]["oa_id"] != oa_id:
        return zalo_error(-201, "token is invalid")
    return {"data": {"id": article_id}, "error": 0, "message": "Success"}


@open_api("broadcast")
def broadcast(state: SimState, request: Request, oa_id: str) -> dict:
    """Broadcast an Article to every follower of the OA (the target filters are not simulated)."""
    body = _json_request(request)
    recipient = body.get("recipient") if isinstance(body, dict) else None
    if not isinstance(recipient, dict) or not isinstance(recipient.get("target"), dict):
        if isinstance(recipient, dict) and recipient.get("user_id"):
            return zalo_error(-240)  # a message to one user on v2
        return zalo_error(-201, "recipient is invalid")
    attachment = (body.get("message") or {}).get("attachment") if isinstance(body.get("message"), dict) else None
    payload = attachment.get("payload") if isinstance(attachment, dict) else None
    elements = payload.get("elements") if isinstance(payload, dict) else None
    if (not isinstance(elements, list) or len(elements) != 1 or not isinstance(elements[0], dict)
            or payload.get("template_type") != "media" or elements[0].get("media_type") != "article"):
        return zalo_error(-201, "message is invalid")
    article = state.articles.get(elements[0].get("attachment_id") or "")
    if article is None or article["oa_id"] != oa_id:
        return zalo_error(-201, "attachment_id is invalid")
    if state.broadcasts_this_month(oa_id) >= state.broadcast_limits.get(oa_id, BROADCASTS_PER_MONTH):
        return zalo_error(-211)
    message_id, sent = secrets.token_hex(10), now_ms()
    recipients = sorted(u for u, user in state.users[oa_id].items() if user.get("follower"))
    state.broadcasts.append({
        "message_id": message_id, "oa_id": oa_id, "article_id": article["id"], "title": article["title"],
        "recipients": recipients, "time": sent,
        "month": time.strftime("%Y-%m", time.gmtime(sent / 1000 + 7 * 3600)),
    })
    for user_id in recipients:
        state.log({"from": "oa", "oa_id": oa_id, "user_id": user_id, "time": sent, "message_id": message_id,
                   "text": None, "buttons": [], "attachment": {"type": "article", "title": article["title"],
                                                                "description": article["description"]}})
    return {"data": {"message_id": message_id}, "error": 0, "message": "Success"}


# --------------------------------------------------------------------------- #
# Webhook sender (Zalo's side of the webhook)
# --------------------------------------------------------------------------- #

def _media_url(state: SimState, msg_id: str, ext: str) -> str:
    return f"{state.config.public_url}/_sim/media/{msg_id}.{ext}"


def _attachment(state: SimState, event: str, spec: dict, msg_id: str) -> dict:
    kind = event[len("user_send_"):]
    url = spec.get("url")
    if kind == "location":
        if spec.get("latitude") in (None, "") or spec.get("longitude") in (None, ""):
            raise ValueError("latitude and longitude are required for user_send_location")
        coordinates = {"latitude": str(spec["latitude"]), "longitude": str(spec["longitude"])}
        return {"type": "location", "payload": {"coordinates": coordinates}}
    if kind in ("image", "gif"):
        url = url or _media_url(state, msg_id, "jpg" if kind == "image" else "gif")
        return {"type": kind, "payload": {"thumbnail": spec.get("thumbnail") or url, "url": url}}
    if kind == "sticker":
        return {"type": "sticker", "payload": {"id": spec.get("sticker_id") or secrets.token_hex(10),
                                               "url": url or _media_url(state, msg_id, "png")}}
    if kind == "file":
        name = spec.get("name") or "tai-lieu.pdf"
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        content = PLACEHOLDERS.get(ext, (b"simulated file", ""))[0]
        payload = {"url": url or _media_url(state, msg_id, ext or "bin"), "name": name,
                   "size": str(spec.get("size") or len(content)),
                   "checksum": spec.get("checksum") or hashlib.md5(content).hexdigest(), "type": ext}
        return {"type": "file", "payload": payload}
    if kind == "audio":
        return {"type": "audio", "payload": {"url": url or _media_url(state, msg_id, "amr")}}
    # video, link
    url = url or (_media_url(state, msg_id, "mp4") if kind == "video" else "https://vi.wikipedia.org/wiki/C%C3%B4ng_an")
    return {"type": kind, "payload": {"url": url, "thumbnail": spec.get("thumbnail") or _media_url(state, msg_id, "jpg"),
                                      "description": spec.get("description", "")}}


def build_event(state: SimState, oa_id: str, user_id: str, event: str, spec: dict, timestamp: str,
                msg_id: Optional[str]) -> dict:
    """The webhook JSON Zalo would send for this event (§2.2, §2.4)."""
    app_id = state.config.app_id
    by_app = user_id_by_app(app_id, user_id)
    if event in ("follow", "unfollow"):
        return {"app_id": app_id, "oa_id": oa_id, "follower": {"id": user_id}, "user_id_by_app": by_app,
                "event_name": event, "source": spec.get("source", "oa_profile"), "timestamp": timestamp}
    if event == "oa_send_text":
        sender = {"id": oa_id, **({"admin_id": str(spec["admin_id"])} if spec.get("admin_id") else {})}
        return {"app_id": app_id, "sender": sender, "recipient": {"id": user_id}, "event_name": event,
                "message": {"text": spec.get("text") or "", "msg_id": msg_id}, "timestamp": timestamp}
    if event == "user_send_text":
        if not isinstance(spec.get("text"), str):
            raise ValueError("text is required for user_send_text")
        message = {"text": spec["text"], "msg_id": msg_id}
    else:
        message = {"msg_id": msg_id, **({"text": spec["text"]} if spec.get("text") else {}),
                   "attachments": [_attachment(state, event, spec, msg_id)]}
    if spec.get("quote_msg_id"):
        message["quote_msg_id"] = str(spec["quote_msg_id"])
    return {"app_id": app_id, "sender": {"id": user_id}, "user_id_by_app": by_app, "recipient": {"id": oa_id},
            "event_name": event, "message": message, "timestamp": timestamp}


def _record_inbound(state: SimState, oa_id: str, user_id: str, event: str, payload: Any, spec: dict) -> None:
    if event == "oa_send_text":
        return
    state.touch_user(oa_id, user_id, follower={"follow": True, "unfollow": False}.get(event, spec.get("follower")),
                     display_name=spec.get("display_name"))
    message = payload.get("message") if isinstance(payload, dict) else None
    message = message if isinstance(message, dict) else {}
    msg_id = message.get("msg_id")
    if msg_id and any(e.get("msg_id") == msg_id and e["oa_id"] == oa_id and e["user_id"] == user_id
                      for e in state.conversation):
        return  # a redelivery: the citizen sent it once
    state.log({
        "from": "user", "oa_id": oa_id, "user_id": user_id, "time": now_ms(), "event_name": event,
        "msg_id": msg_id, "text": spec.get("display_text") or message.get("text"),
        "payload_text": message.get("text"), "attachments": message.get("attachments") or [],
        "buttons": [], "attachment": None,
    })


async def _post_webhook(url: str, raw: bytes, headers: dict, timeout: float) -> dict:
    started = time.monotonic()
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.post(url, data=raw, headers=headers) as resp:
                body = await resp.text(errors="replace")
                result = {"status": resp.status, "body": body}
    except asyncio.TimeoutError:
        result = {"status": None, "body": "", "error": f"webhook timed out after {timeout} s"}
    except aiohttp.ClientError as exc:
        result = {"status": None, "body": "", "error": f"webhook unreachable: {exc}"}
    result["elapsed_ms"] = int((time.monotonic() - started) * 1000)
    return result


async def sim_send(request: Request):
    state: SimState = request.app.ctx.state
    spec = _json_body(request)
    oa_id, user_id = spec.get("oa_id"), spec.get("user_id")
    event = spec.get("event_name", "user_send_text")
    if oa_id not in state.accounts or not isinstance(user_id, str) or not user_id:
        return _json({"error": "known oa_id and a user_id string are required"}, status=400)
    if event not in USER_EVENTS | OTHER_EVENTS:
        return _json({"error": f"unsupported event_name {event!r}"}, status=400)
    timestamp = str(spec["timestamp"]) if spec.get("timestamp") is not None else None
    msg_id = None if event in ("follow", "unfollow") else str(spec.get("msg_id") or secrets.token_hex(16))
    if spec.get("raw_body") is not None:
        raw = str(spec["raw_body"]).encode("utf-8")
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = spec["raw_body"]
        if timestamp is None and isinstance(payload, dict) and payload.get("timestamp") is not None:
            timestamp = str(payload["timestamp"])
        timestamp = timestamp or str(now_ms())
        msg_id = ((payload.get("message") or {}).get("msg_id") if isinstance(payload, dict) else None) or msg_id
    else:
        timestamp = timestamp or str(now_ms())
        try:
            payload = build_event(state, oa_id, user_id, event, spec, timestamp, msg_id)
        except ValueError as exc:
            return _json({"error": str(exc)}, status=400)
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    mac = spec.get("signature")
    if mac is None:
        mac = "mac=" + signature(state.config.app_id, raw, timestamp, state.accounts[oa_id].oa_secret_key)
    headers = {"Content-Type": "application/json"}
    if mac != "":
        headers["X-ZEvent-Signature"] = mac
    if spec.get("num_retry") is not None:
        headers["num_retry"] = str(spec["num_retry"])
    _record_inbound(state, oa_id, user_id, event, payload, spec)
    url = spec.get("webhook_url") or state.config.webhook_url
    if url:
        result = await _post_webhook(url, raw, headers, float(spec.get("webhook_timeout", 10)))
    else:
        result = {"status": None, "body": "", "error": "no webhook_url configured", "elapsed_ms": 0}
    return _json({**result, "payload": payload, "msg_id": msg_id, "headers": headers})


# --------------------------------------------------------------------------- #
# Control API
# --------------------------------------------------------------------------- #

def _json_body(request: Request) -> dict:
    try:
        body = json.loads(request.body) if request.body else {}
    except ValueError:
        body = {}
    return body if isinstance(body, dict) else {}


def _matches(entry: dict, request: Request) -> bool:
    return all(not request.args.get(key) or entry.get(key) == request.args.get(key) for key in ("oa_id", "user_id"))


async def sim_faults(request: Request):
    state: SimState = request.app.ctx.state
    if request.method == "DELETE":
        for queue in state.faults.values():
            queue.clear()
        return _json({"ok": True})
    spec = _json_body(request)
    endpoint, kind, code = spec.get("endpoint"), spec.get("kind"), spec.get("code")
    if endpoint not in FAULT_ENDPOINTS or kind not in FAULT_KINDS:
        return _json({"error": f"endpoint must be one of {sorted(FAULT_ENDPOINTS)}, "
                                       f"kind one of {sorted(FAULT_KINDS)}"}, status=400)
    if (kind == "error" and not isinstance(code, int)) or (code is not None and not isinstance(code, int)):
        return _json({"error": "an integer code is required"}, status=400)
    fault = {"kind": kind, "code": code, **({"delay": float(spec["delay"])} if "delay" in spec else {}),
             **({"user_id": str(spec["user_id"])} if spec.get("user_id") else {})}
    for _ in range(int(spec.get("times", 1))):
        state.faults[endpoint].append(dict(fault))
    return _json({"ok": True, "queued": len(state.faults[endpoint])})


async def sim_expire_token(request: Request):
    state: SimState = request.app.ctx.state
    oa_id = _json_body(request).get("oa_id")
    if oa_id not in state.accounts:
        return _json({"error": "unknown oa_id"}, status=404)
    for token in [t for t, owner in state.valid_access.items() if owner == oa_id]:
        del state.valid_access[token]
    return _json({"ok": True})


async def sim_users(request: Request):
    state: SimState = request.app.ctx.state
    spec = _json_body(request)
    oa_id, user_id = spec.get("oa_id"), spec.get("user_id")
    if oa_id not in state.accounts or not isinstance(user_id, str) or not user_id:
        return _json({"error": "known oa_id and a user_id string are required"}, status=400)
    user = state.touch_user(oa_id, user_id, interacted=bool(spec.get("interacted", True)),
                            follower=bool(spec.get("follower", True)), display_name=spec.get("display_name"))
    return _json({"ok": True, "user": user})


async def sim_broadcasts(request: Request):
    state: SimState = request.app.ctx.state
    return _json([b for b in state.broadcasts if not request.args.get("oa_id") or b["oa_id"] == request.args.get("oa_id")])


async def sim_broadcast_limit(request: Request):
    state: SimState = request.app.ctx.state
    spec = _json_body(request)
    oa_id, limit = spec.get("oa_id"), spec.get("limit")
    if oa_id not in state.accounts or not isinstance(limit, int) or limit < 0:
        return _json({"error": "known oa_id and a whole limit are required"}, status=400)
    state.broadcast_limits[oa_id] = limit
    return _json({"ok": True, "used": state.broadcasts_this_month(oa_id)})


async def sim_messages(request: Request):
    state: SimState = request.app.ctx.state
    return _json([m for m in state.messages if _matches(m, request)])


async def sim_conversation(request: Request):
    state: SimState = request.app.ctx.state
    return _json([e for e in state.conversation if _matches(e, request)])


async def sim_requests(request: Request):
    return _json(request.app.ctx.state.requests)


async def sim_reset(request: Request):
    request.app.ctx.state.reset()
    return _json({"ok": True})


async def sim_state(request: Request):
    return _json(request.app.ctx.state.snapshot())


async def sim_file(request: Request, token: str):
    upload = request.app.ctx.state.uploads.get(token)
    if upload is None:
        return _json({"error": "unknown token"}, status=404)
    disposition = "attachment" if upload["kind"] == "file" else "inline"
    return response.raw(upload["body"], content_type=upload["content_type"], headers={
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(upload['filename'])}"})


async def sim_media(request: Request, name: str):
    body, content_type = PLACEHOLDERS.get(name.rsplit(".", 1)[-1].lower(), (b"simulated media", "application/octet-stream"))
    return response.raw(body, content_type=content_type)


async def page(request: Request):
    state: SimState = request.app.ctx.state
    accounts = json.dumps([{"oa_id": a.oa_id, "name": a.name} for a in state.accounts.values()], ensure_ascii=False)
    return response.html(PAGE_HTML.replace("__ACCOUNTS__", accounts.replace("</", "<\\/")))


async def not_found(request: Request, exception: Exception):
    return _json({"error": 404, "message": "You are accessing an empty or invalid API"}, status=404)


def create_app(config: SimConfig) -> Sanic:
    """A fresh simulator app; all state lives on app.ctx.state."""
    app = Sanic(f"zalo_sim_{id(config)}_{secrets.token_hex(4)}")
    app.ctx.state = SimState(config)
    routes = [
        (send_message, "/v3.0/oa/message/cs", ["POST"]),
        (upload_file, "/v2.0/oa/upload/file", ["POST"]),
        (upload_image, "/v2.0/oa/upload/image", ["POST"]),
        (user_detail, "/v3.0/oa/user/detail", ["GET"]),
        (refresh_token, "/v4/oa/access_token", ["POST"]),
        (create_article, "/v2.0/article/create", ["POST"]),
        (verify_article, "/v2.0/article/verify", ["POST", "GET"]),
        (broadcast, "/v2.0/oa/message", ["POST"]),
        (sim_broadcasts, "/_sim/broadcasts", ["GET"]),
        (sim_broadcast_limit, "/_sim/broadcast_limit", ["POST"]),
        (sim_send, "/_sim/send", ["POST"]),
        (sim_faults, "/_sim/faults", ["POST", "DELETE"]),
        (sim_expire_token, "/_sim/expire_token", ["POST"]),
        (sim_users, "/_sim/users", ["POST"]),
        (sim_messages, "/_sim/messages", ["GET"]),
        (sim_conversation, "/_sim/conversation", ["GET"]),
        (sim_requests, "/_sim/requests", ["GET"]),
        (sim_reset, "/_sim/reset", ["POST"]),
        (sim_state, "/_sim/state", ["GET"]),
        (sim_file, "/_sim/files/<token>", ["GET"]),
        (sim_media, "/_sim/media/<name>", ["GET"]),
        (page, "/", ["GET"]),
    ]
    for handler, uri, methods in routes:
        app.add_route(handler, uri, methods=methods, name=handler.__name__)
    app.error_handler.add(NotFound, not_found)
    app.error_handler.add(MethodNotSupported, not_found)
    return app


# --------------------------------------------------------------------------- #
# The citizen's chat page (self-contained: inline CSS and JS, no external URLs)
# --------------------------------------------------------------------------- #

PAGE_HTML = r"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trò chuyện với OA (mô phỏng Zalo)</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; background: #dfe4ea; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  .phone { max-width: 420px; height: 100vh; margin: 0 auto; display: flex; flex-direction: column; background: #eef0f3; }
  header { background: #0068ff; color: #fff; padding: 10px 12px; }
  header h1 { font-size: 16px; margin: 0 0 6px; }
  header label { font-size: 12px; display: inline-block; margin-right: 6px; }
  header select, header input { font-size: 13px; padding: 3px; border-radius: 4px; border: 0; max-width: 170px; }
  #chat { flex: 1; overflow-y: auto; padding: 10px; }
  .row { display: flex; margin: 6px 0; }
  .row.user { justify-content: flex-end; }
  .bubble { max-width: 80%; padding: 8px 10px; border-radius: 12px; background: #fff; white-space: pre-wrap; word-wrap: break-word; font-size: 14px; }
  .user .bubble { background: #d4e5ff; }
  .time { font-size: 10px; color: #888; margin-top: 3px; }
  .note { text-align: center; color: #666; font-size: 12px; margin: 8px 0; }
  .buttons { display: flex; flex-direction: column; gap: 4px; margin-top: 6px; }
  .buttons button, .buttons a { display: block; text-align: center; padding: 6px; border: 1px solid #0068ff; border-radius: 8px; background: #fff; color: #0068ff; font-size: 13px; text-decoration: none; cursor: pointer; }
  .card { border: 1px solid #ccd; border-radius: 8px; padding: 6px; margin-top: 6px; }
  .bubble img { max-width: 100%; border-radius: 8px; }
  footer { padding: 8px; background: #fff; border-top: 1px solid #ccd; }
  footer form, footer .tools { display: flex; gap: 6px; }
  footer .tools { margin-top: 6px; font-size: 12px; align-items: center; flex-wrap: wrap; }
  footer input { flex: 1; padding: 8px; border: 1px solid #ccd; border-radius: 16px; font-size: 14px; }
  footer .tools input { flex: 0 1 90px; padding: 4px 6px; font-size: 12px; border-radius: 6px; }
  footer button { border: 0; background: #0068ff; color: #fff; border-radius: 16px; padding: 6px 12px; cursor: pointer; }
  #status { font-size: 11px; color: #555; min-height: 14px; margin-top: 4px; }
</style>
</head>
<body>
<div class="phone">
  <header>
    <h1>Trò chuyện với Official Account (mô phỏng Zalo)</h1>
    <label>OA <select id="oa"></select></label>
    <label>Mã người dùng <input id="uid"></label>
  </header>
  <div id="chat"></div>
  <footer>
    <form id="composer"><input id="text" placeholder="Nhập tin nhắn…" autocomplete="off"><button type="submit">Gửi</button></form>
    <div class="tools">
      <label>Vĩ độ <input id="lat" value="21.0285"></label>
      <label>Kinh độ <input id="lng" value="105.8542"></label>
      <button id="location" type="button">Chia sẻ vị trí</button>
      <button id="follow" type="button">Quan tâm OA</button>
    </div>
    <div id="status"></div>
  </footer>
</div>
<script>
"use strict";
const ACCOUNTS = __ACCOUNTS__;
const $ = (id) => document.getElementById(id);
let lastKey = "";

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function linkify(node, text) {
  String(text).split(/(https?:\/\/[^\s]+)/g).forEach((part, i) => {
    if (i % 2) {
      const a = el("a", "", part);
      a.href = part; a.target = "_blank"; a.rel = "noopener";
      node.appendChild(a);
    } else if (part) {
      node.appendChild(document.createTextNode(part));
    }
  });
}

function status(text) { $("status").textContent = text; }

async function send(eventName, fields) {
  const userId = $("uid").value.trim();
  if (!userId) { status("Vui lòng nhập mã người dùng."); return; }
  localStorage.setItem("zalo_sim_uid", userId);
  const body = Object.assign({ oa_id: $("oa").value, user_id: userId, event_name: eventName }, fields || {});
  try {
    const res = await fetch("/_sim/send", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const result = await res.json();
    if (!res.ok) status("Lỗi: " + (result.error || res.status));
    else if (result.status === 200) status("Đã gửi.");
    else status("Webhook của chatbot không phản hồi 200: " + (result.status || result.error));
  } catch (e) {
    status("Không kết nối được với trình mô phỏng.");
  }
  poll();
}

function describeUser(item) {
  const att = (item.attachments || [])[0];
  if (!att) return item.text || "";
  const p = att.payload || {};
  const caption = item.text ? "\n" + item.text : "";
  if (att.type === "location") return "📍 Vị trí: " + p.coordinates.latitude + ", " + p.coordinates.longitude;
  if (att.type === "file") return "📎 Tệp: " + p.name + caption;
  if (att.type === "image" || att.type === "gif") return "🖼 Hình ảnh" + caption;
  if (att.type === "sticker") return "Nhãn dán";
  if (att.type === "audio") return "🎤 Tin nhắn thoại";
  if (att.type === "video") return "🎬 Video" + caption;
  if (att.type === "link") return "🔗 " + p.url;
  return "[" + att.type + "]";
}

function renderButton(box, button) {
  const p = button.payload;
  let node;
  if (button.type === "oa.query.show" || button.type === "oa.query.hide") {
    node = el("button", "", button.title);
    node.type = "button";
    const fields = { text: p };
    if (button.type === "oa.query.hide") fields.display_text = button.title;
    node.onclick = () => send("user_send_text", fields);
  } else {
    node = el("a", "", button.title);
    if (button.type === "oa.open.phone") node.href = "tel:" + p.phone_code;
    else if (button.type === "oa.open.sms") node.href = "sms:" + p.phone_code + (p.content ? "?body=" + encodeURIComponent(p.content) : "");
    else { node.href = p.url; node.target = "_blank"; node.rel = "noopener"; }
  }
  box.appendChild(node);
}

function renderOa(bubble, item) {
  if (item.text) linkify(bubble, item.text);
  const att = item.attachment;
  if (att && att.type === "file") {
    const a = el("a", "", "📎 Tải xuống: " + att.name);
    a.href = att.url; a.setAttribute("download", att.name);
    const card = el("div", "card"); card.appendChild(a); bubble.appendChild(card);
  } else if (att && (att.type === "image" || att.type === "gif")) {
    const img = el("img"); img.src = att.url; img.alt = "Hình ảnh";
    bubble.appendChild(img);
  } else if (att && att.type === "sticker") {
    bubble.appendChild(el("div", "card", "Nhãn dán"));
  } else if (att && att.type === "article") {
    const card = el("div", "card");
    card.appendChild(el("b", "", "📰 " + att.title));
    if (att.description) card.appendChild(el("div", "", att.description));
    bubble.appendChild(card);
  } else if (att && att.type === "request_user_info") {
    const card = el("div", "card");
    card.appendChild(el("b", "", att.title));
    if (att.subtitle) card.appendChild(el("div", "", att.subtitle));
    bubble.appendChild(card);
  }
  if (item.buttons && item.buttons.length) {
    const box = el("div", "buttons");
    item.buttons.forEach((b) => renderButton(box, b));
    bubble.appendChild(box);
  }
}

function render(items) {
  const chat = $("chat");
  chat.textContent = "";
  if (!items.length) chat.appendChild(el("div", "note", "Chưa có tin nhắn. Hãy gửi lời chào!"));
  items.forEach((item) => {
    if (item.event_name === "follow" || item.event_name === "unfollow") {
      chat.appendChild(el("div", "note", item.event_name === "follow" ? "Bạn đã quan tâm OA." : "Bạn đã bỏ quan tâm OA."));
      return;
    }
    const row = el("div", "row " + item.from);
    const bubble = el("div", "bubble");
    if (item.from === "user") bubble.textContent = describeUser(item);
    else renderOa(bubble, item);
    bubble.appendChild(el("div", "time", new Date(item.time).toLocaleTimeString("vi-VN")));
    row.appendChild(bubble);
    chat.appendChild(row);
  });
  chat.scrollTop = chat.scrollHeight;
}

async function poll() {
  const query = new URLSearchParams({ oa_id: $("oa").value, user_id: $("uid").value.trim() });
  try {
    const res = await fetch("/_sim/conversation?" + query);
    const items = await res.json();
    const key = JSON.stringify(items);
    if (key !== lastKey) { lastKey = key; render(items); }
  } catch (e) { /* the simulator may be restarting */ }
}

ACCOUNTS.forEach((a) => {
  const option = el("option", "", a.name + " (" + a.oa_id + ")");
  option.value = a.oa_id;
  $("oa").appendChild(option);
});
$("uid").value = localStorage.getItem("zalo_sim_uid") || "citizen-" + Math.random().toString(36).slice(2, 10);
$("composer").onsubmit = (e) => {
  e.preventDefault();
  const text = $("text").value;
  if (!text.trim()) return;
  $("text").value = "";
  send("user_send_text", { text: text });
};
$("location").onclick = () => send("user_send_location", { latitude: $("lat").value.trim(), longitude: $("lng").value.trim() });
$("follow").onclick = () => send("follow");
$("oa").onchange = $("uid").onchange = () => { lastKey = ""; poll(); };
poll();
setInterval(poll, 1000);
</script>
</body>
</html>
"""
