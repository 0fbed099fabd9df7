"""Which of day and month comes first in numeric dates such as ``04/01/2024``.

pandas parses each such value on its own: ``01/02/2024`` month first (2 January), ``13/01/2024`` day first
(13 January), so one file's dates can be read in two orders at once and come out scrambled. The order is
decided once per column, from the values themselves, or the column is refused.
"""

from __future__ import annotations

import re

import numpy as np

from ..errors import DataError

# day/month or month/day, then the year (2 or 4 digits), with "/", "." or "-"; a time may follow
NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})(?:[ T].*)?\s*$")


def day_first(values, source: str, name: str) -> tuple[bool | None, str | None]:
    """``(dayfirst, why)`` for a column of date strings: ``None`` when they are not all numeric dates with
    day and month in either order (ISO dates, names of months...), else whether the day comes first.
    Refuses a column that uses both orders, or one whose values fit both with nothing to choose by."""
    texts = [str(v) for v in values if v is not None and str(v).strip() and str(v).lower() != "nan"]
    if not texts or not NUMERIC_DATE.match(texts[0]):  # ISO dates and the like: decided by the first value
        return None, None
    matches = [NUMERIC_DATE.match(t) for t in texts]
    if not all(matches):
        return None, None
    first = np.array([int(m.group(1)) for m in matches])
    second = np.array([int(m.group(3)) for m in matches])
    if (first > 12).any() and (second > 12).any():
        a, b = texts[int(np.argmax(first > 12))], texts[int(np.argmax(second > 12))]
        raise DataError(f"{source}: column {name!r} has dates in both orders ({a!r} day first, {b!r} month first); "
                        "write them one way, best as YYYY-MM-DD")
    if (first > 12).any():
        at = int(np.argmax(first > 12))
        return True, f"dates read day first (DD/MM): {texts[at]!r} has no month {first[at]}"
    if (second > 12).any():
        at = int(np.argmax(second > 12))
        return False, f"dates read month first (MM/DD): {texts[at]!r} has no month {second[at]}"
    constant_first, constant_second = len(set(first)) == 1, len(set(second)) == 1
    years = {m.group(4) for m in matches}
    if constant_first != constant_second and len(years) > 1:
        # One fixed field over several years: monthly (or quarterly) data on a fixed day, and that field is the
        # day. (Within one year it could as well be a dozen days of one month.)
        return constant_first, (f"dates read {'day' if constant_first else 'month'} first: every date is on day "
                                f"{first[0] if constant_first else second[0]} of its month, over {len(years)} years")
    if len(set(texts)) == 1 or (constant_first and first[0] == second[0]):  # the order changes nothing
        return False, None
    raise DataError(f"{source}: column {name!r} holds dates such as {texts[0]!r} and {texts[-1]!r} that read both day "
                    "first and month first (no day above 12); write them as YYYY-MM-DD")
