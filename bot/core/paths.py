"""Where the project's files are: the checkout, the content files content
staff edit (data/), and the default state folder (var/: SQLite files and the
runtime configuration the launcher writes).

``CONTENT_DIR`` names another content folder for the project's own code
(reading the knowledge base, and the review queue writing examples into it:
bot/review/content.py) and for the retrain that follows it
(bot/review/retrain.py); tests point it at a copy of data/. The run
command's own training reads data/ of the checkout."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = Path(os.environ.get("CONTENT_DIR") or ROOT / "data").resolve()
VAR = ROOT / "var"


def write_private(path: Path, text: str) -> None:
    """Write a state file only its owner may read (0600): secrets, passwords."""
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file may have been made readable by all
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
