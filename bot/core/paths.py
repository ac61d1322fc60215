"""Where the project's files are: the checkout, the content files content
staff edit (data/), and the default state folder (var/: SQLite files and the
runtime configuration the launcher writes)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "data"
VAR = ROOT / "var"
