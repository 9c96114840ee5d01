"""Reading numbers as people type them (forms, CSV, XLSX cells): integer VND and percentages.

Every parser returns None for what it cannot read; the caller names the field.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from postal_gateway.core.formatting import VIETNAM

_GROUPED_THOUSANDS = re.compile(r"^\d{1,3}([. ]\d{3})+$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: Any, max_length: int = 2000) -> str:
    """Text without control characters (PostgreSQL refuses NUL), trimmed and cut to a length."""
    if value is None:
        return ""
    return _CONTROL.sub("", str(value)).strip()[:max_length]


def parse_int(value: Any) -> int | None:
    """A whole number: 50000, "50000", "50.000" or "50 000" (Vietnamese grouping); not 1.5, not True."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = clean_text(value)
    if re.fullmatch(r"-?\d{1,15}", text):
        return int(text)
    if _GROUPED_THOUSANDS.match(text):
        return int(re.sub(r"[. ]", "", text))
    return None


def parse_basis_points(value: Any) -> int | None:
    """A percentage ("1.5", "1,5", "1.5%", 1.5) as hundredths of a percent (150); None if finer."""
    if value is None or isinstance(value, bool):
        return None
    text = clean_text(value).rstrip("%").strip().replace(",", ".")
    try:
        percent = Decimal(text)
    except InvalidOperation:
        return None
    if not percent.is_finite():
        return None
    basis_points = percent * 100
    if basis_points != basis_points.to_integral_value():
        return None
    return int(basis_points)


def parse_bool(value: Any, default: bool | None = None) -> bool | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        return value
    text = clean_text(value).lower()
    if text in {"1", "true", "yes", "y", "x", "có", "co", "on"}:
        return True
    if text in {"0", "false", "no", "n", "không", "khong", "off"}:
        return False
    return None


def parse_local_date(value: Any) -> date | None:
    """A date as 2026-01-01 or 01/01/2026 (or an XLSX date cell)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean_text(value)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def start_of_local_day(day: date) -> datetime:
    """00:00 in Vietnam of a day, as an aware UTC datetime: contract periods start and end there."""
    return datetime.combine(day, time(0, 0), VIETNAM).astimezone(timezone.utc)
