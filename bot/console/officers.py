"""Create or update an officer account.

    .venv/bin/python -m bot.console.officers add USERNAME --unit UNIT --role officer|commander --name "Họ tên"

The password is asked for (or read from standard input with --password-stdin).
Units are the ids in data/units.yml.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.console.auth import ROLES, Accounts
from bot.core.units import load_units


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.console.officers", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create or update an officer")
    add.add_argument("username")
    add.add_argument("--unit", required=True, help="unit id from data/units.yml")
    add.add_argument("--role", choices=ROLES, default="officer")
    add.add_argument("--name", help="display name (default: the username)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    args = parser.parse_args(argv)
    units = load_units().units
    if args.unit not in units:
        print(f"error: unknown unit '{args.unit}'; units: {', '.join(units)}", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    try:
        Accounts().add(args.username, password, args.unit, args.role, args.name or args.username)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"officer '{args.username}' ({args.role}, {units[args.unit].name}) saved")
    return 0


if __name__ == "__main__":
    sys.exit(main())
