"""How this project runs the Rasa server, in one place. ``python -m
bot.server`` (what the launcher starts instead of ``rasa``) calls
``configure()`` before Rasa's own command line; nothing here happens merely
by importing a module.

* Speed-ups of Rasa's internals (bot/server/speedups.py).
* A time limit on action calls (bot/server/action_calls.py).
* With ``RASA_AUTH_TOKEN`` set, ``run`` protects the HTTP API with Rasa's
  JWT authentication, signed with that secret (bot/core/internal_auth.py).
  The secret joins the arguments inside the process (``rasa_arguments``):
  it never appears on a command line that ``ps`` shows.
* The action-failure watch: when an action fails (the action server is
  down), Rasa only logs it, drops the action's answer and goes on, so a
  citizen would get no answer at all. A channel wraps each message it hands
  to Rasa in ``watch_actions()`` and learns whether an action failed
  (channels/zalo.py then asks the citizen to send it again).
* Once the server has started (the model, Rasa and its libraries are
  loaded: hundreds of MB of objects that live as long as the server), they
  are put out of the garbage collector's sight, so a full collection no
  longer walks them all (it stopped the server for 0.3-0.8 s under load:
  bench/load.py).
* ``PUT /model`` (the live model swap of bot/review/swap.py) loads the new
  model in a thread: meanwhile the server goes on answering with the old
  one, and the swap is one assignment. Rasa would load it on the event loop,
  and every conversation on the server would wait for it.
"""

from __future__ import annotations

import contextvars
import gc
import logging
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Optional

from bot.core.internal_auth import JWT_METHOD, RASA_SECRET, secret
from bot.server import action_calls, speedups

# The message being handed to Rasa in this task, and whether an action failed while it was.
_turn: contextvars.ContextVar[Optional[Dict[str, bool]]] = contextvars.ContextVar("rasa_turn", default=None)
_configured = False


class _ActionFailures(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        turn = _turn.get()
        if turn is not None and record.levelno >= logging.ERROR and "while running action" in record.getMessage():
            turn["action_failed"] = True


def configure() -> None:
    """Apply the settings to this process's Rasa (once)."""
    global _configured
    if _configured:
        return
    speedups.install()
    action_calls.install()
    logging.getLogger("rasa.core.processor").addHandler(_ActionFailures())
    _freeze_after_start()
    _load_models_off_the_loop()
    _configured = True


def rasa_arguments(args: List[str]) -> List[str]:
    """Rasa's command line arguments, with the HTTP API's secret for ``run``."""
    if args[:1] == ["run"] and secret(RASA_SECRET):
        return [*args, "--jwt-secret", secret(RASA_SECRET), "--jwt-method", JWT_METHOD]
    return list(args)


def _freeze_after_start() -> None:
    import rasa.core.run

    build = rasa.core.run.configure_app

    def configure_app(*args: Any, **kwargs: Any):
        app = build(*args, **kwargs)

        @app.listener("after_server_start")
        async def freeze(app, loop) -> None:  # the model is loaded before the server starts
            gc.collect()
            gc.freeze()

        return app

    rasa.core.run.configure_app = configure_app


def _load_models_off_the_loop() -> None:
    import asyncio

    import rasa.server

    load = rasa.server._load_agent

    async def load_in_a_thread(*args: Any, **kwargs: Any):
        agent = await asyncio.to_thread(lambda: asyncio.run(load(*args, **kwargs)))
        gc.collect()
        gc.freeze()  # as after start: the new model's objects out of the collector's sight
        return agent

    rasa.server._load_agent = load_in_a_thread


@contextmanager
def watch_actions() -> Iterator[Dict[str, bool]]:
    """``{"action_failed": ...}`` for what Rasa runs inside the block (only
    known when ``configure()`` was called: the server runs through
    ``python -m bot.server``)."""
    turn = {"action_failed": False}
    token = _turn.set(turn)
    try:
        yield turn
    finally:
        _turn.reset(token)
