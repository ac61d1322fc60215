"""The launcher's supervision of its child processes (bot/apps/launcher.py,
``Processes``), on tiny real processes and fast settings: each child has its
own restart policy with growing delays, a crash-looping child never stops
the others (the launcher never gives up), and a hung child, one that no
longer answers its health URL, is killed and started again."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from bot.apps.launcher import Processes, answers, wait_until_up
from tests.conftest import free_port

PYTHON = sys.executable
SLEEPER = [PYTHON, "-c", "import time; time.sleep(120)"]


@pytest.fixture
def processes():
    running = Processes()
    running.FIRST_DELAY, running.MAX_DELAY, running.STABLE_AFTER = 0.1, 10.0, 60.0
    running.PROBE_EVERY, running.PROBE_TIMEOUT, running.MAX_FAILED_PROBES = 0.2, 0.5, 3
    yield running
    running.stop()


def supervise(processes, seconds: float, until=None) -> None:
    """Run the launcher's loop for a while (or until ``until()`` holds)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert processes.revive() is not False, "the launcher gave up"
        if until and until():
            return
        time.sleep(0.02)
    assert until is None, "condition not met in time"


def crasher(starts_file, runs: float = 0.0) -> list:
    """A child that notes when it starts, runs ``runs`` seconds, then exits with code 3."""
    script = (f"import sys, time; open(sys.argv[1], 'a').write(f'{{time.monotonic()}}\\n'); "
              f"time.sleep({runs}); sys.exit(3)")
    return [PYTHON, "-c", script, str(starts_file)]


def test_a_crash_looping_child_is_restarted_with_growing_delays_and_its_sibling_is_left_alone(
        processes, tmp_path, capsys):
    sibling = processes.start(SLEEPER)
    starts_file = tmp_path / "starts"
    processes.start(crasher(starts_file))

    supervise(processes, 4.0)

    starts = [float(line) for line in starts_file.read_text().split()]
    assert len(starts) >= 5  # more deaths than the old launcher tolerated before stopping everything
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:])]
    for i, gap in enumerate(gaps):  # 0.1, 0.2, 0.4, 0.8... s at least between two starts
        assert gap >= 0.1 * 2 ** i * 0.95, f"restart {i + 1} came {gap:.2f} s after the previous start"
    log = capsys.readouterr().err
    delays = [float(d) for d in re.findall(r"exited with code 3; starting it again in ([\d.]+) s", log)]
    assert delays[:4] == [0.1, 0.2, 0.4, 0.8]
    assert sibling.poll() is None and processes.children[0].process is sibling  # never restarted
    assert str(sibling.pid) not in log


def test_the_delay_goes_back_to_the_first_once_a_child_stayed_up(processes, tmp_path, capsys):
    processes.STABLE_AFTER = 0.3
    starts_file = tmp_path / "starts"
    processes.start(crasher(starts_file, runs=0.5), name="steady")
    supervise(processes, 3.0)
    delays = re.findall(r"steady \(pid \d+\) exited with code 3; starting it again in ([\d.]+) s",
                        capsys.readouterr().err)
    assert len(delays) >= 2 and set(delays) == {"0.1"}


def test_a_hung_child_is_killed_and_started_again(processes, tmp_path, capsys):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    server = [PYTHON, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)]
    first = processes.start(server, name="tiny web server", health_url=url,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sibling = processes.start(SLEEPER, name="sibling")
    wait_until_up(url, first, timeout=30)
    supervise(processes, 1.5)  # answering: left alone
    assert processes.children[0].process is first

    os.kill(first.pid, signal.SIGSTOP)  # alive, but answers nothing any more
    hung_at = time.monotonic()
    child = processes.children[0]
    supervise(processes, 30, until=lambda: child.process not in (None, first) and answers(url, timeout=0.5))

    took = time.monotonic() - hung_at
    assert first.returncode == -signal.SIGKILL  # killed, though it was stopped
    assert 3 * 0.2 <= took < 15, took  # three failed checks in a row, not one
    log = capsys.readouterr().err
    assert re.search(rf"tiny web server \(pid {first.pid}\) did not answer {re.escape(url)} 3 times in a row "
                     r"\(hung\); killed it; starting it again in 0\.1 s", log), log
    assert f"tiny web server started again (pid {child.process.pid})" in log
    assert sibling.poll() is None and processes.children[1].process is sibling and "sibling" not in log


def test_a_child_gets_its_start_timeout_to_answer_before_it_counts_as_hung(processes, capsys):
    closed = f"http://127.0.0.1:{free_port()}/health"  # nothing listens there
    slow = processes.start(SLEEPER, name="slow starter", health_url=closed, start_timeout=60)
    never = processes.start(SLEEPER, name="never answers", health_url=closed, start_timeout=0.5)
    supervise(processes, 30, until=lambda: never.poll() is not None)
    assert slow.poll() is None and processes.children[0].process is slow
    log = capsys.readouterr().err
    assert "never answers" in log and "slow starter" not in log
