"""The intake server: Zalo's webhook, answered in milliseconds whatever the
Rasa servers are doing (bot/zalo/intake.py), with emergencies answered at
once (bot/safety/emergency.py). The launcher starts it on --intake-port:

    .venv/bin/python -m bot.apps.intake --port 5070 --rasa-url http://127.0.0.1:5005
"""

from __future__ import annotations

if __name__ == "__main__":  # run as a process: the dependencies imported below print no deprecation notices
    from bot.core.dependency_warnings import silence

    silence()

import argparse
import os
from typing import List, Optional

from sanic import Sanic, response

from bot.apps.logs import project_logging
from bot.safety.emergency import Alarms
from bot.zalo.accounts import Registry
from bot.zalo.api import ZaloApi
from bot.zalo.intake import Intake, Replicas
from bot.zalo.outbox import Outbox
from bot.zalo.store import ZaloStore


def create_app(registry: Registry, replicas: Replicas, store: Optional[ZaloStore] = None) -> Sanic:
    store = store or ZaloStore()
    api = ZaloApi(registry.api_base, registry.oauth_base)
    outbox = Outbox(store, registry, api)
    app = Sanic("zalo_intake")
    intake = Intake(registry, store, outbox, lambda user_id: app.add_task(replicas.notify(user_id)),
                    Alarms(store.engine))

    @app.listener("after_server_start")
    async def started(app, loop) -> None:
        # emergency answers (and any other message) Zalo did not take at once; named: Sanic cancels and awaits
        # its named tasks when it stops (else: "Task was destroyed but it is pending!")
        app.add_task(outbox.sweep_forever(), name="zalo outbox sweep")

    @app.listener("before_server_stop")
    async def stopping(app, loop) -> None:
        await replicas.close()
        await api.close()

    @app.get("/health")
    async def health(request):
        return response.json({"status": "ok"})

    @app.post("/webhooks/zalo/webhook")
    async def webhook(request):
        status, body = intake.receive(request.body or b"", request.headers.get("X-ZEvent-Signature"))
        return response.json(body, status=status)

    return app


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=5070)
    parser.add_argument("--rasa-url", action="append", required=True,
                        help="a Rasa server running the Zalo channel; repeat for each replica")
    args = parser.parse_args(argv)
    project_logging("bot")
    app = create_app(Registry.from_env(os.environ), Replicas(args.rasa_url))
    app.run(host=args.host, port=args.port, access_log=False, motd=False)


if __name__ == "__main__":
    main()
