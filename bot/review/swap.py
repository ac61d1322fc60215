"""Put a model live on every running Rasa replica, one at a time, with Rasa's
own model-replacing API (``PUT /model``, JWT-protected: bot/core/internal_auth.py).

A replica keeps answering with its old model while it loads the new one
(bot/server/settings.py loads it off the event loop), and the swap is one
assignment, so no turn fails or is lost. The replicas are swapped in turn:
at any moment at most one of them is loading. When a replica refuses the
model, those already swapped go back to the model they had.

Where the replicas are: ``RASA_REPLICAS`` (comma-separated URLs, set by the
launcher for its web servers), else the state folder's ``rasa_replicas.json``
(written by the launcher, for ``python -m bot.review retrain``), else
``RASA_URL``.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import requests

from bot.core.internal_auth import RASA_SECRET, rasa_headers
from bot.core.paths import VAR

REPLICAS_FILE = "rasa_replicas.json"  # {"urls": [...]} in the state folder
SECRET_FILE = "rasa_auth.token"  # the run's generated RASA_AUTH_TOKEN, 0600, when not set in the environment
LOAD_TIMEOUT = 300.0  # seconds a replica may take to load a model on a busy 2-core machine


class SwapError(RuntimeError):
    """A replica did not take the model (the others were put back)."""


@dataclass
class Replica:
    url: str
    headers: Dict[str, str]

    def model(self) -> str:
        """The model file the replica answers with now."""
        status = requests.get(f"{self.url}/status", headers=self.headers, timeout=10)
        status.raise_for_status()
        return status.json()["model_file"]

    def load(self, model: str) -> float:
        """Load ``model``; the seconds it took."""
        started = time.monotonic()
        answer = requests.put(f"{self.url}/model", json={"model_file": model}, headers=self.headers,
                              timeout=LOAD_TIMEOUT)
        if answer.status_code != 204:
            raise SwapError(f"{self.url} refused {Path(model).name}: HTTP {answer.status_code} {answer.text[:300]}")
        if Path(self.model()).name != Path(model).name:
            raise SwapError(f"{self.url} still answers with {self.model()} after loading {model}")
        return time.monotonic() - started


def state_dir() -> Path:
    return Path(os.environ.get("STATE_DIR") or VAR)


def replica_urls(env: Optional[Dict[str, str]] = None) -> List[str]:
    env = os.environ if env is None else env
    if env.get("RASA_REPLICAS"):
        return [u.strip().rstrip("/") for u in env["RASA_REPLICAS"].split(",") if u.strip()]
    saved = state_dir() / REPLICAS_FILE
    if saved.exists():
        return json.loads(saved.read_text(encoding="utf-8"))["urls"]
    return [env.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/")]


def replicas() -> List[Replica]:
    key = os.environ.get(RASA_SECRET)
    if not key and (state_dir() / SECRET_FILE).exists():
        key = (state_dir() / SECRET_FILE).read_text(encoding="utf-8").strip()
    return [Replica(url, rasa_headers(key)) for url in replica_urls()]


def swap(model: Path, targets: List[Replica]) -> List[Dict[str, float]]:
    """Load ``model`` into each replica in turn: [{"url", "seconds"}]. On a
    failure the replicas already swapped get their previous model back, and
    SwapError says which replica failed and why."""
    done: List[tuple] = []  # (replica, its previous model)
    figures = []
    for replica in targets:
        previous = replica.model()
        try:
            seconds = replica.load(str(model.resolve()))
        except (SwapError, requests.RequestException) as error:
            for swapped, old in reversed(done):
                try:
                    swapped.load(old)
                except (SwapError, requests.RequestException):
                    pass  # reported below with the first failure
            raise SwapError(str(error)) from error
        done.append((replica, previous))
        figures.append({"url": replica.url, "seconds": round(seconds, 2)})
    return figures
