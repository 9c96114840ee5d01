"""Small builders for test rows; each returns a flushed object with sensible defaults."""
from __future__ import annotations

import itertools

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from postal_gateway.accounts.models import IdKind, Role, User
from postal_gateway.catalogue.models import Agency, ChecklistItem, PostOffice, Procedure, ProcedureField
from postal_gateway.db import utcnow

_counter = itertools.count(1)
# Cheap parameters: tests hash many passwords and need not resist cracking.
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

DEFAULT_PASSWORD = "matkhau-an-toan-2026"


def agency(session: Session, code: str | None = None, **fields) -> Agency:
    number = next(_counter)
    row = Agency(
        # 999. never meets the demo agency (000.00.20.H10) nor the codes the tests spell out.
        code=code or f"999.{number // 100 % 100:02d}.{number % 100:02d}.H10",
        name=fields.pop("name", f"Sở Thông tin và Truyền thông {number}"),
        one_stop_phone=fields.pop("one_stop_phone", "02713888207"),
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def post_office(session: Session, **fields) -> PostOffice:
    number = next(_counter)
    row = PostOffice(
        code=fields.pop("code", f"83{number:04d}"),
        name=fields.pop("name", f"Bưu cục {number}"),
        address=fields.pop("address", "Đồng Xoài, Bình Phước"),
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def procedure(session: Session, agency_row: Agency, checklist: tuple[str, ...] = ("Đơn đề nghị", "Bản sao giấy phép"), **fields) -> Procedure:
    number = next(_counter)
    row = Procedure(
        code=fields.pop("code", f"T-BPC-{280000 + number}-TT"),
        name=fields.pop("name", f"Thủ tục thử {number}"),
        field=fields.pop("field", ProcedureField.postal),
        agency=agency_row,
        level=fields.pop("level", 4),
        processing_half_days=fields.pop("processing_half_days", 10),
        fee_vnd=fields.pop("fee_vnd", 50_000),
        **fields,
    )
    row.checklist = [ChecklistItem(position=i, name=name) for i, name in enumerate(checklist, start=1)]
    session.add(row)
    session.flush()
    return row


def user(session: Session, role: Role = Role.citizen, password: str | None = DEFAULT_PASSWORD, **fields) -> User:
    number = next(_counter)
    if role == Role.citizen:
        fields.setdefault("id_kind", IdKind.citizen_id)
        fields.setdefault("id_number", f"0701{number:08d}")
    if role in (Role.postal_staff, Role.office_manager) and "post_office_id" not in fields and "post_office" not in fields:
        fields["post_office"] = post_office(session)
    if role in (Role.agency_staff, Role.agency_admin) and "agency_id" not in fields and "agency" not in fields:
        fields["agency"] = agency(session)
    row = User(
        role=role,
        full_name=fields.pop("full_name", f"Nguyễn Văn Thử {number}"),
        phone=fields.pop("phone", f"+8491{number:07d}"),
        email=fields.pop("email", f"user{number}@example.vn"),
        password_hash=_fast_hasher.hash(password) if password else None,
        is_active=fields.pop("is_active", True),
        activated_at=utcnow(),
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def consent(session: Session, citizen: User, staff: User, **fields):
    """An active consent of ``citizen`` for ``staff``'s post office (period scope unless told)."""
    from datetime import timedelta

    from postal_gateway.consents.models import Consent, ConsentMethod, ConsentScope, ConsentStatus

    now = fields.pop("now", None) or utcnow()
    scope = fields.pop("scope", ConsentScope.period)
    method = fields.pop("method", ConsentMethod.one_time_code)
    if method == ConsentMethod.signed_scan:
        fields.setdefault("scan_sha256", "0" * 64)
    row = Consent(
        citizen_id=citizen.id,
        post_office_id=fields.pop("post_office_id", staff.post_office_id),
        scope=scope,
        method=method,
        status=fields.pop("status", ConsentStatus.active),
        valid_from=fields.pop("valid_from", now),
        valid_until=fields.pop("valid_until", now + timedelta(days=30 if scope == ConsentScope.period else 7)),
        requested_by_id=staff.id,
        created_at=now,
        confirmed_at=fields.pop("confirmed_at", now),
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def contract(session: Session, agency_row: Agency, number: str | None = None, **draft_changes):
    """A contract with the demo content (contracts.demo.demo_draft) for ``agency_row``;
    ``valid_from``/``valid_until`` and any other VersionDraft field may be overridden."""
    from contracts.demo import demo_draft
    from contracts.versions.services import create_contract

    row = create_contract(
        session,
        agency_code=agency_row.code,
        number=number or f"HĐ-{next(_counter)}",
        post_name="Bưu điện tỉnh Bình Phước",
        draft=demo_draft(**draft_changes),
        now=utcnow(),
    )
    session.flush()
    return row


def dossier(session: Session, agency_row: Agency, procedure_row: Procedure, citizen: User, *, received_at=None, **fields):
    """A received postal dossier, inserted directly (no intake rules), for areas that build on it."""
    from datetime import timedelta

    from postal_gateway.dossiers.models import Channel, Dossier

    received_at = received_at or utcnow()
    number = next(_counter)
    if "post_office_id" not in fields:
        fields["post_office_id"] = post_office(
            session, province_code=agency_row.province_code or "70", district_code=agency_row.district_code or "689"
        ).id
    row = Dossier(
        code=fields.pop("code", f"{agency_row.code}-{received_at:%y%m%d}-{number % 10000:04d}"),
        agency_id=agency_row.id, procedure_id=procedure_row.id, citizen_id=citizen.id,
        channel=fields.pop("channel", Channel.postal), level=procedure_row.level,
        entered_at=received_at, received_at=received_at, processing_start_at=received_at,
        due_at=received_at + timedelta(days=7), appointment_date=(received_at + timedelta(days=7)).date(),
        fee_vnd=fields.pop("fee_vnd", procedure_row.fee_vnd), **fields,
    )
    session.add(row)
    session.flush()
    return row


def postal_dossier(session: Session, *, citizen: User | None = None, staff: User | None = None, **fields):
    """A postal dossier row written directly (no intake rules), received ``entered_at`` (default now)."""
    from datetime import timedelta

    from postal_gateway.dossiers.models import Channel, CollectionPlace, Dossier, DossierStatus

    number = next(_counter)
    staff = staff or user(session, Role.postal_staff)
    citizen = citizen or user(session, Role.citizen)
    proc = fields.pop("procedure", None)
    if proc is None:
        proc = procedure(session, fields.pop("agency", None) or agency(session))
    entered_at = fields.pop("entered_at", None) or utcnow()
    row = Dossier(
        code=fields.pop("code", f"{proc.agency.code}-{entered_at:%y%m%d}-{number % 10000:04d}"),
        agency_id=proc.agency_id,
        procedure_id=proc.id,
        citizen_id=citizen.id,
        channel=fields.pop("channel", Channel.postal),
        level=proc.level,
        status=fields.pop("status", DossierStatus.received),
        collection_place=fields.pop("collection_place", CollectionPlace.post_office),
        post_office_id=fields.pop("post_office_id", staff.post_office_id),
        submitted_by_id=staff.id,
        entered_at=entered_at,
        received_at=fields.pop("received_at", entered_at),
        processing_start_at=fields.pop("processing_start_at", entered_at),
        due_at=fields.pop("due_at", entered_at + timedelta(days=7)),
        appointment_date=fields.pop("appointment_date", (entered_at + timedelta(days=7)).date()),
        fee_vnd=fields.pop("fee_vnd", proc.fee_vnd),
        postage_vnd=fields.pop("postage_vnd", 30_000),
        **fields,
    )
    session.add(row)
    session.flush()
    return row
