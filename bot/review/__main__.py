"""The review queue for operators without the console.

    .venv/bin/python -m bot.review list [--all]
    .venv/bin/python -m bot.review assign ID PROCEDURE [--group]
    .venv/bin/python -m bot.review out-of-scope ID AGENCY [--group]
    .venv/bin/python -m bot.review skip ID [--group]
    .venv/bin/python -m bot.review retrain ...

``list`` shows the open messages by group (ids first). ``assign`` adds the
message as an example of the procedure (its file under data/procedures/),
``out-of-scope`` as an example of the other agency's matter
(data/referrals.yml), ``skip`` closes it; ``--group``: every open message of
its group. Exit status 2 for an unknown id, procedure or agency, 1 when the
content refused the example (already an example, or the check failed).
Same database and content folder as the assistant (DATABASE_URL, CONTENT_DIR).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import List, Optional

from bot.console.officers import operator
from bot.core.web import VIETNAM
from bot.review import content, retrain
from bot.review.content import ContentError
from bot.review.grouping import groups
from bot.review.queue import ReviewQueue
from bot.review.settings import settings


def _when(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, VIETNAM).strftime("%d/%m/%Y %H:%M")


def _list(queue: ReviewQueue, everything: bool) -> int:
    found = groups(queue.store.rows(status=None if everything else "open"), settings()["samples_per_group"])
    for group in found:
        print(f"[{', '.join(map(str, group['ids']))}] {group['count']} x \"{group['text']}\"")
        print(f"    kinds: {', '.join(group['kinds'])}; units: {', '.join(group['units'])}; "
              f"first {_when(group['first_seen'])}, last {_when(group['last_seen'])}"
              + (f"; guess: {group['guess']}" if group["guess"] else "")
              + (f"; agency: {group['agency']}" if group["agency"] else ""))
    print(f"{len(found)} groups, {sum(g['count'] for g in found)} messages")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["retrain"]:  # its own options: bot/review/retrain.py
        return retrain.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bot.review", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="open messages by group")
    listing.add_argument("--all", action="store_true", help="closed messages too")
    for name, target, text in (("assign", "procedure", "the message is about this procedure (catalogue id)"),
                               ("out-of-scope", "agency", "the message is this agency's matter (data/referrals.yml id)"),
                               ("skip", None, "nothing to learn from the message")):
        command = commands.add_parser(name, help=text)
        command.add_argument("id", type=int)
        if target:
            command.add_argument(target)
        command.add_argument("--group", action="store_true", help="every open message of the same group")
    commands.add_parser("retrain", help="retrain the model with the new examples and swap it in")
    args = parser.parse_args(argv)

    queue = ReviewQueue()
    if args.command == "list":
        return _list(queue, args.all)
    row = queue.store.get(args.id)
    if row is None or row["status"] != "open":
        print(f"error: no open message {args.id} (python -m bot.review list)", file=sys.stderr)
        return 2
    ids = [r["id"] for r in queue.store.rows(group_key=row["group_key"])] if args.group else [row["id"]]
    actor = operator()
    try:
        if args.command == "assign":
            known = content.procedure_ids()
            if args.procedure not in known:
                print(f"error: unknown procedure '{args.procedure}'; procedures: {', '.join(known)}", file=sys.stderr)
                return 2
            done = queue.assign(ids, args.procedure, actor)
        elif args.command == "out-of-scope":
            known = [a["id"] for a in content.agencies()]
            if args.agency not in known:
                print(f"error: unknown agency '{args.agency}'; agencies: {', '.join(known)}", file=sys.stderr)
                return 2
            done = queue.out_of_scope(ids, args.agency, actor)
        else:
            done = queue.skip(ids, actor)
    except ContentError as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 1
    closed = ", ".join(map(str, done["closed"]))
    if "example" in done:
        print(f"added \"{done['example']}\" to {done['file']}; closed {closed}")
    else:
        print(f"skipped {closed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
