"""Development series on real calendars: real values, with the calendar a user's data would have.

The packages that install offline hold few series on trading-day or local-time calendars, so these put real
values on such calendars (shared/DATA_SOURCES.md). The values are never generated; only the calendar is
constructed, and each description says how. Used by ``benchmarks/forecast.py`` and the tests.

- ``weather-business-days``: daily Seattle maximum temperatures 2012-2015 (vega_datasets, embedded) kept on
  their real dates, but only on US business days: weekends and US federal holidays are dropped, as a
  trading-day series has them.
- ``sf-temps-local``: hourly San Francisco temperatures 2010 (vega_datasets, ``pip install vega_datasets``),
  recorded in local time: around the spring-forward change one hour is absent, and the fall-back hour
  appears once (one hour is missing in UTC). Written with their UTC offsets (-08:00 / -07:00), as a logger
  on a local clock writes them.
- ``weather-gaps``: daily Seattle minimum temperatures 2012-2015 (embedded) with rows removed: 14 short gaps
  (1 to 4 days) at fixed places and one 21-day outage, as a sensor that drops out.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError

CALENDAR_SERIES = {
    # name: (target column, horizon, season, description)
    "weather-business-days": ("temp_max", 10, 5, "daily Seattle max temperature on US business days (holidays dropped)"),
    "sf-temps-local": ("temp", 24, 24, "hourly San Francisco temperatures, local time with UTC offsets (DST)"),
    "weather-gaps": ("temp_min", 7, 7, "daily Seattle min temperature with 14 short gaps and a 21-day outage"),
}


def _embedded_weather():
    import pandas as pd
    from importlib import resources

    path = Path(str(resources.files("cnn1d.data") / "embedded" / "seattle-weather.csv.gz"))
    frame = pd.read_csv(path)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def calendar_frame(name: str):
    """The series as a DataFrame with a ``time`` column (strings, as a CSV would hold them) and its target."""
    import pandas as pd

    if name not in CALENDAR_SERIES:
        raise DataError(f"unknown calendar series {name!r}; choose from {', '.join(CALENDAR_SERIES)}")
    target = CALENDAR_SERIES[name][0]
    if name == "weather-business-days":
        from pandas.tseries.holiday import USFederalHolidayCalendar

        frame = _embedded_weather()
        holidays = USFederalHolidayCalendar().holidays(frame["date"].min(), frame["date"].max())
        keep = (frame["date"].dt.dayofweek < 5) & ~frame["date"].isin(holidays)
        frame = frame[keep]
        return pd.DataFrame({"time": frame["date"].dt.strftime("%Y-%m-%d"), target: frame[target].to_numpy()})
    if name == "weather-gaps":
        frame = _embedded_weather()
        rng = np.random.default_rng(17)  # fixed places for the gaps, so every run sees the same data
        drop = np.zeros(len(frame), bool)
        for start in rng.choice(np.arange(30, len(frame) - 120), size=14, replace=False):
            drop[start: start + rng.integers(1, 5)] = True
        drop[700:721] = True
        frame = frame[~drop]
        return pd.DataFrame({"time": frame["date"].dt.strftime("%Y-%m-%d"), target: frame[target].to_numpy()})
    try:
        from vega_datasets import local_data
    except ImportError:
        raise DataError(f"{name} needs vega_datasets: pip install vega_datasets") from None
    frame = local_data.sf_temps()
    # The logger labelled the spring-forward hour 02:00 (a wall time that does not exist) and skipped 03:00;
    # it is read as 03:00. The fall-back hour 01:00 appears once and is read as standard time.
    dates = pd.DatetimeIndex(frame["date"])
    local = dates.tz_localize("America/Los_Angeles", ambiguous=np.zeros(len(dates), bool), nonexistent="shift_forward")
    return pd.DataFrame({"time": [t.isoformat() for t in local], target: frame[target].to_numpy()})


def write_calendar_series(name: str, directory: str | Path) -> Path:
    """Write the series as ``DIRECTORY/NAME.csv`` (columns ``time`` and the target) and return the path."""
    from ..io_utils import atomic_write_text

    path = Path(directory) / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, calendar_frame(name).to_csv(index=False))
    return path
