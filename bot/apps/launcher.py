"""Start the assistant on embedded defaults: train if needed, run the servers.

``scripts/run`` calls this. It

1. trains a model when the data, config or NLU code changed since the last
   training (Rasa's own fingerprinting: ``rasa train --dry-run``);
2. creates the project database's tables (bot/core/db.py), then starts the
   action server; the Rasa server through ``python -m bot.server`` (its
   settings: bot/server/settings.py; HTTP API enabled and protected by
   the internal secrets (bot/core/internal_auth.py),
   REST and Zalo channels, SQLite tracker store in the state folder), and
   with --replicas N, N of them (PostgreSQL and Redis required); the
   project's web server (forms, officer console; one per replica); the Zalo
   intake server (bot/apps/intake.py), where Zalo's webhook points; and
   without real Zalo credentials (ZALO_APP_ID unset) the Zalo simulator
   (devtools/zalo_sim/), a local server speaking Zalo's Open API with a chat
   page to talk to the assistant as a citizen, with the Zalo settings
   pointed at it;
3. waits until they answer (startup fails if one does not), prints the URLs
   to use, where each server listens, and a warning when PUBLIC_URL is
   localhost (citizens' links would point at this machine); from then on it
   keeps every process running on its own: one that exits, or stops
   answering its health URL (hung: killed), is started again after a delay
   growing from 0.5 s to 30 s while it keeps failing (``Processes``), so a
   crash-looping action server never takes the Zalo intake server or the
   others down; it stops every process it started on Ctrl-C or SIGTERM, and
   only then exits.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import List, Optional

import yaml

from bot.core.cipher import key_file, load_key
from bot.core.db import default_database_url
from bot.core.internal_auth import ACTIONS_SECRET, RASA_SECRET, REST_SECRET
from bot.core.paths import ROOT, VAR, write_private
from bot.core.units import load_units
from bot.core.web import is_localhost

BIN = Path(sys.executable).parent
RASA = str(BIN / "rasa")
RASA_SERVER = [sys.executable, "-m", "bot.server"]  # Rasa's command line with the server settings applied


def latest_model(models_dir: Path) -> Optional[Path]:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def needs_training(models_dir: Path) -> bool:
    """True when there is no model, or Rasa's fingerprint says the last one is stale."""
    if latest_model(models_dir) is None:
        return True
    dry_run = subprocess.run(
        [RASA, "train", "--dry-run", "--out", str(models_dir)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return dry_run.returncode != 0


def train(models_dir: Path) -> Path:
    subprocess.run([RASA, "train", "--out", str(models_dir)], cwd=ROOT, check=True)
    model = latest_model(models_dir)
    assert model is not None
    return model


TRACKER_STORE = "bot.server.tracker_store.CachingSQLTrackerStore"  # Rasa's SQL store, keeping recent trackers


def write_endpoints(state_dir: Path, actions_port: int, tracker_store_url: Optional[str] = None,
                    redis_url: Optional[str] = None) -> Path:
    """endpoints.yml with this run's action server port and tracker store
    (the SQLite file in the state folder, or TRACKER_STORE_URL), and Redis as
    the lock store when REDIS_URL is set (required by several replicas)."""
    from sqlalchemy.engine import make_url

    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    endpoints["action_endpoint"]["url"] = f"http://localhost:{actions_port}/webhook"
    if tracker_store_url:
        url = make_url(tracker_store_url)
        endpoints["tracker_store"] = {
            "type": TRACKER_STORE, "dialect": url.drivername.split("+")[0], "url": url.host, "port": url.port,
            "db": url.database, "username": url.username, "password": url.password,
        }
    store = endpoints.get("tracker_store") or {}
    if store.get("type") == TRACKER_STORE and store.get("dialect") == "sqlite":
        store["db"] = str(state_dir / "tracker.db")
        with sqlite3.connect(store["db"]) as tracker_db:  # WAL is kept in the file: Rasa's connections use it
            tracker_db.execute("PRAGMA journal_mode=WAL")
    if redis_url:
        url = make_url(redis_url)
        endpoints["lock_store"] = {"type": "redis", "url": url.host, "port": url.port or 6379,
                                   "db": int(url.database or 0), "password": url.password}
    path = state_dir / "endpoints.yml"
    write_private(path, yaml.safe_dump(endpoints, allow_unicode=True))  # may hold the tracker store's password
    return path


def shown(url: Optional[str]) -> Optional[str]:
    """A database URL as it may be printed: without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True) if url else url


def prepare_database(database_url: str) -> None:
    """Create the project database's tables once, before the processes that
    share it start (several creating them at once may fail on PostgreSQL)."""
    from bot.core import db

    db.create_tables(db.engine(database_url), *db.all_tables())


def replica_problem(replicas: int, redis_url: Optional[str]) -> Optional[str]:
    """Why these settings cannot run several replicas, or None. The databases
    may stay SQLite files (the state folder's, shared by the replicas of one
    machine); replicas on several machines need PostgreSQL (README)."""
    if replicas >= 2 and not redis_url:
        return "several replicas need Redis as Rasa's lock store: set REDIS_URL (redis://host:port/0)"
    return None


def dev_zalo_env(state_dir: Path, sim_url: str, database_url: str) -> dict:
    """Zalo settings for the simulator: stable secrets kept in the state folder,
    and the tokens the connector last saved (tokens rotate on refresh)."""
    path = state_dir / "zalo_dev.json"
    if path.exists():
        dev = json.loads(path.read_text())
    else:
        dev = {
            "ZALO_APP_ID": "1000000000000000001",
            "ZALO_APP_SECRET": secrets.token_hex(16),
            "ZALO_OA_SECRET_KEY": secrets.token_hex(16),
            "ZALO_OA_ID": "2000000000000000002",
            "ZALO_ACCESS_TOKEN": secrets.token_hex(24),
            "ZALO_REFRESH_TOKEN": secrets.token_hex(24),
        }
        write_private(path, json.dumps(dev))
    from bot.core.db import engine
    from bot.zalo.store import ZaloStore

    saved = ZaloStore(engine(database_url)).tokens(dev["ZALO_OA_ID"])
    if saved:
        dev["ZALO_ACCESS_TOKEN"], dev["ZALO_REFRESH_TOKEN"] = saved["access_token"], saved["refresh_token"]
    return {**dev, "ZALO_OA_NAME": "Công an phường (mô phỏng)", "ZALO_API_BASE": sim_url, "ZALO_OAUTH_BASE": sim_url}


def answers(url: str, timeout: float) -> bool:
    """Whether ``url`` answers 200 within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except Exception:  # refused, timed out, an HTTP error, a broken answer...: not up
        return False


def wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with code {process.returncode} before {url} answered")
        if answers(url, timeout=2):
            return
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def _die_with_parent() -> None:
    """In a child before exec: get SIGTERM if the launcher dies, however it dies (Linux)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _say(level: str, message: str) -> None:
    """A line for operators on stderr."""
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} launcher {level}: {message}", file=sys.stderr, flush=True)


def _exit_status(code: int) -> str:
    if code < 0:
        try:
            return f"exited with code {code} ({signal.Signals(-code).name})"
        except ValueError:
            pass
    return f"exited with code {code}"


class Processes:
    """The child processes, each in its own process group so all of it stops.

    Each child has its own restart policy, like systemd's ``Restart=always``
    with a growing ``RestartSec``: one that exits, or stops answering its
    health URL (hung), is started again after a delay that doubles at each
    restart (FIRST_DELAY up to MAX_DELAY) and goes back to FIRST_DELAY once it
    stayed up STABLE_AFTER seconds. A crash-looping child never stops the
    others: the launcher never gives up on its own.
    """

    FIRST_DELAY = 0.5  # seconds before the first restart
    MAX_DELAY = 30.0
    STABLE_AFTER = 60.0  # seconds up after which a death counts as a first one again
    PROBE_EVERY = 5.0  # seconds between health checks of a child
    PROBE_TIMEOUT = 3.0
    # in a row (about 30 s without an answer): the child is hung, killed and started again. Not fewer: a
    # busy child on a loaded 2-core machine may not answer for a while (a Rasa server loading a model, a
    # long action), and killing a slow but working process costs every citizen on it their answers
    MAX_FAILED_PROBES = 6

    class Child:
        """One process kept running: how to start it, where it answers, its restart state."""

        def __init__(self, name: str, command: List[str], kwargs: dict, health_url: Optional[str],
                     start_timeout: float, first_delay: float) -> None:
            self.name, self.command, self.kwargs = name, command, kwargs
            self.health_url, self.start_timeout = health_url, start_timeout
            self.delay = first_delay  # before the next restart
            self.process: Optional[subprocess.Popen] = None  # None while waiting to be started again
            self.started = 0.0  # time.monotonic() of the last start
            self.restart_at = 0.0  # while down: when to start it again

        def start(self) -> subprocess.Popen:
            self.started = time.monotonic()
            self.process = subprocess.Popen(self.command, cwd=ROOT, start_new_session=True,
                                            preexec_fn=_die_with_parent, **self.kwargs)
            self.answered = False  # its health URL answered since this start
            self.failed_probes = 0  # in a row
            self.probe: Optional[tuple] = None  # (thread, result, started) of the health check under way
            self.next_probe = self.started
            return self.process

        def kill(self) -> None:
            """SIGKILL to its whole process group (or to what is left of it)."""
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()

        def hung(self, now: float, every: float, timeout: float, limit: int) -> bool:
            """Probe the health URL in a thread now and then, without waiting for it;
            True after ``limit`` failed probes in a row (failures while it starts,
            before it first answered, count only after ``start_timeout``)."""
            if not self.health_url:
                return False
            if self.probe is None:
                if now >= self.next_probe:
                    result: list = []
                    thread = threading.Thread(target=lambda: result.append(answers(self.health_url, timeout)),
                                              name=f"probe {self.name}", daemon=True)
                    thread.start()
                    self.probe, self.next_probe = (thread, result, now), now + every
                return False
            thread, result, started = self.probe
            if thread.is_alive() and now - started < every:
                return False
            self.probe = None  # done, or still going after `every` seconds: a failure
            if result == [True]:
                self.answered, self.failed_probes = True, 0
            elif self.answered or now - self.started > self.start_timeout:
                self.failed_probes += 1
            return self.failed_probes >= limit

    def __init__(self) -> None:
        self.children: List[Processes.Child] = []

    def start(self, command: List[str], name: Optional[str] = None, health_url: Optional[str] = None,
              start_timeout: float = 120.0, **kwargs) -> subprocess.Popen:
        """Start a child (Popen's ``kwargs``); ``health_url`` answers 200 while
        it is well, from at most ``start_timeout`` seconds after it starts."""
        child = self.Child(name or " ".join(command[:3]), command, kwargs, health_url, start_timeout,
                           self.FIRST_DELAY)
        self.children.append(child)
        return child.start()

    def revive(self) -> None:
        """One supervision step: start again the children whose delay is over;
        notice those that exited or are hung (and kill those)."""
        now = time.monotonic()
        for child in self.children:
            if child.process is None:
                if now >= child.restart_at:
                    try:
                        child.start()
                        _say("info", f"{child.name} started again (pid {child.process.pid})")
                    except OSError as error:
                        self._down(child, now, f"could not be started ({error})")
            elif child.process.poll() is not None:
                child.kill()  # anything it left behind in its group, which might hold its port
                self._down(child, now, _exit_status(child.process.returncode))
            elif child.hung(now, self.PROBE_EVERY, self.PROBE_TIMEOUT, self.MAX_FAILED_PROBES):
                child.kill()
                self._down(child, now, f"did not answer {child.health_url} {child.failed_probes} times in a row "
                                       f"(hung); killed it")

    def _down(self, child: Processes.Child, now: float, why: str) -> None:
        if now - child.started >= self.STABLE_AFTER:
            child.delay = self.FIRST_DELAY
        pid = f" (pid {child.process.pid})" if child.process else ""
        child.process, child.restart_at = None, now + child.delay
        at = time.strftime("%H:%M:%S", time.localtime(time.time() + child.delay))
        _say("warning", f"{child.name}{pid} {why}; starting it again in {child.delay:.1f} s (at {at})")
        child.delay = min(child.delay * 2, self.MAX_DELAY)

    def stop(self) -> None:
        running = [child.process for child in self.children if child.process is not None]
        for process in running:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 10
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# ---------------------------------------------------------------- the summary printed once everything is up

WILDCARDS = ("0.0.0.0", "::", "")  # listening on every interface


def url_at(host: str, port: int) -> str:
    """How this machine reaches a server listening on ``host``:``port``."""
    if host in WILDCARDS:
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def this_machine() -> List[str]:
    """What other machines may reach this one at: its host name and its own
    IPv4 addresses (loopback left out), found without sending anything."""
    addresses = set()
    try:
        addresses.update(info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET))
    except OSError:
        pass
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # a documentation address: UDP sends nothing, the kernel picks our route
            addresses.add(probe.getsockname()[0])
    except OSError:  # no route: no network
        pass
    ips = [ipaddress.ip_address(a) for a in addresses]
    return [socket.gethostname(), *sorted(str(ip) for ip in ips if not (ip.is_loopback or ip.is_unspecified))]


def listening(args: argparse.Namespace, simulated: bool) -> List[str]:
    """Where each server really listens (``--public-host``, ``--host``), and
    for every interface, the addresses other machines reach it at."""
    s, ports = ("s" if args.replicas > 1 else ""), lambda base: " ".join(f":{base + i}" for i in range(args.replicas))
    servers = [(args.public_host, f"web server{s} {ports(args.web_port)}"),
               (args.public_host, f"Zalo intake server :{args.intake_port}"),
               (args.host, f"Rasa server{s} {ports(args.port)}"), (args.host, f"action server :{args.actions_port}"),
               *([(args.host, f"Zalo simulator :{args.sim_port}")] if simulated else [])]
    lines: List[str] = []
    for host in dict.fromkeys(host for host, _ in servers):  # in order, once each
        if host in WILDCARDS:
            where = f"all interfaces ({host or '0.0.0.0'})"
        elif host in ("127.0.0.1", "::1", "localhost"):
            where = f"{host} (this machine only)"
        else:
            where = host
        lines.append(f"{', '.join(name for h, name in servers if h == host)} on {where}")
    if args.public_host in WILDCARDS:
        lines.append("from other machines: " + ", ".join(
            f"http://{name}:{args.web_port}/console" for name in this_machine()))
    return lines


def public_url_warnings(public_url: str, configured: bool, real_zalo: bool) -> List[str]:
    """What an operator must know when citizens' links point at this machine."""
    if not is_localhost(public_url):
        return []
    why = "PUBLIC_URL is not set" if not configured else f"PUBLIC_URL is {public_url}, this machine"
    lines = [
        f"WARNING: {why}: form links, procedure QR codes (/hoi/ pages) and announcement images point at",
        f"         {public_url}, this machine, which citizens' phones cannot open. Set PUBLIC_URL=https://<the",
        "         address phones and Zalo reach the web server at> (README, Configuration); until then the console",
        "         and python -m bot.qr.sheets refuse to print procedure QR sheets.",
    ]
    if real_zalo:
        lines += [
            f"WARNING: real Zalo credentials are configured (ZALO_APP_ID) but PUBLIC_URL is {public_url}:",
            "         Zalo's servers cannot fetch form files or announcement images from it.",
        ]
    return lines


def first_officer_hint(database_url: Optional[str]) -> str:
    """The command creating the first officer account, with the valid unit ids (data/units.yml)."""
    units = ", ".join(load_units().units)
    return (f"first officer: .venv/bin/python -m bot.console.officers add USERNAME --unit <one of: {units}> "
            "--role commander" + (f"  (with DATABASE_URL={database_url})" if database_url else ""))


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/run", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=5005, help="Rasa server port (default 5005)")
    parser.add_argument("--actions-port", type=int, default=5055, help="action server port (default 5055)")
    parser.add_argument("--web-port", type=int, default=5080, help="web server port: forms (default 5080)")
    parser.add_argument("--intake-port", type=int, default=5070,
                        help="Zalo webhook intake server port (default 5070): where Zalo's webhook points")
    parser.add_argument("--sim-port", type=int, default=5090,
                        help="Zalo simulator port, when ZALO_APP_ID is not set (default 5090)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="interface the internal servers listen on: Rasa (its HTTP API and REST channel), "
                             "the action server, the Zalo simulator (default: localhost only)")
    parser.add_argument("--public-host", default="0.0.0.0",
                        help="interface the public servers listen on: the Zalo intake (Zalo's webhook) and the "
                             "web server (forms, console) (default: every interface)")
    parser.add_argument("--models-dir", type=Path, default=ROOT / "models", help="where models are kept")
    parser.add_argument("--model", type=Path, help="use this model file; no training check")
    parser.add_argument("--state-dir", type=Path, default=VAR, help="SQLite files and runtime config")
    parser.add_argument("--shell", action="store_true", help="chat in this terminal (rasa shell) instead")
    parser.add_argument("--replicas", type=int, default=1,
                        help="Rasa servers and web servers to run (on --port + i and --web-port + i); "
                             "2 or more need PostgreSQL and Redis (see README, Production)")
    return parser.parse_args(argv)


def write_review_settings(state_dir: Path, replicas: List[str], generated_secret: Optional[str]) -> None:
    """Where ``python -m bot.review retrain`` finds this run's Rasa replicas,
    and the HTTP API's secret when it was made for this run (0600; a secret
    set in the environment is never written)."""
    from bot.review.swap import REPLICAS_FILE, SECRET_FILE

    write_private(state_dir / REPLICAS_FILE, json.dumps({"urls": replicas}))
    if generated_secret:
        write_private(state_dir / SECRET_FILE, generated_secret)
    else:
        (state_dir / SECRET_FILE).unlink(missing_ok=True)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    os.umask(0o077)  # every file this run and its processes create is its owner's only (databases, logs, secrets)
    args.state_dir.mkdir(parents=True, exist_ok=True)
    for path in args.state_dir.iterdir():  # and those an older version left readable by all
        if path.is_file():
            path.chmod(0o600)
    model = args.model
    if model is None:
        if needs_training(args.models_dir):
            print("==> Data, config or NLU code changed: training a model", flush=True)
            model = train(args.models_dir)
        else:
            model = latest_model(args.models_dir)
            print(f"==> Model is up to date: {model}", flush=True)
    # the internal services' secrets (bot/core/internal_auth.py): from the environment, else made for this run
    internal = {name: os.environ.get(name) or secrets.token_urlsafe(24) for name in (RASA_SECRET, ACTIONS_SECRET)}
    database_url = os.environ.get("DATABASE_URL") or default_database_url(args.state_dir)
    tracker_store_url, redis_url = os.environ.get("TRACKER_STORE_URL"), os.environ.get("REDIS_URL")
    problem = replica_problem(args.replicas, redis_url)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    endpoints = write_endpoints(args.state_dir, args.actions_port, tracker_store_url, redis_url)
    prepare_database(database_url)

    processes = Processes()
    stopping = False

    def on_signal(signum, frame):  # noqa: ARG001 - signal handler signature
        nonlocal stopping
        stopping = True

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # Ctrl-C, kill, terminal closed
        signal.signal(signum, on_signal)
    # the address citizens' apps reach the web server at (forms links)
    public_url = (os.environ.get("PUBLIC_URL") or f"http://localhost:{args.web_port}").rstrip("/")
    child_env = {
        **os.environ, "PUBLIC_URL": public_url, "FORMS_BASE_URL": f"{public_url}/forms", "DATABASE_URL": database_url,
        "RASA_URL": f"http://127.0.0.1:{args.port}", **internal,
        # tip-off contents are encrypted with this key, kept outside the database (bot/core/cipher.py)
        "TIPOFF_KEY": load_key(key_file(args.state_dir)),
        # the purge job and bot.privacy reach the conversations here (bot/privacy/retention.py)
        "TRACKER_STORE_URL": tracker_store_url or f"sqlite:///{(args.state_dir / 'tracker.db').resolve()}",
        # the retrain (bot/review/retrain.py) puts a new model here and live on every replica
        "MODELS_DIR": str(args.models_dir.resolve()), "STATE_DIR": str(args.state_dir.resolve()),
        "RASA_REPLICAS": ",".join(f"http://127.0.0.1:{args.port + i}" for i in range(args.replicas)),
    }
    write_review_settings(args.state_dir, child_env["RASA_REPLICAS"].split(","),
                          None if os.environ.get(RASA_SECRET) else internal[RASA_SECRET])
    simulated = not os.environ.get("ZALO_APP_ID")
    sim_url = f"http://127.0.0.1:{args.sim_port}"
    rest_token_file = args.state_dir / "rest_channel.token"
    if simulated:
        child_env.update(dev_zalo_env(args.state_dir, sim_url, database_url))
        # development: the REST channel is on, with a token kept in the state folder (production: off unless set)
        child_env[REST_SECRET] = os.environ.get(REST_SECRET) or secrets.token_urlsafe(24)
    if child_env.get(REST_SECRET):
        write_private(rest_token_file, child_env[REST_SECRET])
    try:
        if simulated:
            account = ":".join(child_env[k] for k in (
                "ZALO_OA_ID", "ZALO_OA_SECRET_KEY", "ZALO_ACCESS_TOKEN", "ZALO_REFRESH_TOKEN"))
            simulator = processes.start([  # its secrets in the environment, not on the command line
                sys.executable, "-m", "devtools.zalo_sim", "--host", args.host, "--port", str(args.sim_port),
                "--webhook-url", f"http://127.0.0.1:{args.intake_port}/webhooks/zalo/webhook",
                "--users-file", str(args.state_dir / "zalo_sim_users.json"),
            ], env={**os.environ, "ZALO_SIM_APP_ID": child_env["ZALO_APP_ID"],
                    "ZALO_SIM_APP_SECRET": child_env["ZALO_APP_SECRET"], "ZALO_SIM_OA": account},
                name="Zalo simulator")
            wait_until_up(f"{sim_url}/_sim/state", simulator, timeout=120)
        webs = [  # web server i talks to Rasa replica i
            processes.start([sys.executable, "-m", "bot.apps.web", "--host", args.public_host,
                             "--port", str(args.web_port + i)],
                            env={**child_env, "RASA_URL": f"http://127.0.0.1:{args.port + i}"},
                            name=f"web server {i + 1}", health_url=f"http://127.0.0.1:{args.web_port + i}/health")
            for i in range(args.replicas)
        ]
        # Zalo's webhook: verified, stored and acknowledged there, whatever the Rasa servers are doing
        intake = processes.start(
            [sys.executable, "-m", "bot.apps.intake", "--host", args.public_host, "--port", str(args.intake_port),
             *[arg for i in range(args.replicas) for arg in ("--rasa-url", f"http://127.0.0.1:{args.port + i}")]],
            env={**child_env, "ZALO_WORKER_ID": f"{socket.gethostname()}:intake"},
            name="Zalo intake server", health_url=f"http://127.0.0.1:{args.intake_port}/health",
        )
        actions = processes.start(
            [sys.executable, "-m", "bot.apps.actions", "--host", args.host, "--port", str(args.actions_port)],
            env=child_env, name="action server", health_url=f"http://127.0.0.1:{args.actions_port}/health",
        )
        for i, web in enumerate(webs):
            wait_until_up(f"http://127.0.0.1:{args.web_port + i}/health", web, timeout=120)
        wait_until_up(f"http://127.0.0.1:{args.actions_port}/health", actions, timeout=120)
        wait_until_up(f"http://127.0.0.1:{args.intake_port}/health", intake, timeout=120)
        if args.shell:
            shell = subprocess.run(
                [*RASA_SERVER, "shell", "--model", str(model), "--endpoints", str(endpoints)],
                cwd=ROOT, env=child_env,
            )
            return shell.returncode
        for i in range(args.replicas):  # one after the other: the first creates the tracker store's tables
            server = processes.start(
                env={**child_env, "ZALO_WORKER_ID": f"{socket.gethostname()}:rasa-{i}"},  # same after a restart
                name=f"Rasa server {i + 1}", health_url=f"http://127.0.0.1:{args.port + i}/", start_timeout=300,
                command=[  # Rasa with the project's server settings (bot/server/settings.py)
                    *RASA_SERVER, "run",
                    "--enable-api",  # JWT-protected with RASA_AUTH_TOKEN (bot/server/__main__.py)
                    "--interface", args.host,
                    "--port", str(args.port + i),
                    # the newest model of the folder, so a restart after a live swap keeps the new one
                    "--model", str(model if args.model else args.models_dir),
                    "--endpoints", str(endpoints),
                    "--credentials", str(ROOT / "credentials.yml"),
                ],
            )
            wait_until_up(f"http://127.0.0.1:{args.port + i}/", server, timeout=300)
        base, web = url_at(args.host, args.port), url_at(args.public_host, args.web_port)
        lines = [
            "",
            "The assistant is running.",
            *([f"  Chat (REST channel): POST {base}/webhooks/rest/webhook",
               f"      curl -s {base}/webhooks/rest/webhook -H \"Authorization: Bearer $(cat {rest_token_file})\" "
               f"-d '{{\"sender\": \"citizen-1\", \"message\": \"xin chào\"}}'"]
              if child_env.get(REST_SECRET) else [f"  REST channel:        off (set {REST_SECRET} to turn it on)"]),
            f"  Rasa HTTP API:       {base}/status  (JWT signed with {RASA_SECRET}: "
            "python -m bot.core.internal_auth prints the header)",
            f"  Action server:       {url_at(args.host, args.actions_port)}/health",
            f"  Forms:               {public_url}/forms  (e.g. {public_url}/forms/CT01.docx)",
            f"  Officer console:     {web}/console",
            "      " + first_officer_hint(None if os.environ.get("DATABASE_URL") else database_url),
            f"  Zalo webhook:        POST {url_at(args.public_host, args.intake_port)}/webhooks/zalo/webhook  "
            "(intake server)",
            *([f"  Zalo simulator:      {url_at(args.host, args.sim_port)}  (chat as a citizen on Zalo)"]
              if simulated else []),
            *[f"  Rasa replica {i + 1}: {url_at(args.host, args.port + i)}  "
              f"(console {url_at(args.public_host, args.web_port + i)}/console)"
              for i in range(args.replicas) if args.replicas > 1],
            *[("  Listening:           " if n == 0 else "                       ") + line
              for n, line in enumerate(listening(args, simulated))],
            f"  Tracker store:       {shown(tracker_store_url) or 'SQLite ' + str(args.state_dir / 'tracker.db')}",
            *([f"  Lock store:          Redis {shown(redis_url)}"] if redis_url else []),
            f"  Project database:    {shown(database_url)}",
            f"  Model:               {model}",
            *public_url_warnings(public_url, configured=bool(os.environ.get("PUBLIC_URL")), real_zalo=not simulated),
            "Press Ctrl-C to stop.",
            "",
        ]
        print("\n".join(lines), flush=True)
        while not stopping:  # only Ctrl-C or SIGTERM stops the launcher now
            processes.revive()
            time.sleep(0.2)
        print("Stopping every process...", flush=True)
        processes.stop()
        print("Stopped.", flush=True)
        return 0
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        processes.stop()


if __name__ == "__main__":
    sys.exit(main())
