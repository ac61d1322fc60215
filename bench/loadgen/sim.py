"""The project's Zalo simulator (devtools/zalo_sim), instrumented for the load benchmark.

    python bench/loadgen/sim.py --port P --app-id A --app-secret S --oa OA:KEY:ACCESS:REFRESH

The Open API is the simulator's own code (create_app); three changes, none
of them in what the connector sees:

* GET /_bench/stream: one long-lived chunked response, one JSON line per
  accepted OA -> user message, written when the simulator accepts the call:
  {"u": user_id, "t": time.time() at acceptance, "b": [button payloads]}.
  The load generator reads it instead of polling /_sim/messages (which
  filters every message ever sent and returns whole bodies), so reply
  times cost no polling at all and have sub-millisecond resolution (the
  records' own "time" field is whole milliseconds).
* every user counts as having written to the OA (the generator posts its
  webhooks straight to the Rasa server, so the simulator never saw them);
* message, request, conversation and upload records are bounded, so a long
  run does not grow the simulator's memory.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from collections import OrderedDict, deque
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sanic.request import Request  # noqa: E402

from devtools.zalo_sim.__main__ import parse_account  # noqa: E402
from devtools.zalo_sim.server import SimConfig, create_app  # noqa: E402

QUERY_BUTTONS = {"oa.query.show", "oa.query.hide"}


class Notifier:
    """Stands in for SimState.messages: tells the streams, keeps a count only."""

    def __init__(self) -> None:
        self.count = 0
        self.streams: set = set()

    def append(self, record: dict) -> None:
        self.count += 1
        message = record["body"].get("message") or {}
        buttons = ((message.get("attachment") or {}).get("payload") or {}).get("buttons") or []
        line = json.dumps({
            "u": record["user_id"], "t": time.time(),
            "b": [b["payload"] for b in buttons if b.get("type") in QUERY_BUTTONS],
        }, ensure_ascii=False) + "\n"
        for queue in self.streams:
            queue.put_nowait(line)

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return self.count


class BoundedDict(OrderedDict):
    """Uploads: the connector sends a file right after uploading it."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key, value) -> None:
        super().__setitem__(key, value)
        while len(self) > self.limit:
            self.popitem(last=False)


def instrument(app) -> Notifier:
    state = app.ctx.state
    notifier = Notifier()
    state.messages = notifier
    state.requests = deque(maxlen=200)
    state.conversation = deque(maxlen=200)
    state.uploads = BoundedDict(500)
    state.has_interacted = lambda oa_id, user_id: True

    async def stream(request: Request):
        sock = request.transport.get_extra_info("socket")
        if sock is not None:  # one small write per message: no Nagle delay
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        response = await request.respond(content_type="application/x-ndjson")
        queue: asyncio.Queue = asyncio.Queue()
        notifier.streams.add(queue)
        try:
            await response.send(json.dumps({"hello": True}) + "\n")
            while True:
                lines = [await queue.get()]
                while not queue.empty():
                    lines.append(queue.get_nowait())
                await response.send("".join(lines))
        finally:
            notifier.streams.discard(queue)

    app.add_route(stream, "/_bench/stream", methods=["GET"], name="bench_stream")
    return notifier


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--app-secret", required=True)
    parser.add_argument("--oa", type=parse_account, required=True)
    args = parser.parse_args()
    config = SimConfig(app_id=args.app_id, app_secret=args.app_secret, accounts=[args.oa],
                       public_url=f"http://127.0.0.1:{args.port}")
    app = create_app(config)
    instrument(app)
    app.run(host="127.0.0.1", port=args.port, access_log=False, motd=False)


if __name__ == "__main__":
    main()
