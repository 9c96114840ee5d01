"""Test rows, built with factory_boy: one factory per kind of row, flushed into the test's session.

Tests call the builders at the bottom (``factories.user(session, Role.postal_staff)``,
``factories.procedure(session, agency_row)``); each hands the test's session to its factory and
returns the flushed row. A factory may also be called directly, with the session as ``session=``:
``UserFactory(session=session, role=Role.agency_staff)`` builds the agency its role needs.
"""
from __future__ import annotations

from datetime import timedelta

import factory
from argon2 import PasswordHasher
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy.orm import Session

from contracts.cashbook import CASH_METHODS, shift_for_cash_intake
from contracts.demo import demo_draft
from contracts.models import Contract
from contracts.versions.services import create_contract
from postal_gateway.accounts.models import POST_OFFICE_ROLES, IdKind, Role, User
from postal_gateway.catalogue.models import Agency, ChecklistItem, PostOffice, Procedure, ProcedureField
from postal_gateway.consents.models import Consent, ConsentMethod, ConsentScope, ConsentStatus
from postal_gateway.core.db import utcnow
from postal_gateway.dossiers.models import (
    Channel,
    CollectedAmount,
    CollectionMethod,
    CollectionPlace,
    Dossier,
    DossierStatus,
    PaymentKind,
    ReceiptBasis,
)
from postal_gateway.dossiers.shipments import format_shipment_number

# Cheap parameters: tests hash many passwords and need not resist cracking.
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

DEFAULT_PASSWORD = "matkhau-an-toan-2026"

#: the session of the row being built, handed on to the rows it needs
_SAME_SESSION = factory.SelfAttribute("..session")


class _RowFactory(SQLAlchemyModelFactory):
    """A row added to the session given as ``session=`` (the test's own) and flushed, so that it has
    its id and the test's rollback or truncation takes it away."""

    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "flush"

    session = None

    @classmethod
    def _setup_next_sequence(cls) -> int:
        return 1  # as the hand-written builders counted: no agency is numbered 00

    @classmethod
    def _create(cls, model_class, *args, session: Session | None = None, **fields):
        if session is None:
            raise TypeError(f"{cls.__name__} needs session=: the test's session")
        return cls._save(model_class, session, args, fields)

    @classmethod
    def _build(cls, model_class, *args, session: Session | None = None, **fields):
        return model_class(*args, **fields)  # an unsaved row: the session is not one of its columns


def _role_in(*roles: Role, unless_given: str | None = None):
    """Decides a ``factory.Maybe``: the row's role is one of ``roles`` and the test gave no
    ``unless_given`` (say ``post_office_id`` instead of the ``post_office`` being decided)."""
    return factory.LazyAttribute(
        lambda row: row.role in roles and (unless_given is None or getattr(row, unless_given, None) is None)
    )


class AgencyFactory(_RowFactory):
    class Meta:
        model = Agency

    # 999. never meets the demo agency (000.00.20.H10) nor the codes the tests spell out
    code = factory.Sequence(lambda n: f"999.{n // 100 % 100:02d}.{n % 100:02d}.H10")
    name = factory.Sequence(lambda n: f"Sở Thông tin và Truyền thông {n}")
    one_stop_phone = "02713888207"


class PostOfficeFactory(_RowFactory):
    class Meta:
        model = PostOffice

    code = factory.Sequence(lambda n: f"83{n:04d}")
    name = factory.Sequence(lambda n: f"Bưu cục {n}")
    address = "Đồng Xoài, Bình Phước"


class ProcedureFactory(_RowFactory):
    class Meta:
        model = Procedure

    class Params:
        #: the names of the checklist's items, in order
        checklist_names = ("Đơn đề nghị", "Bản sao giấy phép")

    code = factory.Sequence(lambda n: f"T-BPC-{280000 + n}-TT")
    name = factory.Sequence(lambda n: f"Thủ tục thử {n}")
    field = ProcedureField.postal
    agency = factory.SubFactory(AgencyFactory, session=_SAME_SESSION)
    level = 4
    processing_half_days = 10
    fee_vnd = 50_000
    checklist = factory.LazyAttribute(
        lambda row: [ChecklistItem(position=i, name=name) for i, name in enumerate(row.checklist_names, start=1)]
    )


