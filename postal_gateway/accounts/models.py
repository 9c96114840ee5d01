"""Users of every role, one-time codes and API tokens (R-01)."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy import inspect as inspect_row
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship, validates

from postal_gateway.core.db import Base, UTCDateTime, utcnow


class Role(str, enum.Enum):
    #: công dân or tổ chức with a public-service account
    citizen = "citizen"
    #: nhân viên bưu chính, acts for citizens with their consent
    postal_staff = "postal_staff"
    #: trưởng bưu cục: a post office's manager, approves what its postal staff propose (compensation)
    office_manager = "office_manager"
    #: cán bộ Bộ phận Một cửa of one agency
    agency_staff = "agency_staff"
    #: agency head or deputy: signs off reconciliations, authorises refunds
    agency_admin = "agency_admin"
    #: runs the service, imports the catalogue
    operator = "operator"


#: who works for a post office, on its data: the office manager has every right of its postal staff
POST_OFFICE_ROLES = (Role.postal_staff, Role.office_manager)


class IdKind(str, enum.Enum):
    #: căn cước công dân, 12 digits
    citizen_id = "citizen_id"
    #: chứng minh nhân dân, legacy 9 digits
    legacy_id = "legacy_id"
    passport = "passport"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        # Citizens are identified by their ID document; staff by their e-mail.
        CheckConstraint("role != 'citizen' OR id_number IS NOT NULL", name="citizen_has_id"),
        CheckConstraint(
            "role NOT IN ('agency_staff', 'agency_admin') OR agency_id IS NOT NULL",
            name="agency_staff_has_agency",
        ),
        CheckConstraint(
            "role NOT IN ('postal_staff', 'office_manager') OR post_office_id IS NOT NULL",
            name="postal_staff_has_office",
        ),
        # A frozen account keeps its ID number and e-mail for the record; the real holder who reclaimed
        # them gets a new account with the same ones, so uniqueness is among live accounts only.
        Index("uq_users_id_number", "id_number", unique=True,
              postgresql_where=text("frozen_at IS NULL"), sqlite_where=text("frozen_at IS NULL")),
        Index("uq_users_email", "email", unique=True,
              postgresql_where=text("frozen_at IS NULL"), sqlite_where=text("frozen_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=16))
    #: exactly as on the ID document
    full_name: Mapped[str] = mapped_column(String(255))
    id_kind: Mapped[IdKind | None] = mapped_column(Enum(IdKind, native_enum=False, length=16))
    #: digits of the citizen ID, or the passport number in upper case
    id_number: Mapped[str | None] = mapped_column(String(16))
    #: E.164, e.g. +84912345678
    phone: Mapped[str] = mapped_column(String(16), default="")
    #: lower-cased
    email: Mapped[str | None] = mapped_column(String(255))
    #: tổ chức the citizen represents, if any
    organisation_name: Mapped[str] = mapped_column(String(255), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    #: argon2id hash; None until the owner sets a password
    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: a citizen account may be used only once its contact was proven by a one-time code
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    post_office_id: Mapped[int | None] = mapped_column(ForeignKey("post_offices.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    #: a citizen registered at the counter by postal staff, with that staff member
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: preferred language of messages and pages
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: page sessions carry this number; raising it (log-out, or a change of credentials) ends them all
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: API tokens carry this number; raised when the password, role or activity changes, which revokes them all
    credentials_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: when the account was frozen because the real holder of its ID document reclaimed it; None: live
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why, as the checking staff member wrote it
    frozen_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    post_office = relationship("PostOffice")
    agency = relationship("Agency")

    @validates("password_hash", "role", "is_active")
    def _end_sessions_when_credentials_change(self, key: str, value):
        # Here rather than in each use case, so no code path (reset, reclaim, an operator's fix)
        # can change what a session was granted on and leave old cookies or tokens working.
        if inspect_row(self).has_identity and getattr(self, key) != value:
            self.session_version = (self.session_version or 0) + 1
            self.credentials_version = (self.credentials_version or 0) + 1
        return value


class IdentityCheckPurpose(str, enum.Enum):
    #: postal staff registered the citizen's account at the counter or the door
    registration = "registration"
    #: the real holder of an ID number already taken reclaimed it; the old account was frozen
    reclaim = "reclaim"


class IdentityCheck(Base):
    """The ID document a staff member held in their hands when acting on a citizen's identity (R-01, R-02)."""

    __tablename__ = "identity_checks"
    __table_args__ = (Index("ix_identity_checks_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the account this check opened
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[IdentityCheckPurpose] = mapped_column(Enum(IdentityCheckPurpose, native_enum=False, length=16))
    #: staff member who checked the document
    checked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: where: the checker's post office or agency
    post_office_id: Mapped[int | None] = mapped_column(ForeignKey("post_offices.id"))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    id_kind: Mapped[IdKind] = mapped_column(Enum(IdKind, native_enum=False, length=16))
    #: as printed on the document, canonical form
    id_number: Mapped[str] = mapped_column(String(16))
    #: ngày cấp printed on the document
    document_issued_on: Mapped[date] = mapped_column(Date)
    photo_filename: Mapped[str] = mapped_column(String(255))
    photo_content_type: Mapped[str] = mapped_column(String(64))
    photo_sha256: Mapped[str] = mapped_column(String(64))
    #: the photo of the card (front), validated by content
    photo_content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    #: for a reclaim: the account frozen
    frozen_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CodePurpose(str, enum.Enum):
    #: activates a new account (R-01)
    activation = "activation"
    #: confirms a consent to postal staff (R-02)
    consent = "consent"
    password_reset = "password_reset"
    #: proves one holds an ID number, to see one's own names on the public lookup (Nghị định 13/2023/NĐ-CP)
    lookup = "lookup"


class OneTimeCode(Base):
    """A 6-digit code sent by SMS or e-mail; only its hash is kept."""

    __tablename__ = "one_time_codes"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_one_time_codes_user_purpose", "user_id", "purpose", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[CodePurpose] = mapped_column(Enum(CodePurpose, native_enum=False, length=16))
    #: what the code unlocks, e.g. the consent id
    subject_id: Mapped[int | None] = mapped_column(Integer)
    code_hash: Mapped[str] = mapped_column(String(255))
    #: "sms" or "email"
    channel: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: wrong guesses so far; the code dies at the limit
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A bearer token for the API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the user's credentials_version when issued; a token of an older version is refused
    credentials_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    user: Mapped[User] = relationship()
