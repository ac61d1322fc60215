"""Run the Zalo OA simulator.

    python -m devtools.zalo_sim --port 5090 --webhook-url http://127.0.0.1:5005/webhooks/zalo/webhook \
        --app-id APP --app-secret SECRET --oa OA_ID:OA_SECRET_KEY:ACCESS_TOKEN:REFRESH_TOKEN[:NAME]

Every option also reads an environment variable: ZALO_SIM_PORT, ZALO_SIM_HOST,
ZALO_SIM_WEBHOOK_URL, ZALO_SIM_APP_ID, ZALO_SIM_APP_SECRET, ZALO_SIM_PUBLIC_URL
and ZALO_SIM_OA (several accounts separated by spaces or commas).
"""

from __future__ import annotations

import argparse
import os
import re

from devtools.zalo_sim.server import SimAccount, SimConfig, create_app


def parse_account(spec: str) -> SimAccount:
    parts = spec.split(":", 4)
    if len(parts) < 4 or not all(parts[:4]):
        raise argparse.ArgumentTypeError(f"expected OA_ID:OA_SECRET_KEY:ACCESS_TOKEN:REFRESH_TOKEN[:NAME], got {spec!r}")
    return SimAccount(*parts[:4], **({"name": parts[4]} if len(parts) == 5 and parts[4] else {}))


def main(argv: list[str] | None = None) -> None:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m devtools.zalo_sim", description="Zalo OA Open API simulator")
    parser.add_argument("--host", default=env("ZALO_SIM_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(env("ZALO_SIM_PORT", "5090")))
    parser.add_argument("--webhook-url", default=env("ZALO_SIM_WEBHOOK_URL"))
    parser.add_argument("--app-id", default=env("ZALO_SIM_APP_ID"))
    parser.add_argument("--app-secret", default=env("ZALO_SIM_APP_SECRET"))
    parser.add_argument("--public-url", default=env("ZALO_SIM_PUBLIC_URL"),
                        help="base URL of the simulator in generated links (default http://HOST:PORT)")
    parser.add_argument("--oa", action="append", type=parse_account, default=[],
                        metavar="OA_ID:OA_SECRET_KEY:ACCESS_TOKEN:REFRESH_TOKEN[:NAME]")
    parser.add_argument("--users-file", default=env("ZALO_SIM_USERS_FILE"),
                        help="keep the users who wrote to each OA in this JSON file, across restarts")
    args = parser.parse_args(argv)
    accounts = args.oa or [parse_account(s) for s in re.split(r"[\s,]+", env("ZALO_SIM_OA", "")) if s]
    if not (args.app_id and args.app_secret and accounts):
        parser.error("--app-id, --app-secret and at least one --oa are required")
    local_host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
    public_url = args.public_url or f"http://{local_host}:{args.port}"
    config = SimConfig(app_id=args.app_id, app_secret=args.app_secret, accounts=accounts,
                       webhook_url=args.webhook_url, public_url=public_url.rstrip("/"),
                       users_file=args.users_file)
    print(f"Zalo OA simulator on http://{args.host}:{args.port} (webhook: {args.webhook_url or 'none'}; "
          f"OAs: {', '.join(a.oa_id for a in accounts)})", flush=True)
    create_app(config).run(host=args.host, port=args.port, access_log=False, motd=False)


if __name__ == "__main__":
    main()