class UserFactory(_RowFactory):
    """A citizen unless told; a citizen gets an ID number, postal staff a post office and agency
    staff an agency, as the ``users`` table's CHECK constraints require."""

    class Meta:
        model = User

    class Params:
        #: hashed with the cheap test hasher; None for an account without a password
        password = DEFAULT_PASSWORD

    role = Role.citizen
    id_kind = factory.Maybe(_role_in(Role.citizen), IdKind.citizen_id)
    id_number = factory.Maybe(_role_in(Role.citizen), factory.Sequence(lambda n: f"0701{n:08d}"))
    post_office = factory.Maybe(
        _role_in(Role.postal_staff, Role.office_manager, unless_given="post_office_id"),
        factory.SubFactory(PostOfficeFactory, session=_SAME_SESSION),
    )
    agency = factory.Maybe(
        _role_in(Role.agency_staff, Role.agency_admin, unless_given="agency_id"),
        factory.SubFactory(AgencyFactory, session=_SAME_SESSION),
    )
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn Thử {n}")
    phone = factory.Sequence(lambda n: f"+8491{n:07d}")
    email = factory.Sequence(lambda n: f"user{n}@example.vn")
    password_hash = factory.LazyAttribute(lambda row: _fast_hasher.hash(row.password) if row.password else None)
    is_active = True
    activated_at = factory.LazyFunction(utcnow)


class ConsentFactory(_RowFactory):
    """An active consent of ``citizen`` for ``staff``'s post office, given at ``now`` (period scope
    unless told: 30 days, a single dossier's 7)."""

    class Meta:
        model = Consent

    class Params:
        citizen = factory.SubFactory(UserFactory, session=_SAME_SESSION)
        staff = factory.SubFactory(UserFactory, session=_SAME_SESSION, role=Role.postal_staff)
        now = factory.LazyFunction(utcnow)

    citizen_id = factory.SelfAttribute("citizen.id")
    post_office_id = factory.SelfAttribute("staff.post_office_id")
    scope = ConsentScope.period
    method = ConsentMethod.one_time_code
    scan_sha256 = factory.Maybe(factory.LazyAttribute(lambda row: row.method == ConsentMethod.signed_scan), "0" * 64)
    status = ConsentStatus.active
    valid_from = factory.SelfAttribute("now")
    valid_until = factory.LazyAttribute(
        lambda row: row.now + timedelta(days=30 if row.scope == ConsentScope.period else 7)
    )
    requested_by_id = factory.SelfAttribute("staff.id")
    created_at = factory.SelfAttribute("now")
    confirmed_at = factory.SelfAttribute("now")


class ContractFactory(_RowFactory):
    """A contract recorded through the contracts service with the demo content
    (``contracts.demo.demo_draft``); any other keyword is a change to that draft."""

    class Meta:
        model = Contract

    agency = factory.SubFactory(AgencyFactory, session=_SAME_SESSION)
    number = factory.Sequence(lambda n: f"HĐ-{n}")
    post_name = "Bưu điện tỉnh Bình Phước"

    @classmethod
    def _create(cls, model_class, *args, session: Session | None = None, agency: Agency, number: str,
                post_name: str, **draft_changes):
        row = create_contract(session, agency_code=agency.code, number=number, post_name=post_name,
                              draft=demo_draft(**draft_changes), now=utcnow())
        session.flush()
        return row


class DossierFactory(_RowFactory):
    """A received dossier written directly (no intake rules), for areas that build on it; unless
    told, its post office is a new one in the agency's province and district."""

    class Meta:
        model = Dossier

    class Params:
        procedure = factory.SubFactory(ProcedureFactory, session=_SAME_SESSION)
        agency = factory.SelfAttribute("procedure.agency")
        citizen = factory.SubFactory(UserFactory, session=_SAME_SESSION)

    code = factory.LazyAttributeSequence(lambda row, n: f"{row.agency.code}-{row.received_at:%y%m%d}-{n % 10000:04d}")
    agency_id = factory.SelfAttribute("agency.id")
    procedure_id = factory.SelfAttribute("procedure.id")
    citizen_id = factory.SelfAttribute("citizen.id")
    # Lazy, not a sub-factory: a test that names the post office gets no spare one.
    post_office_id = factory.LazyAttribute(lambda row: PostOfficeFactory(
        session=row.session,
        province_code=row.agency.province_code or "70",
        district_code=row.agency.district_code or "689",
    ).id)
    channel = Channel.postal
    status = DossierStatus.received
    level = factory.SelfAttribute("procedure.level")
    received_at = factory.LazyFunction(utcnow)
    entered_at = factory.SelfAttribute("received_at")
    submitted_at = factory.SelfAttribute("entered_at")
    shipment_number = factory.Sequence(lambda n: format_shipment_number(n + 1, prefix="TS"))  # never the intake's "RA"
    accepted_at = factory.SelfAttribute("received_at")
    receipt_basis = ReceiptBasis.online_valid
    processing_start_at = factory.SelfAttribute("received_at")
    due_at = factory.LazyAttribute(lambda row: row.received_at + timedelta(days=7))
    appointment_date = factory.LazyAttribute(lambda row: (row.received_at + timedelta(days=7)).date())
    fee_vnd = factory.SelfAttribute("procedure.fee_vnd")


