"""The action server: rasa_sdk's, private (docs/security.md). It listens on
localhost unless told otherwise, sends no CORS headers (no browser page may
call it), and runs an action only for a request that carries
``Authorization: Bearer <ACTION_SERVER_TOKEN>`` (Rasa sends it:
endpoints.yml). ``/health`` stays open, for the launcher's checks. The
actions' data is loaded before it listens (``actions.warm_up``): a turn may
wait only a few seconds for an action (bot/server/action_calls.py).

    ACTION_SERVER_TOKEN=... .venv/bin/python -m bot.apps.actions --port 5055
"""

from __future__ import annotations

if __name__ == "__main__":  # run as a process: the dependencies imported below print no deprecation notices
    from bot.core.dependency_warnings import silence

    silence()

import argparse
import importlib
import sys
from typing import List, Optional

from rasa_sdk.endpoint import create_app as create_sdk_app
from sanic import Sanic, response

from bot.apps.logs import project_logging
from bot.core.internal_auth import ACTIONS_SECRET, matches, secret

OPEN_PATHS = {"/health"}


def create_app(token: str, package: str = "actions") -> Sanic:
    app = create_sdk_app(package, cors_origins=None)

    @app.on_request
    async def authenticate(request):
        if request.path not in OPEN_PATHS and not matches(request.headers.get("Authorization"), token):
            return response.json({"error": "unauthorized"}, status=401)

    return app


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.apps.actions", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: localhost only)")
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args(argv)
    token = secret(ACTIONS_SECRET)
    if not token:
        print(f"error: set {ACTIONS_SECRET}: the action server runs nothing without it", file=sys.stderr)
        return 2
    project_logging("bot", "actions")
    app = create_app(token)
    importlib.import_module("actions").warm_up()
    app.run(host=args.host, port=args.port, access_log=False, motd=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
