"""How money and times are shown: VND with dot separators, times in Asia/Ho_Chi_Minh."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def format_vnd(amount: int | None) -> str:
    if amount is None:
        return ""
    return f"{amount:,}".replace(",", ".") + " ₫"


def to_local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime has no meaning here")
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
