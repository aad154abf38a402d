"""The licenses folder's memory of the latest day it saw, so a clock set back does not revive an expired
certificate.

Certificates are checked against max(today, the day they were issued, the latest day a valid certificate
was used here). The record (`clock.json` in the licenses folder) is a plain file: a user who sets the
clock back *and* edits or deletes the record gains at most the days back to the certificate's issue
date (docs/licensing.md, threat model).
"""

from __future__ import annotations

import datetime as dt
import json

from hpi.licensing.machine import licenses_dir, write_secret

CLOCK_FILE = "clock.json"


def _recorded() -> dt.date | None:
    try:
        return dt.date.fromisoformat(json.loads((licenses_dir() / CLOCK_FILE).read_text())["latest_day"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def today() -> dt.date:
    """Today by the system clock, or the latest day recorded here when the clock says earlier."""
    now = dt.datetime.now(dt.timezone.utc).date()
    recorded = _recorded()
    return max(now, recorded) if recorded else now


def saw(day: dt.date) -> None:
    """Remember `day` if it is later than the record (once a day at most: the file is written rarely)."""
    recorded = _recorded()
    if recorded is None or day > recorded:
        write_secret(licenses_dir() / CLOCK_FILE, json.dumps({"latest_day": day.isoformat()}).encode())
