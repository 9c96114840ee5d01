"""Administrative units as stored rows: contracts, remote lists and addresses refer to these codes.

Loaded and refreshed from the installed packages by ``contracts.places.store.refresh_units``
(``flask contracts units``); each refresh is recorded with the package versions and what changed.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from postal_gateway.core.db import Base, UTCDateTime, utcnow


class AdminProvince(Base):
    """A province or centrally-run city of the two-level map (34 since 1 July 2025)."""

    __tablename__ = "admin_provinces"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    division_type: Mapped[str] = mapped_column(String(32))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: no longer in the package's data (kept, since records may refer to it)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class AdminCommune(Base):
    """A commune (xã), ward (phường) or special zone (đặc khu)."""

    __tablename__ = "admin_communes"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("admin_provinces.code"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    division_type: Mapped[str] = mapped_column(String(32))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)


class UnitsRefresh(Base):
    """One load of the units: which package versions, and what it changed."""

    __tablename__ = "admin_unit_refreshes"

    id: Mapped[int] = mapped_column(primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    package_versions: Mapped[dict] = mapped_column(JSON, default=dict)
    added: Mapped[int] = mapped_column(Integer, default=0)
    renamed: Mapped[int] = mapped_column(Integer, default=0)
    moved: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[int] = mapped_column(Integer, default=0)
    #: one line per change, for the operator
    changes: Mapped[list] = mapped_column(JSON, default=list)
