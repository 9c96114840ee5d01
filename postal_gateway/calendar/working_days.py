"""The working calendar (R-07, R-08): official receipt time, processing start and due time.

Pure: no database, no Flask. Days off are Saturdays, Sundays, the Vietnamese public holidays and
their days off in lieu (the ``holidays`` package), minus the make-up working days that official
swaps create, with an operator-managed table of overrides on top (installed by calendar_store).
Every instant is reasoned about in Asia/Ho_Chi_Minh, whatever the server's zone; Vietnam has had
no daylight saving since 1975, so a wall-clock time there is one instant.
"""
from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any, Union

import holidays

from postal_gateway.core.domain import N_, FieldError, InvalidInput
from postal_gateway.core.formatting import VIETNAM, to_local

Period = tuple[time, time]
WorkingDays = Union[int, Decimal, Fraction, float]

#: 07:00–11:30 and 13:30–17:00, the office hours of a one-stop office
DEFAULT_PERIODS: tuple[Period, ...] = ((time(7, 0), time(11, 30)), (time(13, 30), time(17, 0)))
#: dossiers received from this time on are passed on at the start of the next working day (Điều 12.1.đ)
LATE_RECEIPT_CUTOFF = time(16, 0)
#: years for which the holidays package knows the lunar calendar
FIRST_YEAR, LAST_YEAR = 1901, 2099
#: longest run of consecutive days off we accept before calling the calendar broken
_MAX_DAYS_OFF_IN_A_ROW = 60

_HH_MM = re.compile(r"^(\d{1,2}):(\d{2})$")


# --- official calendar (holidays package) -------------------------------------------------


@lru_cache(maxsize=256)
def _official_year(year: int) -> tuple[frozenset[date], frozenset[date], dict[date, str]]:
    """(days off, make-up working days, names) of one year according to the holidays package."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"the working calendar covers {FIRST_YEAR}–{LAST_YEAR}, not {year}")
    official = holidays.country_holidays("VN", years=year, language="vi")
    days_off = frozenset(day for day in official if day.year == year)
    # weekend_workdays: Saturdays (or Sundays) worked to pay for a bridged weekday off
    make_up = frozenset(day for day in official.weekend_workdays if day.year == year)
    names = {day: official.get(day) for day in days_off}
    return days_off, make_up, names


def official_days(year: int) -> list[tuple[date, str, bool]]:
    """The package's exceptions for a year as (day, name, is_working_day), in date order."""
    days_off, make_up, names = _official_year(year)
    rows = [(day, names[day], False) for day in days_off]
    rows += [(day, "Ngày làm việc bù", True) for day in make_up]
    return sorted(rows)


# --- periods -------------------------------------------------------------------------------


def _parse_hh_mm(value: Any) -> time | None:
    if isinstance(value, time):
        # already parsed (a WorkingCalendar built from validated periods); whole minutes only
        return value.replace(tzinfo=None) if value.second == value.microsecond == 0 else None
    if not isinstance(value, str):
        return None
    match = _HH_MM.match(value.strip())
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def periods_from_config(raw: Any, field_name: str = "working_periods") -> tuple[Period, ...]:
    """Validate an agency's working periods, e.g. [["07:00","11:30"],["13:30","17:00"]].

    None means the default periods. Periods must be "HH:MM" pairs, each starting before it ends,
    in order and not overlapping. Raises InvalidInput naming every bad entry at once.
    """
    if raw is None:
        return DEFAULT_PERIODS
    if isinstance(raw, (str, bytes)) or not isinstance(raw, (list, tuple)) or not raw:
        raise InvalidInput(
            N_("Giờ làm việc không hợp lệ."),
            field_errors=[
                FieldError(field_name, N_('Nhập danh sách các khoảng giờ, ví dụ [["07:00","11:30"],["13:30","17:00"]].'))
            ],
        )
    errors: list[FieldError] = []
    parsed: list[tuple[int, Period]] = []
    for index, item in enumerate(raw):
        name = f"{field_name}[{index}]"
        if isinstance(item, (str, bytes)) or not isinstance(item, (list, tuple)) or len(item) != 2:
            errors.append(FieldError(name, N_("Mỗi khoảng giờ gồm đúng hai mốc: bắt đầu và kết thúc.")))
            continue
        start, end = _parse_hh_mm(item[0]), _parse_hh_mm(item[1])
        if start is None:
            errors.append(FieldError(f"{name}[0]", N_("Giờ phải có dạng HH:MM, ví dụ 07:00.")))
        if end is None:
            errors.append(FieldError(f"{name}[1]", N_("Giờ phải có dạng HH:MM, ví dụ 07:00.")))
        if start is None or end is None:
            continue
        if start >= end:
            errors.append(FieldError(name, N_("Giờ bắt đầu phải trước giờ kết thúc.")))
            continue
        parsed.append((index, (start, end)))
    for (_, previous), (index, current) in zip(parsed, parsed[1:]):
        if current[0] < previous[1]:
            errors.append(
                FieldError(
                    f"{field_name}[{index}]",
                    N_("Các khoảng giờ phải theo thứ tự và không chồng lên nhau."),
                )
            )
    if errors:
        raise InvalidInput(N_("Giờ làm việc không hợp lệ."), field_errors=errors)
    return tuple(period for _, period in parsed)


