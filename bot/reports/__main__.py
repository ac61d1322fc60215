"""A unit's review report from the command line:

    python -m bot.reports --unit UNIT --from YYYY-MM-DD --to YYYY-MM-DD --out report.pdf [--csv DIR]

The unit and every unit below it (data/units.yml), over the days from
--from to --to (both included, Vietnam time), compared with the period of
the same length just before. --csv DIR writes the tables as CSV files too.
DATABASE_URL and TRACKER_STORE_URL as for the assistant (default: the state
folder's SQLite files). An unknown unit or a bad date: exit code 2.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path
from typing import List, Optional

from bot.core.units import load_units
from bot.reports.figures import Report, Sources, collect, parse_period, tables


def write_csv(report: Report, folder: Path) -> List[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (header, rows) in tables(report).items():
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8-sig") as file:  # the BOM: spreadsheets read UTF-8
            writer = csv.writer(file)
            writer.writerow(header)
            writer.writerows(rows)
        written.append(path)
    return written


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.reports", description=__doc__.split("\n")[0])
    parser.add_argument("--unit", required=True, help="the unit's id in data/units.yml")
    parser.add_argument("--from", dest="first", required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--to", dest="last", required=True, help="last day, YYYY-MM-DD (included)")
    parser.add_argument("--out", required=True, type=Path, help="the PDF to write")
    parser.add_argument("--csv", type=Path, help="also write the tables as CSV files into this folder")
    args = parser.parse_args(argv)
    units = load_units()
    if args.unit not in units.units:
        parser.error(f"unknown unit {args.unit!r}; the units are: {', '.join(sorted(units.units))}")
    try:
        period = parse_period(args.first, args.last)
    except ValueError as problem:
        parser.error(str(problem))
    from bot.reports import pdf  # matplotlib: once the arguments are known to be right

    began = time.monotonic()
    report = collect(Sources.from_env(), units, args.unit, period)
    pdf.write(report, str(args.out))
    print(f"{args.out}: {report.unit_name}, {period.label()} ({time.monotonic() - began:.1f} s)")
    if args.csv:
        for path in write_csv(report, args.csv):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
