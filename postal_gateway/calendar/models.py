"""Operator-managed exceptions to the working calendar (extra days off, extra working days)."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from postal_gateway.core.db import Base, UTCDateTime, utcnow


class DayKind(str, enum.Enum):
    #: a day that would be worked but is declared a day off
    day_off = "day_off"
    #: a day that would be off (a Saturday, say) but is declared a working day
    working_day = "working_day"


class CalendarOverride(Base):
    """Overrides both the weekly pattern and the holiday calendar for one day."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[DayKind] = mapped_column(Enum(DayKind, native_enum=False, length=16))
    #: the decision that declared it, e.g. "Thông báo 6150/TB-LĐTBXH"
    reason: Mapped[str] = mapped_column(String(255), default="")
    #: the legal text it rests on, e.g. "Điều 112 Bộ luật Lao động 2019; Công văn 1234/BNV-CCVC"; "" on days
    #: added from the command line before the calendar page asked for it
    legal_reference: Mapped[str] = mapped_column(String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
