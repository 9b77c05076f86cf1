"""FHIR dateTime values as UTC seconds and the offset they were written with (analytics/date_time.cpp)."""

import re

_DATE_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):(\d{2}))\Z",
                        re.ASCII)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, chrono-Compatible Low-Level Date
    Algorithms, days_from_civil)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def valid_date(y, m, d):
    if not 1 <= m <= 12 or d < 1:
        return False
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    return d <= (29 if m == 2 and leap else _DAYS_IN_MONTH[m - 1])


def parse_date_time(text):
    """(UTC seconds since the epoch, offset minutes as written) of a FHIR dateTime with a time and a zone, or None
    (a date alone, no zone, or malformed: the gateway rejects those). Fractional seconds are dropped."""
    match = _DATE_TIME.match(text)
    if match is None:
        return None
    y, mo, d, h, mi, s = (int(match.group(i)) for i in range(1, 7))
    if h > 23 or mi > 59 or s > 60 or not valid_date(y, mo, d):
        return None
    offset = 0
    if match.group(7) != "Z":
        oh, om = int(match.group(9)), int(match.group(10))
        if oh > 14 or om > 59:
            return None
        offset = (oh * 60 + om) * (-1 if match.group(8) == "-" else 1)
    local = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
    return local - offset * 60, offset


def clock_minutes(value):
    """A config clock time "HH:MM" (PyYAML reads an unquoted 07:00 as the sexagesimal 420) in minutes."""
    if isinstance(value, int):
        return value
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)
