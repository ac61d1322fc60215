"""Private PostgreSQL and Redis servers for the two-replica test, from
Debian's packages (scripts/test installs them): each in a temporary folder
on a free port, stopped when the test module ends."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List

from tests.conftest import free_port


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: scripts/test installs Debian's 'postgresql' package")
    return Path(found[-1]).parent


def _as_postgres_user(command: List[str]) -> List[str]:
    """PostgreSQL refuses to run as root: run it as the 'postgres' user the package created."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres(folder: Path, databases: List[str]) -> Iterator[str]:
    """A running PostgreSQL with these databases; yields the URL prefix ``postgresql://rasa@127.0.0.1:PORT``."""
    bin_dir, port = _postgres_bin(), free_port()
    # its own folder under /tmp: the postgres user cannot enter pytest's root-only folders
    home = Path(tempfile.mkdtemp(prefix="pg-"))
    data, sockets = home / "data", home / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        for path in (home, sockets):
            shutil.chown(path, "postgres")
    run(_as_postgres_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "rasa", "--auth=trust",
                           "--encoding=UTF8", "--no-locale"]))
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    run(_as_postgres_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w",
                           "-l", str(home / "postgres.log"), "start"]))
    try:
        for name in databases:
            run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "rasa", name])
        yield f"postgresql://rasa@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                       capture_output=True)
        shutil.copy(home / "postgres.log", folder / "postgres.log")
        shutil.rmtree(home, ignore_errors=True)


def run(command: List[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stdout}{done.stderr}")


@contextmanager
def redis(folder: Path) -> Iterator[str]:
    """A running Redis without persistence; yields its URL."""
    server = shutil.which("redis-server")
    if server is None:
        raise RuntimeError("Redis is not installed: scripts/test installs Debian's 'redis-server' package")
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(folder)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis as client

        deadline = time.monotonic() + 30
        while True:
            try:
                client.Redis(host="127.0.0.1", port=port).ping()
                break
            except client.exceptions.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.2)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
