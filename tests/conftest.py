"""Shared fixtures. The model is trained once per test session, on the
project's real config, domain and data, and every test reuses it."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# tip-off contents' key (bot/core/cipher.py), for the stacks the tests start and for the tests themselves
os.environ.setdefault("TIPOFF_KEY", __import__("cryptography.fernet").fernet.Fernet.generate_key().decode())


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def trained_model(models_dir: Path) -> Path:
    """Train with `rasa train`'s own code path, from the repository root (its
    graph cache lives in .rasa/, as for the run command)."""
    from rasa.model_training import train

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = train(
            domain="domain.yml",
            config="config.yml",
            training_files=["data"],
            output=str(models_dir),
        )
    finally:
        os.chdir(cwd)
    assert result.code == 0, f"training failed with code {result.code}"
    return Path(result.model)


@pytest.fixture(scope="session")
def agent(trained_model: Path):
    from rasa.core.agent import Agent

    return Agent.load(str(trained_model))


@pytest.fixture(scope="session")
def parse(agent):
    """parse(text) -> Rasa's parse result (intent, ranking, ...) from the
    trained model; parse.many(texts) parses a list at once."""
    from devtools.evaluation import AgentParser

    parser = AgentParser(agent)
    yield parser
    parser.close()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# what the machine needs to run Chromium offline and as root, without phoning home
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's package, which scripts/test installs)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: scripts/test installs Debian's 'chromium' package when run as root")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


# Ports for the servers the tests start: below the kernel's range for outgoing connections
# (ip_local_port_range, 32768-60999 by default), which the suite's many HTTP clients take
# their local ports from (a port handed out by bind(0) is in that range, and a client
# connection could take it before the server binds it: "address already in use");
# never the same port twice in a session.
_PORTS = range(20000, 32000)
_GIVEN: set = set()


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports."""
    import random

    while True:
        first = random.randrange(_PORTS.start, _PORTS.stop - count)
        block = range(first, first + count)
        if not _GIVEN.intersection(block) and all(_bindable(port) for port in block):
            _GIVEN.update(block)
            return first


def free_port() -> int:
    return free_ports(1)


AUTH_TOKEN = "test-token-123"  # the Rasa server's secret (RASA_AUTH_TOKEN)
REST_TOKEN = "rest-token-456"  # the REST channel's (REST_CHANNEL_TOKEN)


def rasa_headers() -> dict:
    """What the assistant's own processes send to Rasa's HTTP API."""
    from bot.core.internal_auth import rasa_headers

    return rasa_headers(AUTH_TOKEN)


def rest_id(sender: str) -> str:
    """The conversation id of a REST channel sender."""
    from bot.core.conversations import rest_conversation

    return rest_conversation(sender)
HANDOFF_TIMEOUT = 25  # seconds a chat may wait for an officer in the tests
AREA_OFFICER_TIMEOUT = 12  # seconds a "gặp riêng" chat waits for its area officer in the tests
IN_OFFICE_HOURS = "2026-12-01T10:00:00+07:00"  # a Tuesday morning: the tests' clock (bot/core/clock.py) unless set


