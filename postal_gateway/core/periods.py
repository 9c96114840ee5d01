"""Periods of whole Vietnamese days, as reports and registers ask for them ("from" .. "to", inclusive)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from postal_gateway.core.domain import N_, FieldError
from postal_gateway.core.formatting import VIETNAM

#: no report or register reaches before this day
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Period:
    """Whole Vietnamese calendar days, first to last inclusive."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), VIETNAM)

    @property
    def end(self) -> datetime:
        """Exclusive: midnight after the last day, in Vietnam."""
        return datetime.combine(self.last + timedelta(days=1), time(0), VIETNAM)


def parse_day(raw, name: str, errors: list[FieldError]) -> date | None:
    """A posted YYYY-MM-DD day; a fault is added to ``errors`` under ``name`` and None returned."""
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str) and len(raw.strip()) == 10:
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    errors.append(FieldError(name, N_("Ngày không hợp lệ; dùng dạng năm-tháng-ngày, ví dụ 2026-01-31.")))
    return None


def bounds_faults(first: date | None, last: date | None, *, max_days: int, too_long: str) -> list[FieldError]:
    """What is wrong with a period's bounds: before EARLIEST, ending before it starts, longer than ``max_days``."""
    errors: list[FieldError] = []
    if first is not None and first < EARLIEST:
        errors.append(FieldError("from", N_("Ngày bắt đầu không trước 01/01/2000.")))
    if first is not None and last is not None:
        if first > last:
            errors.append(FieldError("to", N_("Ngày kết thúc phải từ ngày bắt đầu trở đi.")))
        elif (last - first).days >= max_days:
            errors.append(FieldError("to", too_long))
    return errors
