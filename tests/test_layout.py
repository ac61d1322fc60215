"""The architecture holds: every table is created, the Zalo transport stays
underneath the features, and the Rasa server's settings are applied only
where the server is assembled (bot/server/settings.py)."""

from __future__ import annotations

import ast
import re
import os
import subprocess
import sys
from pathlib import Path

from bot.core import db
from bot.core.paths import ROOT

FEATURES = ("bot.announcements", "bot.console", "bot.handoff", "bot.knowledge", "bot.qr", "bot.safety", "bot.tipoffs")


def imports_of(path: Path) -> set:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_every_module_that_defines_tables_is_created_by_the_launcher():
    # a module defines project tables when it makes a Table on the project's metadata (the reports' rollups
    # live in the tracker store, on their own metadata: not the launcher's)
    own_table = re.compile(r"Table\(\s*\"\w+\",\s*(db\.)?metadata\b")
    defining = sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in (ROOT / "bot").rglob("*.py") if own_table.search(path.read_text(encoding="utf-8")))
    assert defining and set(defining) <= set(db.TABLE_MODULES), f"add to bot/core/db.py TABLE_MODULES: {defining}"
    names = {t.name for t in db.all_tables()}
    assert {"handoffs", "zalo_outbox", "tipoffs", "announcements", "audit_log"} <= names


def test_the_zalo_transport_does_not_reach_into_the_features():
    for path in (ROOT / "bot" / "zalo").glob("*.py"):
        wrong = {m for m in imports_of(path) if m.startswith(FEATURES)}
        assert not wrong, f"{path.relative_to(ROOT)} imports {wrong}"


def test_importing_the_zalo_channel_changes_nothing_in_rasa_until_the_server_is_configured():
    probe = (
        "import gc, logging\n"
        "from rasa.core.actions.action import RemoteAction\n"
        "import rasa.core.run\n"
        "before = (RemoteAction._validate_action_result, rasa.core.run.configure_app,\n"
        "          list(logging.getLogger('rasa.core.processor').handlers))\n"
        "import channels.zalo\n"
        "after = (RemoteAction._validate_action_result, rasa.core.run.configure_app,\n"
        "         list(logging.getLogger('rasa.core.processor').handlers))\n"
        "assert before == after, 'importing the channel changed Rasa'\n"
        "from bot.server import settings\n"
        "settings.configure()\n"
        "assert RemoteAction._validate_action_result.__module__ == 'bot.server.speedups'\n"
        "assert rasa.core.run.configure_app is not before[1]\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.stdout.strip().endswith("ok"), result.stderr[-3000:]


def test_the_web_server_does_not_load_rasa_or_tensorflow(tmp_path):
    """Seconds of start-up and a heap whose garbage collection held up the
    console's event loop, for nothing: the web server runs no NLU."""
    probe = ("import sys\n"
             "from bot.apps.web import create_app\n"
             "create_app()\n"
             "print(sorted(m for m in ('rasa', 'tensorflow') if m in sys.modules))\n")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'project.db'}"})
    assert result.stdout.strip().endswith("[]"), result.stdout[-2000:] + result.stderr[-3000:]