class PostalDossierFactory(DossierFactory):
    """A dossier a postal worker took at the counter at ``entered_at`` (default now), status
    received, to be collected at the worker's post office."""

    class Params:
        staff = factory.SubFactory(UserFactory, session=_SAME_SESSION, role=Role.postal_staff)

    code = factory.LazyAttributeSequence(lambda row, n: f"{row.agency.code}-{row.entered_at:%y%m%d}-{n % 10000:04d}")
    status = DossierStatus.received
    collection_place = CollectionPlace.post_office
    post_office_id = factory.SelfAttribute("staff.post_office_id")
    submitted_by_id = factory.SelfAttribute("staff.id")
    entered_at = factory.LazyFunction(utcnow)
    received_at = factory.SelfAttribute("entered_at")
    processing_start_at = factory.SelfAttribute("entered_at")
    due_at = factory.LazyAttribute(lambda row: row.entered_at + timedelta(days=7))
    appointment_date = factory.LazyAttribute(lambda row: (row.entered_at + timedelta(days=7)).date())
    postage_vnd = 30_000


# --- the builders the tests call ------------------------------------------------------------------

#: keywords of ``postal_dossier`` for which None means "the default", as it always has
_DEFAULTED_WHEN_NONE = ("citizen", "staff", "procedure", "agency", "entered_at")


def agency(session: Session, code: str | None = None, **fields) -> Agency:
    if code:
        fields["code"] = code
    return AgencyFactory(session=session, **fields)


def post_office(session: Session, **fields) -> PostOffice:
    return PostOfficeFactory(session=session, **fields)


def procedure(session: Session, agency_row: Agency, checklist: tuple[str, ...] = ("Đơn đề nghị", "Bản sao giấy phép"), **fields) -> Procedure:
    return ProcedureFactory(session=session, agency=agency_row, checklist_names=checklist, **fields)


def user(session: Session, role: Role = Role.citizen, password: str | None = DEFAULT_PASSWORD, **fields) -> User:
    return UserFactory(session=session, role=role, password=password, **fields)


def consent(session: Session, citizen: User, staff: User, **fields) -> Consent:
    """An active consent of ``citizen`` for ``staff``'s post office (period scope unless told)."""
    if fields.get("now") is None:
        fields.pop("now", None)
    return ConsentFactory(session=session, citizen=citizen, staff=staff, **fields)


def contract(session: Session, agency_row: Agency, number: str | None = None, **draft_changes) -> Contract:
    """A contract with the demo content (contracts.demo.demo_draft) for ``agency_row``;
    ``valid_from``/``valid_until`` and any other VersionDraft field may be overridden."""
    if number:
        draft_changes["number"] = number
    return ContractFactory(session=session, agency=agency_row, **draft_changes)


def dossier(session: Session, agency_row: Agency, procedure_row: Procedure, citizen: User, *, received_at=None, **fields) -> Dossier:
    """A received postal dossier, inserted directly (no intake rules), for areas that build on it."""
    if received_at is not None:
        fields["received_at"] = received_at
    return DossierFactory(session=session, agency=agency_row, procedure=procedure_row, citizen=citizen, **fields)


def postal_dossier(session: Session, *, citizen: User | None = None, staff: User | None = None, **fields) -> Dossier:
    """A postal dossier row written directly (no intake rules), received ``entered_at`` (default now);
    with ``agency`` and no ``procedure``, a new procedure of that agency."""
    given = {"citizen": citizen, "staff": staff, **fields}
    fields = {name: value for name, value in given.items() if value is not None or name not in _DEFAULTED_WHEN_NONE}
    if "procedure" not in fields and "agency" in fields:
        fields["procedure"] = ProcedureFactory(session=session, agency=fields["agency"])
    return PostalDossierFactory(session=session, **fields)


def amount_collected(session: Session, dossier_row: Dossier, kind: PaymentKind, amount_vnd: int, *,
                     method: CollectionMethod = CollectionMethod.cash, by: User | None = None,
                     at=None) -> CollectedAmount:
    """An amount collected for a dossier as intake records it: cash or thu hộ is a line of the collector's cash
    shift (their open one, or one opened ``at``); the collector defaults to the dossier's submitting postal worker,
    else a new worker of its post office."""
    if by is None and dossier_row.submitted_by is not None and dossier_row.submitted_by.role in POST_OFFICE_ROLES:
        by = dossier_row.submitted_by
    elif by is None:
        by = user(session, Role.postal_staff, post_office_id=dossier_row.post_office_id or post_office(session).id)
    at = at or dossier_row.submitted_at or utcnow()
    shift_id = shift_for_cash_intake(session, worker_id=by.id, now=at).shift.id if method in CASH_METHODS else None
    row = CollectedAmount(kind=kind, method=method, amount_vnd=amount_vnd, collected_by_id=by.id, collected_at=at,
                          shift_id=shift_id)
    dossier_row.collected.append(row)
    session.flush()
    return row