class Assistant:
    """The assistant started by the README's run command (scripts/run)."""

    def __init__(self, extra_args, state: Path, env: dict = None, replicas: int = 1):
        import subprocess
        import time

        self.state = state
        state.mkdir(parents=True, exist_ok=True)
        self.database_url = (env or {}).get("DATABASE_URL") or f"sqlite:///{state / 'project.db'}"
        # replica i of the Rasa server listens on port + i, of the web server on web_port + i
        self.port, self.web_port = free_ports(replicas), free_ports(replicas)
        self.actions_port, self.sim_port, self.intake_port = free_port(), free_port(), free_port()
        self.log_path = state / "run.log"
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [str(ROOT / "scripts" / "run"), *extra_args,
             "--port", str(self.port), "--actions-port", str(self.actions_port),
             "--web-port", str(self.web_port), "--sim-port", str(self.sim_port),
             "--intake-port", str(self.intake_port),
             "--state-dir", str(state), "--host", "127.0.0.1", *(["--replicas", str(replicas)] if replicas > 1 else [])],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            # PUBLIC_URL only from ``env``: without it, links are localhost (and the launcher says so)
            env={**{k: v for k, v in os.environ.items() if k != "PUBLIC_URL"},
                 "RASA_AUTH_TOKEN": AUTH_TOKEN, "REST_CHANNEL_TOKEN": REST_TOKEN,
                 "HANDOFF_TIMEOUT_SECONDS": str(HANDOFF_TIMEOUT),
                 "HANDOFF_AREA_OFFICER_SECONDS": str(AREA_OFFICER_TIMEOUT), "ASSISTANT_NOW": IN_OFFICE_HOURS,
                 **(env or {})},
        )
        deadline = time.monotonic() + 300
        while "The assistant is running." not in self.log:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail("the run command did not come up:\n" + self.log[-5000:])
            time.sleep(1)

    @property
    def accounts(self):
        """Officer accounts in the project database this assistant uses."""
        from bot.console.auth import Accounts
        from bot.core.db import engine

        return Accounts(engine(self.database_url))

    @property
    def log(self) -> str:
        return self.log_path.read_text()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def simulator(self):
        """A client of this assistant's Zalo simulator; .oa_id is its OA."""
        import json

        from devtools.zalo_sim import SimClient

        sim = SimClient(f"http://127.0.0.1:{self.sim_port}")
        sim.oa_id = json.loads((self.state / "zalo_dev.json").read_text())["ZALO_OA_ID"]
        return sim

    @property
    def webhook_url(self) -> str:
        """Where Zalo posts: the intake server."""
        return f"http://127.0.0.1:{self.intake_port}/webhooks/zalo/webhook"

    def say(self, sender: str, text: str, replica: int = 0) -> list:
        """Send a message on the REST channel (of Rasa replica ``replica``); the
        bot's replies. The conversation is ``rest_id(sender)``."""
        import json
        import urllib.request

        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port + replica}/webhooks/rest/webhook",
            data=json.dumps({"sender": sender, "message": text}).encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {REST_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    def tracker(self, conversation_id: str, replica: int = 0) -> dict:
        import json
        import urllib.parse
        import urllib.request

        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port + replica}/conversations/{urllib.parse.quote(conversation_id, safe=':')}/tracker",
            headers=rasa_headers())
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def kill(self) -> None:
        """A crash: SIGKILL to the run command and every process under it."""
        import signal

        for pid in [self.process.pid, *descendants(self.process.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Ctrl-C, as a person would; a crash if it does not stop in time."""
        import signal
        import subprocess

        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        self.kill()


def descendants(pid: int) -> list:
    """Every process below ``pid`` (children run in their own sessions)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError):
                continue
    found, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


@pytest.fixture(scope="session")
def assistant(trained_model: Path, models_dir: Path, tmp_path_factory):
    """Started with --models-dir: the run command itself decides (by Rasa's
    fingerprint) that the session's model is up to date."""
    running = Assistant(["--models-dir", str(models_dir)], tmp_path_factory.mktemp("state"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def zalo(assistant):
    """The Zalo simulator of the session's assistant; .oa_id is its OA."""
    return assistant.simulator()


OFFICER_PASSWORD = "mật-khẩu-đủ-dài-1"


class Console:
    """An officer's browser session on the console, over HTTP (real login form, cookies, CSRF)."""

    def __init__(self, assistant, username: str, password: str = OFFICER_PASSWORD, web_port: int = None,
                 headers: dict = None):
        import re

        import requests

        self.base = f"http://127.0.0.1:{web_port or assistant.web_port}/console"
        self.http = requests.Session()
        self.http.headers.update(headers or {})  # e.g. the address a reverse proxy would name
        page = self.http.get(f"{self.base}/login", timeout=10)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"', page.text)
        self.login_response = self.http.post(f"{self.base}/login", data={
            "username": username, "password": password, "csrf_token": token.group(1) or token.group(2)}, timeout=30)
        me = self.http.get(f"{self.base}/api/me", timeout=10)
        self.csrf = me.json().get("csrf_token") if me.status_code == 200 else None

    def get(self, path):
        return self.http.get(f"{self.base}/api/{path}", timeout=30)

    def post(self, path, body=None, csrf=True):
        headers = {"X-CSRF-Token": self.csrf} if csrf else {}
        return self.http.post(f"{self.base}/api/{path}", json=body or {}, headers=headers, timeout=30)

    def chat_for(self, conversation_id):
        """The open chat of this conversation in the officer's queue, or None."""
        return next((c for c in self.get("queue").json()["chats"] if c["conversation_id"] == conversation_id), None)


def sign_in(page, base: str, username: str, password: str = OFFICER_PASSWORD, name: str = None) -> None:
    """Sign in through the console's login page at ``base`` (Playwright); with ``name``, until the top bar
    shows the officer."""
    page.goto(f"{base}/console/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-button")
    if name:
        page.locator("#officer-name").get_by_text(name, exact=False).wait_for(timeout=15_000)


def texts(messages) -> list:
    """The texts of messages the Zalo simulator received."""
    return [m["body"].get("message", {}).get("text", "") for m in messages]


def wait_for(predicate, timeout: float = 30.0):
    """Poll until predicate() is truthy; its value."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("condition not met in time")
