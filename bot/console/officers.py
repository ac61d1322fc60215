"""Officer accounts, for operators.

    .venv/bin/python -m bot.console.officers add USERNAME --unit UNIT --role officer|commander|editor --name "Họ tên"
    .venv/bin/python -m bot.console.officers password USERNAME
    .venv/bin/python -m bot.console.officers disable USERNAME
    .venv/bin/python -m bot.console.officers enable USERNAME
    .venv/bin/python -m bot.console.officers remove USERNAME
    .venv/bin/python -m bot.console.officers list

A password is asked for (or read from standard input with --password-stdin).
Units are the ids in data/units.yml. A new password, a change made with add,
disable and remove end every console session of that officer at once; each
change is in the audit log (subject "officer:USERNAME").
"""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.console.auth import ROLES, Accounts
from bot.core.units import load_units


def operator() -> str:
    """Who made the change, for the audit log."""
    try:
        return f"operator:{getpass.getuser()}"[:64]
    except Exception:  # no user name in this environment
        return "operator"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.console.officers", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create or update an officer")
    add.add_argument("username")
    add.add_argument("--unit", required=True, help="unit id from data/units.yml")
    add.add_argument("--role", choices=ROLES, default="officer")
    add.add_argument("--name", help="display name (default: the username)")
    password = commands.add_parser("password", help="set a new password; ends the officer's sessions")
    for command in (add, password):
        command.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    password.add_argument("username")
    for name, text in (("disable", "no more logins; ends the officer's sessions"), ("enable", "allow logins again"),
                       ("remove", "delete the account; ends its sessions (its audit entries stay)")):
        commands.add_parser(name, help=text).add_argument("username")
    commands.add_parser("list", help="every officer, with unit, role and whether disabled")
    args = parser.parse_args(argv)

    accounts, units, actor = Accounts(), load_units().units, operator()
    if args.command == "list":
        for o in accounts.all():
            print("\t".join([o.username, o.unit, o.role, o.display_name] + (["(disabled)"] if o.disabled else [])))
        return 0
    if args.command in ("disable", "enable", "remove"):
        done = (accounts.remove(args.username, actor) if args.command == "remove"
                else accounts.set_disabled(args.username, args.command == "disable", actor))
        if not done:
            print(f"error: no officer '{args.username}'", file=sys.stderr)
            return 2
        print(f"officer '{args.username}' {args.command}d")
        return 0
    if args.command == "add" and args.unit not in units:
        print(f"error: unknown unit '{args.unit}'; units: {', '.join(units)}", file=sys.stderr)
        return 2
    if args.command == "password" and accounts.officer(args.username) is None:
        print(f"error: no officer '{args.username}'", file=sys.stderr)
        return 2
    secret = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    try:
        if args.command == "password":
            accounts.set_password(args.username, secret, actor)
            print(f"password of '{args.username}' changed; their sessions ended")
            return 0
        accounts.add(args.username, secret, args.unit, args.role, args.name or args.username, actor)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"officer '{args.username}' ({args.role}, {units[args.unit].name}) saved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
