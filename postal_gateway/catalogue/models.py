"""Agencies, post offices and the procedures they publish (R-03)."""
from __future__ import annotations

import enum
import re
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Enum,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from postal_gateway.catalogue.text import procedure_search_text
from postal_gateway.core.db import Base, UTCDateTime, utcnow

#: V1V2V3.Z1Z2.Y1Y2.MX1X2 (Điều 15.3, after Thông tư 01/2018/TT-VPCP Điều 19): groups of three, two
#: and two digits (levels 4, 3, 2), then the level-1 group, one capital letter and two digits
#: (H10 is Bình Phước), 13 characters with the dots, e.g. 000.00.20.H10.
AGENCY_CODE_PATTERN = re.compile(r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$")


def is_valid_agency_code(code: str) -> bool:
    return len(code) == 13 and AGENCY_CODE_PATTERN.match(code) is not None


class ProcedureField(str, enum.Enum):
    #: báo chí
    press = "press"
    #: phát thanh, truyền hình và thông tin điện tử
    broadcasting = "broadcasting"
    #: xuất bản, in và phát hành
    publishing = "publishing"
    #: bưu chính
    postal = "postal"


class AdministrativeLevel(str, enum.Enum):
    #: cấp tỉnh
    province = "province"
    #: cấp huyện
    district = "district"
    #: cấp xã
    commune = "commune"


class Agency(Base):
    """A competent agency (cơ quan có thẩm quyền) that decides dossiers."""

    __tablename__ = "agencies"
    __table_args__ = (CheckConstraint("length(code) = 13", name="code_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: electronic identifier, 13 characters with dots, e.g. 000.00.20.H10
    code: Mapped[str] = mapped_column(String(13), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    #: Bộ phận Một cửa phone printed on the slip
    one_stop_phone: Mapped[str] = mapped_column(String(32))
    head_name: Mapped[str] = mapped_column(String(255), default="")
    head_phone: Mapped[str] = mapped_column(String(32), default="")
    head_email: Mapped[str] = mapped_column(String(255), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    province_code: Mapped[str] = mapped_column(String(8), default="")
    district_code: Mapped[str] = mapped_column(String(8), default="")
    #: working periods as [["07:00", "11:30"], ["13:30", "17:00"]]; None means the default
    working_periods: Mapped[list | None] = mapped_column(JSON)
    #: provincial contacts printed on the back of the slip (Điều 18.2 b, c, d)
    province_office_email: Mapped[str] = mapped_column(String(255), default="")
    inspection_team_email: Mapped[str] = mapped_column(String(255), default="")

    procedures: Mapped[list["Procedure"]] = relationship(back_populates="agency")


class PostOffice(Base):
    """A postal service point where dossiers are collected (R-15)."""

    __tablename__ = "post_offices"
    __table_args__ = (
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"),
        CheckConstraint(
            "longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the post's own office code, e.g. 830000
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(String(500), default="")
    province_code: Mapped[str] = mapped_column(String(8), default="")
    district_code: Mapped[str] = mapped_column(String(8), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(32), default="")


class Procedure(Base):
    """An administrative procedure (thủ tục hành chính) as published in the catalogue."""

    __tablename__ = "procedures"
    __table_args__ = (
        CheckConstraint("level IN (3, 4)", name="online_level"),
        CheckConstraint("fee_vnd >= 0", name="fee_not_negative"),
        CheckConstraint("processing_half_days > 0", name="processing_time_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: national procedure code, e.g. T-BPC-281520-TT
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    field: Mapped[ProcedureField] = mapped_column(Enum(ProcedureField, native_enum=False, length=32))
    #: ngành, e.g. "Thông tin và Truyền thông"
    sector: Mapped[str] = mapped_column(String(255), default="Thông tin và Truyền thông")
    administrative_level: Mapped[AdministrativeLevel] = mapped_column(
        Enum(AdministrativeLevel, native_enum=False, length=16), default=AdministrativeLevel.province
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    #: department that processes it, printed on the slip (Điều 17.1.c)
    processing_department: Mapped[str] = mapped_column(String(255), default="")
    #: online service level: 3 (online submission) or 4 (also online payment)
    level: Mapped[int] = mapped_column(Integer)
    #: statutory processing time in half working days, so 7.5 days is 15
    processing_half_days: Mapped[int] = mapped_column(Integer)
    #: lệ phí in VND; 0 means no fee
    fee_vnd: Mapped[int] = mapped_column(Integer, default=0)
    #: whether the post may receive the dossier and return the result (Điều 24.1)
    postal_eligible: Mapped[bool] = mapped_column(Boolean, default=True)
    #: why the post may not handle it, published with the list (Điều 26.1)
    postal_exclusion_reason: Mapped[str] = mapped_column(Text, default="")
    #: the code or name was doubtful at import and waits for an operator
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    review_note: Mapped[str] = mapped_column(Text, default="")
    #: the operator who confirmed the entry after review (cleared needs_review), and when
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: time or fee were not in the sources and are demonstration figures
    demo_figures: Mapped[bool] = mapped_column(Boolean, default=False)
    #: code and name folded to lower-case ASCII ("cap giay phep"), kept in step by an ORM hook
    search_text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    agency: Mapped[Agency] = relationship(back_populates="procedures")
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    checklist: Mapped[list["ChecklistItem"]] = relationship(
        back_populates="procedure",
        order_by="ChecklistItem.position",
        cascade="all, delete-orphan",
    )

    @property
    def processing_days(self) -> Decimal:
        return Decimal(self.processing_half_days) / 2

    @validates("code", "name")
    def _keep_search_text(self, key: str, value: str) -> str:
        """The search text follows the code and the name (the catalogue's search ignores case and accents)."""
        code = value if key == "code" else self.code
        name = value if key == "name" else self.name
        self.search_text = procedure_search_text(code or "", name or "")
        return value


class ChecklistItem(Base):
    """One required or optional document of a procedure (thành phần hồ sơ)."""

    __tablename__ = "checklist_items"
    __table_args__ = (UniqueConstraint("procedure_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    #: number of copies asked for, as published
    copies: Mapped[int] = mapped_column(Integer, default=1)

    procedure: Mapped[Procedure] = relationship(back_populates="checklist")
