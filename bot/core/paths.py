"""Where the project's files are: the checkout, the content files content
staff edit (data/), and the default state folder (var/: SQLite files and the
runtime configuration the launcher writes)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "data"
VAR = ROOT / "var"


def write_private(path: Path, text: str) -> None:
    """Write a state file only its owner may read (0600): secrets, passwords."""
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file may have been made readable by all
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
