"""Prints a sample transaction Bundle with its clinical dates moved by whole days, so that its latest draw was
yesterday (UTC): the gateway fetches a patient's results of the last analysis.lookback_days (default 30), so
fixed-date samples would stop pairing a month after they were written. Clock times and offsets are kept (rhythms
and dose timing depend on them); birth dates are not moved.

usage: recent_sample.py FILE"""
import datetime
import json
import re
import sys

MOVED = {"effectiveDateTime", "valueDateTime", "issued", "authoredOn", "dateAsserted", "start", "end"}
DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def walk(node, visit):
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and key in MOVED and DATE.match(value):
                node[key] = visit(value)
            else:
                walk(value, visit)
    elif isinstance(node, list):
        for item in node:
            walk(item, visit)


def main(path):
    bundle = json.load(open(path, encoding="utf-8"))
    latest = []
    walk(bundle, lambda v: latest.append(v) or v)
    draws = [datetime.date.fromisoformat(DATE.match(v).group(1)) for v in latest]
    if draws:
        shift = (datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=1)) - max(draws)

        def move(value):
            day = datetime.date.fromisoformat(DATE.match(value).group(1)) + shift
            return day.isoformat() + value[10:]

        walk(bundle, move)
    json.dump(bundle, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
