"""Reading the YAML files content staff edit under data/."""

from __future__ import annotations

from typing import Any, Dict

import yaml

from bot.core.paths import DATA


def read(name: str) -> Any:
    return yaml.safe_load((DATA / name).read_text(encoding="utf-8"))


def read_texts(name: str) -> Dict[str, Any]:
    """A file of settings and citizen-facing texts: top-level strings are put
    on one line (editors wrap the `>-` blocks where they like)."""
    return {k: " ".join(v.split()) if isinstance(v, str) else v for k, v in read(name).items()}
