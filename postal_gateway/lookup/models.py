"""One lookup record per dossier: only the fields R-19 lists plus a public timeline.

No coordinates, no staff names, no phone numbers are ever stored here; the ID number exists only
as a keyed hash (HMAC-SHA256), so the table alone cannot be read back into ID numbers.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from postal_gateway.core.db import Base, UTCDateTime, utcnow


class LookupRecord(Base):
    __tablename__ = "lookup_records"
    __table_args__ = (Index("ix_lookup_records_id_hash", "id_number_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the dossier it mirrors (no foreign key: the store may live apart from the dossier tables)
    dossier_id: Mapped[int] = mapped_column(Integer, unique=True)
    #: mã hồ sơ, also encoded in the QR code shown; None until the agency accepts it (Điều 14.4)
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    #: số hiệu bưu gửi: the submission's reference, known before the code
    shipment_number: Mapped[str] = mapped_column(String(13), unique=True)
    #: when the post submitted it online (Điều 21.1)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: cơ quan tiếp nhận
    agency_name: Mapped[str] = mapped_column(String(255))
    #: phòng chuyên môn xử lý
    processing_department: Mapped[str] = mapped_column(String(255), default="")
    #: tổ chức, if any
    organisation_name: Mapped[str] = mapped_column(String(255), default="")
    #: họ tên người nộp, as on the ID card
    applicant_name: Mapped[str] = mapped_column(String(255))
    #: ngày tiếp nhận; None until accepted
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: ngày hẹn trả; None until accepted
    appointment_date: Mapped[date | None] = mapped_column(Date)
    #: a DossierStatus value
    status: Mapped[str] = mapped_column(String(32))
    #: for an incomplete dossier: what must be supplemented (R-19), one line each
    supplements: Mapped[list] = mapped_column(JSON, default=list)
    #: [{"at": iso, "label": message id, "place": post office name or ""}], oldest first
    timeline: Mapped[list] = mapped_column(JSON, default=list)
    #: HMAC-SHA256 of the applicant's normalised ID number
    id_number_hash: Mapped[str] = mapped_column(String(64), default="")
    #: the last integration event applied (for operators; the projection is idempotent anyway)
    last_event_id: Mapped[str] = mapped_column(String(64), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