def _as_periods(periods: Any) -> tuple[Period, ...]:
    return DEFAULT_PERIODS if periods is None else periods_from_config(periods)


# --- helpers --------------------------------------------------------------------------------


def _as_day(day: date) -> date:
    if isinstance(day, datetime):
        return to_local(day).date()
    if not isinstance(day, date):
        raise TypeError(f"expected a date, got {type(day).__name__}")
    return day


def _as_fraction(working_days: WorkingDays) -> Fraction:
    if isinstance(working_days, bool) or not isinstance(working_days, (int, Decimal, Fraction, float)):
        raise TypeError(f"working days must be a number, got {type(working_days).__name__}")
    if isinstance(working_days, (Decimal, float)) and not math.isfinite(working_days):
        raise ValueError(f"working days must be finite, got {working_days}")
    value = Fraction(working_days)
    if value < 0:
        raise ValueError(f"working days cannot be negative, got {working_days}")
    return value


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=VIETNAM)


# --- the calendar ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days and hours: the official calendar plus operator overrides and one agency's periods."""

    periods: tuple[Period, ...] = DEFAULT_PERIODS
    #: days the operator declared off although the official calendar works them
    extra_days_off: frozenset[date] = field(default_factory=frozenset)
    #: days the operator declared worked although the official calendar is off
    extra_working_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "periods", periods_from_config(self.periods))
        object.__setattr__(self, "extra_days_off", frozenset(self.extra_days_off))
        object.__setattr__(self, "extra_working_days", frozenset(self.extra_working_days))

    @property
    def day_length(self) -> timedelta:
        """Working time in one full working day (8 h with the default periods)."""
        return sum((_at(date(2000, 1, 1), end) - _at(date(2000, 1, 1), start) for start, end in self.periods), timedelta())

    def with_periods(self, periods: Any) -> WorkingCalendar:
        return WorkingCalendar(_as_periods(periods), self.extra_days_off, self.extra_working_days)

    # days

    def is_working_day(self, day: date) -> bool:
        day = _as_day(day)
        if day in self.extra_days_off:
            return False
        if day in self.extra_working_days:
            return True
        days_off, make_up, _ = _official_year(day.year)
        if day.weekday() >= 5:
            return day in make_up
        return day not in days_off

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day = _as_day(day)
        for _ in range(_MAX_DAYS_OFF_IN_A_ROW):
            day += timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise ValueError(f"no working day within {_MAX_DAYS_OFF_IN_A_ROW} days after {day}")

    # instants

    def _period_bounds(self, day: date) -> list[tuple[datetime, datetime]]:
        return [(_at(day, start), _at(day, end)) for start, end in self.periods]

    def is_working_time(self, moment: datetime) -> bool:
        """Inside a working period: its start included, its end excluded."""
        local = to_local(moment)
        if not self.is_working_day(local.date()):
            return False
        return any(start <= local < end for start, end in self._period_bounds(local.date()))

    def receipt_time(self, entered_at: datetime) -> datetime:
        """Official receipt time: entered_at inside a working period, else the next period's start."""
        local = to_local(entered_at)
        day = local.date()
        if self.is_working_day(day):
            for start, end in self._period_bounds(day):
                if start <= local < end:
                    return local
                if local < start:
                    return start
        return _at(self.next_working_day(day), self.periods[0][0])

    def processing_start(self, received_at: datetime) -> datetime:
        """When the agency starts counting: the receipt time, or the next working day if received late."""
        receipt = self.receipt_time(received_at)
        if receipt.time() < LATE_RECEIPT_CUTOFF:
            return receipt
        return _at(self.next_working_day(receipt.date()), self.periods[0][0])

    def working_duration(self, working_days: WorkingDays) -> timedelta:
        """working_days × the length of a working day, rounded up to the microsecond."""
        micros = _as_fraction(working_days) * (self.day_length // timedelta(microseconds=1))
        return timedelta(microseconds=math.ceil(micros))

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The earliest instant by which ``amount`` of working time has passed since ``start``.

        Being the earliest, a deadline that would fall on a period's start is the previous
        period's end, and adding nothing returns ``start`` itself. Jumps whole days, so 60 working days cost about 90 small steps.
        """
        if amount < timedelta(0):
            raise ValueError("working time cannot be negative")
        if not amount:
            return to_local(start)  # nothing to add: adding nothing in steps must equal adding it at once
        moment = self.receipt_time(start)
        remaining = amount
        day = moment.date()
        day_length = self.day_length
        while True:
            for period_start, period_end in self._period_bounds(day):
                if period_end <= moment:
                    continue
                segment_start = max(moment, period_start)
                available = period_end - segment_start
                if remaining <= available:
                    return segment_start + remaining
                remaining -= available
            day = self.next_working_day(day)
            while remaining > day_length:
                remaining -= day_length
                day = self.next_working_day(day)
            moment = _at(day, self.periods[0][0])

    def add_working_days(self, start: datetime, working_days: WorkingDays) -> datetime:
        """``start`` plus working_days of working time (no late-receipt rule: that is due_at's)."""
        return self.add_working_time(start, self.working_duration(working_days))

    def due_at(self, received_at: datetime, working_days: WorkingDays) -> datetime:
        """Deadline: processing_start plus working_days × day_length of time inside working periods."""
        return self.add_working_days(self.processing_start(received_at), working_days)

    def appointment_date(self, received_at: datetime, working_days: WorkingDays) -> date:
        """The appointment date printed on the slip: the due time's date in Vietnam."""
        return self.due_at(received_at, working_days).date()

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time inside [start, end); zero if end is not after start."""
        start, end = to_local(start), to_local(end)
        total = timedelta()
        if end <= start:
            return total
        day = start.date()
        while day <= end.date():
            if self.is_working_day(day):
                for period_start, period_end in self._period_bounds(day):
                    overlap = min(end, period_end) - max(start, period_start)
                    if overlap > timedelta(0):
                        total += overlap
            day += timedelta(days=1)
        return total


# --- the active calendar ---------------------------------------------------------------------

#: returns (extra days off, extra working days); installed by calendar_store.install_provider
OverrideProvider = Callable[[], tuple[Iterable[date], Iterable[date]]]

_provider_lock = threading.Lock()
_override_provider: OverrideProvider | None = None


def set_override_provider(provider: OverrideProvider | None) -> None:
    """Install (or, with None, remove) the source of operator overrides for the module functions."""
    global _override_provider
    with _provider_lock:
        _override_provider = provider


def active_calendar(periods: Any = None) -> WorkingCalendar:
    """The official calendar with the current operator overrides and the given (agency) periods."""
    provider = _override_provider
    days_off, working_days = provider() if provider is not None else ((), ())
    return WorkingCalendar(_as_periods(periods), frozenset(days_off), frozenset(working_days))


def is_working_day(d: date, *, periods: Any = None) -> bool:
    return active_calendar(periods).is_working_day(d)


def next_working_day(d: date, *, periods: Any = None) -> date:
    return active_calendar(periods).next_working_day(d)


def is_working_time(moment: datetime, *, periods: Any = None) -> bool:
    return active_calendar(periods).is_working_time(moment)


def receipt_time(entered_at: datetime, *, periods: Any = None) -> datetime:
    return active_calendar(periods).receipt_time(entered_at)


def processing_start(received_at: datetime, *, periods: Any = None) -> datetime:
    return active_calendar(periods).processing_start(received_at)


def due_at(received_at: datetime, working_days: WorkingDays, *, periods: Any = None) -> datetime:
    return active_calendar(periods).due_at(received_at, working_days)


def appointment_date(received_at: datetime, working_days: WorkingDays, *, periods: Any = None) -> date:
    return active_calendar(periods).appointment_date(received_at, working_days)


def add_working_days(start: datetime, working_days: WorkingDays, *, periods: Any = None) -> datetime:
    return active_calendar(periods).add_working_days(start, working_days)


def working_time_between(start: datetime, end: datetime, *, periods: Any = None) -> timedelta:
    return active_calendar(periods).working_time_between(start, end)
