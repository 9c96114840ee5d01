"""The official forms the one-stop office issues and keeps (forms 01–04 of Thông tư 01/2018/TT-VPCP,
named by the Quy chế in Điều 9.1.b–c, 9.3.d, 18): each is numbered per issuing agency and Vietnamese
year, and frozen once issued (the values printed and the PDF itself), so a reprint gives the same
bytes. Forms 05 and 06 are not stored: they are the live history and register, rendered on demand."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, LargeBinary, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from postal_gateway.core.db import Base, UTCDateTime


class FormNumberCounter(Base):
    """The last number issued of one form by one agency in one Vietnamese year (gap-free, like codes)."""

    __tablename__ = "form_number_counters"
    __table_args__ = (CheckConstraint("last_number >= 1", name="last_number_positive"),)

    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    form_no: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class OfficialForm(Base):
    """One issued form: who issued it, for which dossier, what it says and the PDF as printed."""

    __tablename__ = "official_forms"
    __table_args__ = (
        UniqueConstraint("agency_id", "form_no", "year", "number"),
        CheckConstraint("form_no BETWEEN 1 AND 4", name="stored_form_no"),
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the issuing body: its name heads the form and the number is in its sequence
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    #: 1 Giấy tiếp nhận, 2 Phiếu yêu cầu bổ sung, 3 Phiếu từ chối, 4 Phiếu xin lỗi
    form_no: Mapped[int] = mapped_column(SmallInteger)
    #: the Vietnamese calendar year of ``issued_at``
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: the values printed on the form, frozen with it
    data: Mapped[dict] = mapped_column(JSON)
    pdf: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    sha256: Mapped[str] = mapped_column(String(64))

    agency = relationship("Agency")
    dossier = relationship("Dossier")
    issued_by = relationship("User")
