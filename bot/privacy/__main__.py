"""Personal data from the command line (docs/privacy.md):

    python -m bot.privacy purge                        # delete what is past its retention (data/privacy.yml)
    python -m bot.privacy export ZALO_USER_ID --by OFFICER [--out FILE]
    python -m bot.privacy erase ZALO_USER_ID --by OFFICER

DATABASE_URL and TRACKER_STORE_URL as for the assistant (default: the state
folder's SQLite files). Every command is written to the audit log.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

from bot.core.paths import write_private
from bot.privacy.retention import Retention


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.privacy", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("purge", help="delete what is past its retention")
    for name in ("export", "erase"):
        command = commands.add_parser(name, help=f"{name} one citizen's data")
        command.add_argument("conversation_id", help="the citizen's Zalo user id (or rest:<sender>)")
        command.add_argument("--by", required=True, help="who asks for it, for the audit log (an officer's username)")
        if name == "export":
            command.add_argument("--out", help="write the JSON here (default: standard output)")
    args = parser.parse_args(argv)
    retention = Retention.from_env()
    if args.command == "purge":
        for name, count in retention.purge().items():
            print(f"{name}: {count} deleted")
    elif args.command == "export":
        data = json.dumps(retention.export(args.conversation_id, args.by), ensure_ascii=False, indent=1)
        if args.out:
            write_private(Path(args.out), data)  # personal data: readable by its owner only
        else:
            print(data)
    else:
        for name, count in retention.erase(args.conversation_id, args.by).items():
            print(f"{name}: {count} deleted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
