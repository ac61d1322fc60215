"""The lexicon file (data/lexicon.yml): abbreviations and compound words.
Read by the tokenizer (a Rasa component) and by the answers, in processes
that never load Rasa's NLU (the web server): so no Rasa import here."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import yaml


def read_lexicon(path: Path) -> Dict[str, Any]:
    """The raw lexicon file: ``abbreviations`` (word -> meaning(s)) and ``compounds``."""
    if not path.exists():
        return {"abbreviations": {}, "compounds": []}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        "abbreviations": data.get("abbreviations") or {},
        "compounds": data.get("compounds") or [],
    }
