"""Addresses and time: where citizens' phones (and Zalo) reach the project's
web server, map links of shared locations, and Vietnam's clock."""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import timedelta, timezone
from typing import Mapping, Optional
from urllib.parse import urlsplit

DEFAULT_PUBLIC_URL = "http://localhost:5080"  # the web server of `scripts/run` on this machine
VIETNAM = timezone(timedelta(hours=7))  # no daylight saving time


def map_link(latitude: float, longitude: float) -> str:
    """A map of a shared location, for officers."""
    return f"https://www.openstreetmap.org/?mlat={latitude}&mlon={longitude}#map=18/{latitude}/{longitude}"


def https_only(url: object) -> Optional[str]:
    """The address if it is a plain https one, else None: what officers'
    pages may link to or load from a citizen's message (never javascript:,
    data: or http:)."""
    text = str(url or "")
    return text if re.fullmatch(r"https://[^\x00-\x20\x7f]+", text, re.IGNORECASE) else None


def web_link(url: object) -> Optional[str]:
    """The address if it is a plain http or https one, else None: what the
    console's transcript links to (the assistant's own forms are on http
    while PUBLIC_URL is; never javascript: or data:)."""
    text = str(url or "")
    return text if re.fullmatch(r"https?://[^\x00-\x20\x7f]+", text, re.IGNORECASE) else None


def public_url(env: Mapping[str, str] = os.environ) -> str:
    """Where Zalo and citizens' phones reach the web server (PUBLIC_URL)."""
    return (env.get("PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/")


def is_localhost(url: str) -> bool:
    """Whether ``url`` points at the machine that opens it (localhost, 127.x,
    ::1, 0.0.0.0): a link citizens' phones and Zalo's servers cannot follow."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified
