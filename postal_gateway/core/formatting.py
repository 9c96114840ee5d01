"""How money and times are shown: VND grouped with dots, times in Asia/Ho_Chi_Minh.

Vietnam's time zone is defined here, once: the calendar, the statistics and every page reason
about local days and hours with ``VIETNAM`` and ``to_local``.
"""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
#: amounts are grouped the Vietnamese way (1.234.000) in every language: the slip, the pages and the
#: messages about one dossier must show the same figure
MONEY_LOCALE = "vi"


def format_vnd(amount: int | None, unit: str = "₫", *, locale: str = MONEY_LOCALE) -> str:
    """1234000 -> "1.234.000 ₫" (Vietnamese grouping; ``locale="en"`` gives "1,234,000 ₫" for an English
    page); ``unit="đồng"`` spells the unit out as official forms do, ``unit=""`` gives the bare figure for a
    sentence or a table heading that already names it. Messages and documents keep the Vietnamese figure."""
    if amount is None:
        return ""
    figure = format_decimal(amount, locale=locale)
    return f"{figure} {unit}" if unit else figure


def to_local(moment: datetime) -> datetime:
    """The instant in Vietnam's zone; a naive datetime has no meaning here and is refused."""
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: attach a time zone")
    return moment.astimezone(VIETNAM)


def format_local_datetime(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return to_local(moment).strftime("%H:%M %d/%m/%Y")


def format_local_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")
