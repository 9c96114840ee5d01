"""One year of the working calendar as the operator reads it (R-07, R-08): the official holidays, days off in lieu
and make-up working days from the ``holidays`` package with their source, and the operator's own extra days off and
make-up working days with their reason and legal reference. No Flask."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import holidays
from sqlalchemy.orm import Session

from postal_gateway import calendar
from postal_gateway.calendar import store
from postal_gateway.calendar.models import CalendarOverride
from postal_gateway.core.domain import N_, FieldError, InvalidInput

#: where the official days come from: the package and the article of the Labour Code it encodes (public holidays
#: of Điều 112 Bộ luật Lao động 2019, with the days off in lieu and the swapped working days announced each year)
OFFICIAL_SOURCE = "Thư viện holidays {version}: Điều 112 Bộ luật Lao động 2019 và thông báo nghỉ lễ hằng năm"
WEEKDAYS = (N_("Thứ Hai"), N_("Thứ Ba"), N_("Thứ Tư"), N_("Thứ Năm"), N_("Thứ Sáu"), N_("Thứ Bảy"), N_("Chủ Nhật"))


@dataclass(frozen=True)
class OfficialDay:
    day: date
    name: str
    #: a make-up working day (a Saturday worked for a bridged weekday off); else a day off
    working: bool
    source: str
    #: the operator changed this day (their adjustment wins over the official calendar)
    adjusted: bool

    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.day.weekday()]


@dataclass(frozen=True)
class YearCalendar:
    year: int
    official: list[OfficialDay]
    adjustments: list[CalendarOverride]

    @property
    def previous_year(self) -> int | None:
        return self.year - 1 if self.year > calendar.FIRST_YEAR else None

    @property
    def next_year(self) -> int | None:
        return self.year + 1 if self.year < calendar.LAST_YEAR else None


def parse_year(raw: str | None, *, today: date) -> int:
    """The year asked in the address, this year in Vietnam when none; InvalidInput out of the covered years."""
    if raw is None or not str(raw).strip():
        return today.year
    text = str(raw).strip()
    if not text.isdigit() or not calendar.FIRST_YEAR <= int(text) <= calendar.LAST_YEAR:
        raise InvalidInput(N_("Năm không hợp lệ."), field_errors=[FieldError(
            "year", N_("Lịch làm việc chỉ áp dụng cho các năm %(first)s–%(last)s."),
            {"first": calendar.FIRST_YEAR, "last": calendar.LAST_YEAR})])
    return int(text)


def year_calendar(session: Session, year: int) -> YearCalendar:
    """The year's official days in date order, each with its source, and the operator's adjustments of the year."""
    adjustments = store.list_overrides(session, year)
    adjusted = {row.day for row in adjustments}
    source = OFFICIAL_SOURCE.format(version=holidays.__version__)
    official = [OfficialDay(day, name, working, source, day in adjusted)
                for day, name, working in calendar.official_days(year)]
    return YearCalendar(year=year, official=official, adjustments=adjustments)


def weekday(day: date | datetime) -> str:
    return WEEKDAYS[day.weekday()]
