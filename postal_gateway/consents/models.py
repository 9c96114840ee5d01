"""Citizens' authorisations of a post office (ủy quyền) and the audit log of acts on their behalf (R-02)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from postal_gateway.core.db import Base, UTCDateTime, utcnow


class ConsentScope(str, enum.Enum):
    #: valid for the next single dossier only
    single_dossier = "single_dossier"
    #: valid for any dossier between valid_from and valid_until
    period = "period"


class ConsentMethod(str, enum.Enum):
    #: the citizen confirmed a one-time code sent to their phone
    one_time_code = "one_time_code"
    #: staff attached a scan of an authorisation the citizen signed
    signed_scan = "signed_scan"


class ConsentStatus(str, enum.Enum):
    #: waiting for the citizen's one-time code
    pending = "pending"
    #: a signed scan, waiting for a second person of the office to review it or the citizen to confirm it
    awaiting_review = "awaiting_review"
    #: may be used
    active = "active"
    #: a single-dossier consent that was used
    used = "used"
    #: withdrawn by the citizen or by staff at the citizen's request
    revoked = "revoked"


class Consent(Base):
    __tablename__ = "consents"
    __table_args__ = (
        CheckConstraint(
            "scope != 'period' OR valid_until IS NOT NULL", name="period_has_end"
        ),
        CheckConstraint(
            "method != 'signed_scan' OR scan_sha256 IS NOT NULL", name="scan_attached"
        ),
        Index("ix_consents_citizen_office", "citizen_id", "post_office_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    post_office_id: Mapped[int] = mapped_column(ForeignKey("post_offices.id"))
    scope: Mapped[ConsentScope] = mapped_column(Enum(ConsentScope, native_enum=False, length=16))
    method: Mapped[ConsentMethod] = mapped_column(Enum(ConsentMethod, native_enum=False, length=16))
    status: Mapped[ConsentStatus] = mapped_column(
        Enum(ConsentStatus, native_enum=False, length=16), default=ConsentStatus.pending
    )
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: staff member who asked for the consent
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the dossier a single-dossier consent was spent on
    used_by_dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id", use_alter=True))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revocation_reason: Mapped[str] = mapped_column(Text, default="")
    scan_filename: Mapped[str | None] = mapped_column(String(255))
    scan_content_type: Mapped[str | None] = mapped_column(String(64))
    scan_sha256: Mapped[str | None] = mapped_column(String(64))
    scan_content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    citizen = relationship("User", foreign_keys=[citizen_id])
    post_office = relationship("PostOffice")


class AuditEntry(Base):
    """Append-only record of one act; acts on a citizen's behalf name both people.

    Rows are never updated or deleted: the ORM refuses it (see consents.audit), and on
    PostgreSQL a trigger refuses it too.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        CheckConstraint(
            "on_behalf_of_id IS NULL OR consent_id IS NOT NULL", name="behalf_needs_consent"
        ),
        Index("ix_audit_entries_subject", "subject_type", "subject_id"),
        Index("ix_audit_entries_on_behalf_of_id", "on_behalf_of_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: who acted (staff member, citizen, operator); None for the system itself
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: the citizen on whose behalf the actor acted
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    consent_id: Mapped[int | None] = mapped_column(ForeignKey("consents.id"))
    #: dotted verb, e.g. "dossier.submitted", "consent.revoked"
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None]
    details: Mapped[dict] = mapped_column(JSON, default=dict)
