"""Training models and starting the two stacks under test, on 127.0.0.1 only.

ours:  the README's run command (scripts/run: launcher, Rasa server with the
       Zalo and REST channels, action server, web server), pointed through
       the ZALO_* variables at the instrumented simulator (bench/loadgen/sim.py),
       SQLite tracker store and project database in a temporary state folder.
stock: ``rasa run`` on the REST channel with a model trained on the same data,
       domain and importers but Rasa 3.6's default pipeline and policies, the
       same action server code (its own process), SQLite tracker store too.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

import yaml

from tests.conftest import free_port, free_ports  # the test suite's, for the same job

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(Path(sys.executable))
RASA = str(Path(sys.executable).parent / "rasa")
CACHE = ROOT / "bench" / ".cache"
BASE_ENV = {"RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}


def wait_http(url: str, process: subprocess.Popen, timeout: float, log: Optional[Path] = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"process exited ({process.returncode}) before {url} answered\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def clean_environ() -> Dict[str, str]:
    """This environment without settings that would point a stack elsewhere
    (a PostgreSQL database, Redis, real Zalo accounts)."""
    drop = {"DATABASE_URL", "TRACKER_STORE_URL", "REDIS_URL", "RASA_AUTH_TOKEN", "PUBLIC_URL", "FORMS_BASE_URL"}
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("ZALO_")}


def start(command: List[str], log: Path, env: Optional[Dict[str, str]] = None) -> subprocess.Popen:
    """A child in its own session (so stop() reaches all of its processes)."""
    return subprocess.Popen(command, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True, env={**clean_environ(), **BASE_ENV, **(env or {})})


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass


# --------------------------------------------------------------------------- #
# memory: /proc
# --------------------------------------------------------------------------- #

def descendants(pid: int) -> List[int]:
    """pid and every process below it (from /proc/*/stat)."""
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (/proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


ROLES = {"rasa run": "rasa_server", "bot.server run": "rasa_server", "rasa_wrapper": "rasa_server",
         "rasa_sdk": "action_server", "bot.apps.actions": "action_server", "bot.apps.intake": "intake_server", "bot.apps.web": "web_server", "bot.apps.launcher": "launcher", "loadgen/sim.py": "simulator"}


def roles(root_pids: List[int]) -> Dict[str, List[int]]:
    """The processes of a stack (the roots and everything below them), by role."""
    found: Dict[str, List[int]] = {}
    for root in root_pids:
        for pid in descendants(root):
            line = cmdline(pid)
            found.setdefault(next((name for key, name in ROLES.items() if key in line), "other"), []).append(pid)
    return found


def memory(root_pids: List[int]) -> Dict[str, float]:
    """RSS in MB of every process of a stack, by role, and their sum."""
    result = {role: sum(rss_mb(pid) for pid in pids) for role, pids in roles(root_pids).items()}
    result["total"] = sum(result.values())
    return result


def cpu_by_role(processes: Dict[str, List[int]]) -> Dict[str, float]:
    return {role: sum(cpu_seconds(pid) for pid in pids) for role, pids in processes.items()}


# --------------------------------------------------------------------------- #
# training
# --------------------------------------------------------------------------- #

def train_ours(out: Path, log: Path) -> tuple:
    """``rasa train --force`` of the project's config, cold (a fresh Rasa
    cache folder): (model path, wall seconds)."""
    cache = Path(tempfile.mkdtemp(prefix="rasa-cache-", dir=out.parent))
    started = time.perf_counter()
    done = subprocess.run([RASA, "train", "--force", "--out", str(out)], cwd=ROOT, stdout=log.open("w"),
                          stderr=subprocess.STDOUT, env={**clean_environ(), **BASE_ENV, "RASA_CACHE_DIRECTORY": str(cache)})
    seconds = time.perf_counter() - started
    shutil.rmtree(cache, ignore_errors=True)
    if done.returncode != 0:
        raise RuntimeError(f"training failed, see {log}")
    return max(out.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime), seconds


def stock_config() -> dict:
    """config.yml with Rasa's default pipeline and policies written out (the
    importers are kept: they make the procedure intents). Written out because
    Rasa does not auto-configure with several importers."""
    import importlib.util

    # the file, not the module: importing Rasa here would load TensorFlow into the load generator
    package = Path(importlib.util.find_spec("rasa").origin).parent
    default = yaml.safe_load((package / "engine/recipes/config_files/default_config.yml").read_text())
    ours = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    return {**ours, "pipeline": default["pipeline"], "policies": default["policies"]}


def stock_key(config: dict) -> str:
    """Hash of everything the stock model is made from."""
    from importlib.metadata import version

    digest = hashlib.sha256(version("rasa").encode())
    digest.update(json.dumps(config, sort_keys=True).encode())
    # the training data comes from data/ through the importers (bot/knowledge/importer.py, store.py)
    files = [ROOT / "domain.yml", *sorted((ROOT / "data").rglob("*")), *sorted((ROOT / "bot/knowledge").glob("*.py"))]
    for path in files:
        if path.is_file():
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def stock_model(log: Path) -> Dict[str, object]:
    """The stock model from bench/.cache, trained first if data, domain,
    code or config changed: {"model", "train_s", "cached", "auto_config_warning"}."""
    config = stock_config()
    key = stock_key(config)
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / ".gitignore").write_text("*\n")
    meta_path = CACHE / f"stock-{key}.json"
    model = CACHE / f"stock-{key}.tar.gz"
    if meta_path.exists() and model.exists():
        return {**json.loads(meta_path.read_text()), "model": str(model), "cached": True}
    config_path = CACHE / f"stock-{key}.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    cache = Path(tempfile.mkdtemp(prefix="rasa-cache-stock-", dir=CACHE))
    print(f"  training the stock model (Rasa's default pipeline and policies; cached as {model.name})",
          file=sys.stderr, flush=True)
    started = time.perf_counter()
    done = subprocess.run(
        [RASA, "train", "--config", str(config_path), "--out", str(CACHE), "--fixed-model-name", model.name[:-7]],
        cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT,
        env={**clean_environ(), **BASE_ENV, "RASA_CACHE_DIRECTORY": str(cache)},
    )
    seconds = time.perf_counter() - started
    shutil.rmtree(cache, ignore_errors=True)
    if done.returncode != 0:
        raise RuntimeError(f"stock training failed, see {log}")
    meta = {"train_s": seconds, "key": key, "trained_at": time.strftime("%Y-%m-%d %H:%M"),
            "auto_config_warning": "Auto-config for multiple importers" in log.read_text(errors="replace")}
    meta_path.write_text(json.dumps(meta))
    return {**meta, "model": str(model), "cached": False}


# --------------------------------------------------------------------------- #
# the stacks
# --------------------------------------------------------------------------- #

class Ours:
    """scripts/run + the instrumented simulator. With ``wrapper_env``, the
    launcher (started as scripts/run starts it) runs the Rasa server through
    bench/loadgen/rasa_wrapper.py with these variables (profiling, patches)."""

    TOKEN = "bench-" + secrets.token_hex(16)

    def __init__(self, model: Path, state: Path, wrapper_env: Optional[Dict[str, str]] = None,
                 replicas: int = 1, redis_url: Optional[str] = None):
        self.state = state
        state.mkdir(parents=True, exist_ok=True)
        self.port, self.web_port = free_ports(replicas), free_ports(replicas)
        self.sim_port, self.actions_port, self.intake_port = (free_port() for _ in range(3))
        self.app_id, self.oa_id = "1000000000000000001", "2000000000000000002"
        self.app_secret, self.oa_secret = secrets.token_hex(16), secrets.token_hex(16)
        access, refresh = secrets.token_hex(24), secrets.token_hex(24)
        self.sim = start([PYTHON, str(ROOT / "bench/loadgen/sim.py"), "--port", str(self.sim_port),
                          "--app-id", self.app_id, "--app-secret", self.app_secret,
                          "--oa", f"{self.oa_id}:{self.oa_secret}:{access}:{refresh}"], state / "sim.log")
        sim_url = f"http://127.0.0.1:{self.sim_port}"
        env = {
            "RASA_AUTH_TOKEN": self.TOKEN, "PUBLIC_URL": f"http://127.0.0.1:{self.web_port}",
            "ZALO_APP_ID": self.app_id, "ZALO_APP_SECRET": self.app_secret, "ZALO_OA_SECRET_KEY": self.oa_secret,
            "ZALO_OA_ID": self.oa_id, "ZALO_ACCESS_TOKEN": access, "ZALO_REFRESH_TOKEN": refresh,
            "ZALO_API_BASE": sim_url, "ZALO_OAUTH_BASE": sim_url,
        }
        args = ["--model", str(model), "--state-dir", str(state), "--host", "127.0.0.1", "--port", str(self.port),
                "--actions-port", str(self.actions_port), "--web-port", str(self.web_port),
                "--intake-port", str(self.intake_port), "--replicas", str(replicas),
                "--sim-port", str(free_port())]  # unused: ZALO_APP_ID is set, the launcher starts no simulator
        if redis_url:
            env["REDIS_URL"] = redis_url
        if not wrapper_env:
            command = [str(ROOT / "scripts" / "run"), *args]
        else:
            # the launcher as scripts/run starts it, with its Rasa server command replaced by the wrapper
            wrapper = state / "rasa-wrapper"
            wrapper.write_text(f'#!/bin/sh\nexec "{PYTHON}" "{ROOT / "bench/loadgen/rasa_wrapper.py"}" "$@"\n')
            wrapper.chmod(0o755)
            env.update(wrapper_env)
            command = [PYTHON, "-c", "import sys, bot.apps.launcher as launcher; launcher.RASA_SERVER = [sys.argv[1]]; "
                       "sys.exit(launcher.main(sys.argv[2:]))", str(wrapper), *args]
        self.log = state / "run.log"
        self.launcher = start(command, self.log, env)
        try:
            wait_http(f"{sim_url}/_sim/state", self.sim, 60, state / "sim.log")
            deadline = time.monotonic() + 300
            while "The assistant is running." not in self.log.read_text(errors="replace"):
                if self.launcher.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the run command did not come up:\n" + self.log.read_text()[-4000:])
                time.sleep(0.5)
        except BaseException:
            self.close()
            raise
        self.url = f"http://127.0.0.1:{self.port}"
        self.webhook_url = f"http://127.0.0.1:{self.intake_port}/webhooks/zalo/webhook"  # where Zalo posts
        self.sim_url = sim_url
        self.project_db = state / "project.db"

    def rasa_pid(self) -> Optional[int]:
        for pid in descendants(self.launcher.pid):
            line = cmdline(pid)
            if "bot.server run " in line or "rasa_wrapper.py run " in line:
                return pid
        return None

    def memory(self) -> Dict[str, float]:
        return memory([self.launcher.pid])

    def close(self) -> None:
        stop(self.launcher, signal.SIGINT, timeout=60)  # Ctrl-C: the launcher stops its children
        stop(self.sim)


class Stock:
    """Stock Rasa 3.6: ``rasa run`` (REST channel) + an action server."""

    def __init__(self, model: Path, state: Path, tracker_store: str = "sqlite"):
        state.mkdir(parents=True, exist_ok=True)
        self.port, self.actions_port = free_port(), free_port()
        endpoints: dict = {"action_endpoint": {"url": f"http://127.0.0.1:{self.actions_port}/webhook"}}
        if tracker_store == "sqlite":  # as ours; without it Rasa keeps trackers in memory
            endpoints["tracker_store"] = {"type": "SQL", "dialect": "sqlite", "db": str(state / "tracker.db")}
        (state / "endpoints.yml").write_text(yaml.safe_dump(endpoints))
        (state / "credentials.yml").write_text("rest:\n")
        env = {"DATABASE_URL": f"sqlite:///{state / 'project.db'}", "PUBLIC_URL": "http://127.0.0.1:9",
               "FORMS_BASE_URL": "http://127.0.0.1:9/forms", "RASA_URL": f"http://127.0.0.1:{self.port}"}
        self.actions = start([PYTHON, "-m", "rasa_sdk", "--actions", "actions", "--port", str(self.actions_port)],
                             state / "actions.log", env)
        self.server = start([RASA, "run", "--model", str(model), "--endpoints", str(state / "endpoints.yml"),
                             "--credentials", str(state / "credentials.yml"), "--interface", "127.0.0.1",
                             "--port", str(self.port)], state / "rasa.log", env)
        try:
            wait_http(f"http://127.0.0.1:{self.actions_port}/health", self.actions, 120, state / "actions.log")
            wait_http(f"http://127.0.0.1:{self.port}/", self.server, 300, state / "rasa.log")
        except BaseException:
            self.close()
            raise
        self.url = f"http://127.0.0.1:{self.port}"

    def memory(self) -> Dict[str, float]:
        return memory([self.server.pid, self.actions.pid])

    def close(self) -> None:
        stop(self.server)
        stop(self.actions)
