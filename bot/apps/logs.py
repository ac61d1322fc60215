"""What the servers log to their terminal (the launcher's): the project's own
lines, INFO and up, each once and with its time. Sanic prints its own lines
itself; the other dependencies' warnings and errors still reach stderr
(Python's last-resort handler), their INFO chatter does not."""

from __future__ import annotations

import logging

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def project_logging(*packages: str) -> None:
    """Log the project's ``packages`` (and the entry point, ``__main__``) at INFO."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    for name in ("__main__", *packages):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False  # not again through a handler a dependency may put on the root logger
