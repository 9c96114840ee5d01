"""Postal intake of dossiers (R-04…R-07, R-10, R-15): one use case per function, no Flask here.

``submit`` checks every rule, then writes the dossier, its code, documents, amounts, history,
consent use, audit entry and the citizen's notification in ONE transaction: it flushes, the
caller commits. A repeated submission key returns the dossier already made (idempotency).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import func, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from contracts.cashbook import CASH_METHODS, IntakeShift, shift_for_cash_intake
from contracts.models import CashShift, DossierContract
from contracts.services import attach_contract
from postal_gateway.accounts.models import POST_OFFICE_ROLES, Role, User
from postal_gateway.catalogue.models import Procedure
from postal_gateway.catalogue.services import normalise_procedure_code
from postal_gateway.consents import audit
from postal_gateway.consents.models import ConsentScope
from postal_gateway.consents.services import mark_consent_used, require_consent
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import N_, Conflict, FieldError, Forbidden, InvalidInput, NotFound
from postal_gateway.core.formatting import format_local_datetime, format_vnd
from postal_gateway.core.outbox import IntegrationEvent
from postal_gateway.core.uploads import validate_scans
from postal_gateway.dossiers import workflow
from postal_gateway.dossiers.models import (
    Channel,
    CollectedAmount,
    CollectionMethod,
    CollectionPlace,
    Dossier,
    DossierDocument,
    DossierStatus,
    PaymentKind,
)
from postal_gateway.dossiers.shipments import SHIPMENT_PREFIX, find_by_reference, next_shipment_number, reference_in
from postal_gateway.lookup.projection import record_new_dossier
from postal_gateway.notifications.service import send
from tracking.services import open_new_forward_leg

#: what a postal worker may take at the door or the post office for now (Điều 23.4)
POSTAL_COLLECTION_METHODS = (CollectionMethod.cash, CollectionMethod.collection_on_behalf)
#: larger amounts are typing mistakes (and would overflow the column)
MAX_AMOUNT_VND = 1_000_000_000
MAX_KEY_LENGTH = 64
ADDRESS_MAX = 500
ORGANISATION_MAX = 255
#: the line printed on the detail page and slip for level 4 without a digital signature (Điều 7.3)
ORIGINALS_BY_POST_NOTE = N_("Bản gốc gửi kèm qua bưu chính, ghi mã hồ sơ")


@dataclass(frozen=True)
class CollectedPayment:
    """Money the postal worker took at intake."""

    amount_vnd: int
    method: CollectionMethod


@dataclass
class PostalSubmission:
    """Everything a postal worker hands in for one dossier (the command of ``submit``)."""

    staff: User
    citizen: User
    procedure_code: str
    #: ids of the checklist items present
    checklist_ticked: list[int]
    #: (checklist item id, filename, bytes): one file per ticked document
    scans: list[tuple[int, str, bytes]]
    collection_place: CollectionPlace
    pickup_address: str
    delivery_address: str
    fee_collected: CollectedPayment | None
    postage_vnd: int
    postage_collected: CollectedPayment | None
    submission_key: str
    max_scan_bytes: int
    organisation_name: str = ""
    form_data: dict | None = None
    digitally_signed: bool = False
    #: when the worker entered it; defaults to now
    entered_at: datetime | None = None
    #: public base address for the lookup link in the citizen's message
    public_base_url: str = ""
    #: the two letters of the shipment number (Settings.shipment_prefix)
    shipment_prefix: str = SHIPMENT_PREFIX


@dataclass
class SubmissionOutcome:
    dossier: Dossier
    #: True when the key had already produced this dossier (a retry or a double tap)
    replayed: bool = False
    #: the cash shift this intake opened (its first cash or thu hộ of the worker's day), if it opened one
    opened_shift: CashShift | None = None


@dataclass
class _Checked:
    procedure: Procedure
    scans: list = field(default_factory=list)  # ValidatedScan, in checklist order with item ids


# --- rules that the wizard also uses step by step -------------------------------------------


def _is_amount(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_AMOUNT_VND


def checklist_errors(procedure: Procedure, ticked: list[int]) -> list[FieldError]:
    """Every required document not ticked, all at once (R-04, Điều 20.2/20.4), plus unknown ids."""
    known = {item.id for item in procedure.checklist}
    errors = [
        FieldError(
            "checklist",
            N_("Thiếu thành phần hồ sơ: %(name)s"),
            {"name": item.name, "checklist_item_id": item.id},
        )
        for item in procedure.checklist
        if item.required and item.id not in ticked
    ]
    for item_id in ticked:
        if item_id not in known:
            errors.append(
                FieldError(
                    "checklist",
                    N_("Thành phần hồ sơ số %(id)s không thuộc thủ tục này."),
                    {"id": item_id},
                )
            )
    return errors


def collection_errors(
    procedure: Procedure,
    *,
    collection_place: CollectionPlace | None,
    pickup_address: str,
    delivery_address: str,
    fee_collected: CollectedPayment | None,
    postage_vnd,
    postage_collected: CollectedPayment | None,
    organisation_name: str = "",
) -> list[FieldError]:
    """Where the dossier is collected and what is paid (R-05, R-06, R-15), every fault at once.

    Fees: the fee owed is the procedure's. A collected fee must equal it, in cash or thu hộ.
    Level 3 pays "at the counter" (Điều 7.2): for a postal dossier the postal worker is that
    counter, so a level-3 fee must be collected at intake. Level 4 may leave it unpaid: the
    citizen pays online later (Điều 7.3). Postage may be collected now or when the result comes back.
    """
    errors: list[FieldError] = []
    if not isinstance(collection_place, CollectionPlace):
        errors.append(FieldError("collection_place", N_("Chọn nơi nhận hồ sơ.")))
    elif collection_place == CollectionPlace.citizen_address and not (pickup_address or "").strip():
        errors.append(
            FieldError("pickup_address", N_("Nhận hồ sơ tại địa chỉ của công dân cần ghi địa chỉ."))
        )
    if len(pickup_address or "") > ADDRESS_MAX:
        errors.append(FieldError("pickup_address", N_("Địa chỉ quá dài (tối đa 500 ký tự).")))
    if len(delivery_address or "") > ADDRESS_MAX:
        errors.append(FieldError("delivery_address", N_("Địa chỉ quá dài (tối đa 500 ký tự).")))
    if len(organisation_name or "") > ORGANISATION_MAX:
        errors.append(FieldError("organisation_name", N_("Tên tổ chức quá dài (tối đa 255 ký tự).")))

    fee_owed = procedure.fee_vnd
    if fee_collected is not None:
        if not _is_amount(fee_collected.amount_vnd):
            errors.append(FieldError("fee", N_("Số tiền lệ phí phải là số nguyên không âm (VNĐ).")))
        elif fee_collected.amount_vnd != fee_owed:
            errors.append(
                FieldError(
                    "fee",
                    N_("Lệ phí thu phải đúng bằng lệ phí của thủ tục: %(fee)s đồng."),
                    {"fee": format_vnd(fee_owed, unit="")},
                )
            )
        if fee_collected.method not in POSTAL_COLLECTION_METHODS:
            errors.append(FieldError("fee", N_("Hình thức thu chỉ có thể là tiền mặt hoặc thu hộ.")))
    elif fee_owed > 0 and procedure.level == 3:
        errors.append(
            FieldError(
                "fee",
                N_("Thủ tục mức độ 3: cần thu lệ phí %(fee)s đồng khi nhận hồ sơ."),
                {"fee": format_vnd(fee_owed, unit="")},
            )
        )

    if not _is_amount(postage_vnd):
        errors.append(FieldError("postage", N_("Cước phải là số nguyên không âm (VNĐ).")))
    elif postage_collected is not None:
        if not _is_amount(postage_collected.amount_vnd) or postage_collected.amount_vnd != postage_vnd:
            errors.append(FieldError("postage", N_("Số cước thu phải đúng bằng cước phải trả.")))
        if postage_collected.method not in POSTAL_COLLECTION_METHODS:
            errors.append(FieldError("postage", N_("Hình thức thu chỉ có thể là tiền mặt hoặc thu hộ.")))
    return errors


def scan_field(checklist_item_id: int) -> str:
    """Name of the form field / API field carrying the scan of one checklist item."""
    return f"scan_{checklist_item_id}"


# --- look-ups ---------------------------------------------------------------------------------


def find_citizen(session: Session, citizen_id, *, field_name: str = "citizen_id") -> User:
    """An active citizen account, or InvalidInput naming the field."""
    user = None
    if isinstance(citizen_id, int) and not isinstance(citizen_id, bool) and 0 < citizen_id < 2**31:
        user = session.get(User, citizen_id)
    if user is None or user.role != Role.citizen:
        raise InvalidInput.on_field(field_name, N_("Không tìm thấy tài khoản công dân."))
    if not user.is_active:
        raise InvalidInput.on_field(field_name, N_("Tài khoản công dân chưa được kích hoạt."))
    return user


def intake_procedure(session: Session, procedure_code: str) -> Procedure:
    """A procedure the post may receive; NotFound or InvalidInput naming it otherwise."""
    code = normalise_procedure_code(procedure_code if isinstance(procedure_code, str) else "")
    # the checklist and the agency in the same query: intake reads both
    procedure = session.scalars(
        select(Procedure).where(Procedure.code == code)
        .options(joinedload(Procedure.checklist), joinedload(Procedure.agency))
    ).unique().first() if code else None
    if procedure is None:
        raise NotFound(
            N_("Không tìm thấy thủ tục %(code)s."),
            params={"code": code or "?"},
            field_errors=[FieldError("procedure_code", N_("Không tìm thấy thủ tục %(code)s."), {"code": code or "?"})],
        )
    if not procedure.postal_eligible:
        raise InvalidInput(
            N_("Thủ tục này không tiếp nhận qua bưu chính: %(name)s."),
            params={"name": procedure.name},
            field_errors=[
                FieldError(
                    "procedure_code",
                    N_("Thủ tục này không tiếp nhận qua bưu chính: %(name)s."),
                    {"name": procedure.name},
                )
            ],
        )
    return procedure


def _require_postal_staff(staff: User) -> None:
    if staff is None or staff.role not in POST_OFFICE_ROLES or not staff.is_active or staff.post_office_id is None:
        raise Forbidden(N_("Chỉ nhân viên bưu chính đang hoạt động mới được nhận hồ sơ."))


# --- submission -------------------------------------------------------------------------------


def fingerprint(command: PostalSubmission) -> str:
    """sha256 of a canonical JSON of what was submitted, scans by their hashes.

    Entry time is left out: a retry a minute later is still the same submission.
    """

    def payment(value: CollectedPayment | None):
        if value is None:
            return None
        method = value.method.value if isinstance(value.method, CollectionMethod) else str(value.method)
        return [value.amount_vnd, method]

    canonical = {
        "citizen": getattr(command.citizen, "id", None),
        "procedure": (command.procedure_code or "").strip(),
        "checklist": sorted(set(command.checklist_ticked)),
        "scans": sorted(
            [item_id, filename, hashlib.sha256(data).hexdigest()]
            for item_id, filename, data in command.scans
        ),
        "collection_place": getattr(command.collection_place, "value", command.collection_place),
        "pickup_address": (command.pickup_address or "").strip(),
        "delivery_address": (command.delivery_address or "").strip(),
        "fee": payment(command.fee_collected),
        "postage_vnd": command.postage_vnd,
        "postage": payment(command.postage_collected),
        "organisation_name": (command.organisation_name or "").strip(),
        "form_data": command.form_data or {},
        "digitally_signed": bool(command.digitally_signed),
    }
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _existing(session: Session, staff: User, key: str) -> Dossier | None:
    return session.scalar(
        select(Dossier).where(Dossier.submitted_by_id == staff.id, Dossier.submission_key == key)
    )


def find_submitted(session: Session, staff: User, submission_key: str) -> Dossier | None:
    """The dossier ``staff`` already submitted under this key, if any."""
    return _existing(session, staff, (submission_key or "").strip())


def _replay(existing: Dossier, print_: str) -> SubmissionOutcome:
    if existing.submission_fingerprint != print_:
        raise Conflict(
            N_("Mã gửi (khóa chống gửi trùng) này đã dùng cho một hồ sơ khác: %(code)s."),
            params={"code": existing.code or existing.shipment_number},
        )
    return SubmissionOutcome(existing, replayed=True)


def _check_scans(procedure: Procedure, command: PostalSubmission) -> tuple[list[FieldError], list]:
    """One file per ticked document (Điều 7.2.a), each validated by its content."""
    errors: list[FieldError] = []
    ticked = set(command.checklist_ticked)
    names = {item.id: item.name for item in procedure.checklist}
    by_item: dict[int, list[tuple[str, bytes]]] = {}
    for item_id, filename, data in command.scans:
        by_item.setdefault(item_id, []).append((filename, data))
    for item_id, files in by_item.items():
        if item_id not in ticked or item_id not in names:
            errors.append(
                FieldError(
                    scan_field(item_id),
                    N_("Tệp quét gửi cho thành phần hồ sơ không được đánh dấu (số %(id)s)."),
                    {"id": item_id},
                )
            )
        elif len(files) > 1:
            errors.append(
                FieldError(
                    scan_field(item_id),
                    N_("Mỗi thành phần hồ sơ chỉ gửi một tệp: %(name)s."),
                    {"name": names[item_id]},
                )
            )
    for item in procedure.checklist:
        if item.id in ticked and item.id not in by_item:
            errors.append(
                FieldError(scan_field(item.id), N_("Thiếu tệp quét của: %(name)s."), {"name": item.name})
            )
    to_validate = [
        (item_id, files[0][0], files[0][1])
        for item_id, files in by_item.items()
        if item_id in ticked and item_id in names and len(files) == 1
    ]
    validated = []
    if to_validate:
        try:
            results = validate_scans(
                [(scan_field(item_id), filename, data) for item_id, filename, data in to_validate],
                max_bytes=command.max_scan_bytes,
            )
            validated = [(item_id, scan) for (item_id, _f, _d), scan in zip(to_validate, results)]
        except InvalidInput as refused:
            errors.extend(refused.field_errors or [FieldError("scans", refused.message, refused.params)])
    return errors, validated


def submit(session: Session, command: PostalSubmission) -> SubmissionOutcome:
    """Submit online, through the citizen's account, a dossier a postal worker collected (Điều 21.1,
    20.5). The post does not receive it on the agency's behalf: the dossier is ``submitted`` with a
    shipment number and has no receipt time, code or appointment until the one-stop officer accepts
    it (Điều 12.1.d, 14.4; ``workbench.reception.accept``)."""
    staff, citizen = command.staff, command.citizen
    _require_postal_staff(staff)
    key = (command.submission_key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput.on_field("submission_key", N_("Thiếu khóa chống gửi trùng (tối đa 64 ký tự)."))
    print_ = fingerprint(command)
    existing = _existing(session, staff, key)
    if existing is not None:
        return _replay(existing, print_)

    if citizen is None or citizen.role != Role.citizen or not citizen.is_active:
        raise InvalidInput.on_field("citizen_id", N_("Chỉ nộp được hồ sơ qua tài khoản công dân đã kích hoạt."))
    procedure = intake_procedure(session, command.procedure_code)
    entered_at = command.entered_at or utcnow()

    errors = checklist_errors(procedure, list(command.checklist_ticked))
    scan_errors, validated = _check_scans(procedure, command)
    errors += scan_errors
    errors += collection_errors(
        procedure,
        collection_place=command.collection_place,
        pickup_address=command.pickup_address,
        delivery_address=command.delivery_address,
        fee_collected=command.fee_collected,
        postage_vnd=command.postage_vnd,
        postage_collected=command.postage_collected,
        organisation_name=command.organisation_name,
    )
    if command.form_data is not None and not isinstance(command.form_data, dict):
        errors.append(FieldError("form_data", N_("Dữ liệu tờ khai phải là một đối tượng.")))
    if errors:
        raise InvalidInput(N_("Hồ sơ chưa đầy đủ hoặc chưa hợp lệ. Vui lòng xem từng mục."), field_errors=errors)

    consent = require_consent(session, citizen=citizen, post_office_id=staff.post_office_id, at=entered_at)
    till = _till_for(session, command, staff, entered_at)

    agency = procedure.agency
    office = staff.post_office  # loaded now: a lazy load later would flush the intake's rows half-way
    names = {item.id: item.name for item in procedure.checklist}
    organisation = (command.organisation_name or "").strip() or (citizen.organisation_name or "")

    documents = [
        DossierDocument(
            checklist_item_id=item_id, title=names[item_id], filename=scan.filename, content_type=scan.content_type,
            size_bytes=scan.size_bytes, sha256=scan.sha256, content=scan.data, uploaded_at=entered_at,
        )
        for item_id, scan in validated
    ]
    collected = [
        CollectedAmount(
            kind=kind, method=payment.method, amount_vnd=payment.amount_vnd, collected_by_id=staff.id,
            collected_at=entered_at,
            shift_id=till.shift.id if till is not None and payment.method in CASH_METHODS else None,
        )
        for kind, payment in (
            (PaymentKind.fee, command.fee_collected), (PaymentKind.postage, command.postage_collected),
        )
        if payment is not None and payment.amount_vnd > 0
    ]
    try:
        # The one savepoint of the intake, around the number + the inserts: losing the race on the
        # submission key rolls back the counter increment too.
        with session.begin_nested():
            dossier = Dossier(
                agency=agency,
                procedure=procedure,
                citizen_id=citizen.id,
                organisation_name=organisation,
                channel=Channel.postal,
                level=procedure.level,
                status=DossierStatus.submitted,
                digitally_signed=bool(command.digitally_signed),
                collection_place=command.collection_place,
                post_office_id=staff.post_office_id,
                pickup_address=(command.pickup_address or "").strip(),
                delivery_address=(command.delivery_address or "").strip(),
                submitted_by_id=staff.id,
                consent_id=consent.id,
                submission_key=key,
                submission_fingerprint=print_,
                entered_at=entered_at,
                shipment_number=next_shipment_number(session, command.shipment_prefix),
                submitted_at=entered_at,
                fee_vnd=procedure.fee_vnd,
                postage_vnd=command.postage_vnd,
                form_data=command.form_data or {},
                missing_items=[],
                note=originals_note(procedure.level, bool(command.digitally_signed)),
                # given at construction, so that nothing lazy-loads the (empty) collections of a new dossier
                documents=documents,
                collected=collected,
                history=[],
            )
            session.add(dossier)
            session.flush()
    except IntegrityError:
        existing = _existing(session, staff, key)
        if existing is None:
            raise
        return _replay(existing, print_)

    contract = _attach_contract(session, dossier)  # kept referenced: the forward leg's clock reads it
    # The first step of the status flow, through the one state machine (with its event).
    step = workflow.record_submission(session, dossier, actor=staff, at=entered_at, on_behalf_of=citizen)
    leg = open_new_forward_leg(session, dossier=dossier, picked_up_at=entered_at, post_office=office, actor=staff)
    # The public lookup record, written once from what is in hand, before anything flushes the
    # events it is built from.
    record_new_dossier(
        session, dossier, citizen=citizen, procedure=procedure, agency=agency, changes=[step],
        events=[event for event in (leg.events if leg is not None else [])],
        office_names={office.code: office.name} if office is not None else {},
        integration_events=[obj for obj in session.new if isinstance(obj, IntegrationEvent)
                            and obj.aggregate_id == dossier.shipment_number],
    )
    del contract
    if consent.scope == ConsentScope.single_dossier:
        mark_consent_used(session, consent, dossier.id)
    audit.record(
        session,
        action="dossier.submitted",
        subject_type="dossier",
        subject_id=dossier.id,
        actor=staff,
        on_behalf_of=citizen,
        consent=consent,
        details={"shipment_number": dossier.shipment_number, "procedure": procedure.code, "channel": "postal"},
    )
    if citizen.phone:
        send(
            session,
            channel="sms",
            recipient=citizen.phone,
            template="dossier_submitted",
            context={
                "shipment_number": dossier.shipment_number,
                "procedure_name": procedure.name,
                "agency_name": agency.name,
                "at": format_local_datetime(entered_at),
                "lookup_url": lookup_url(dossier.shipment_number, command.public_base_url),
            },
            user_id=citizen.id,
            locale=citizen.locale or "vi",
        )
    session.flush()
    return SubmissionOutcome(dossier, replayed=False,
                             opened_shift=till.shift if till is not None and till.opened else None)


def _till_for(session: Session, command: PostalSubmission, staff: User, entered_at: datetime) -> IntakeShift | None:
    """The worker's cash shift when the intake takes cash or thu hộ (Điều 23.4), opened now if none is open;
    None when no cash changes hands. Chosen before the dossier is written, so a refusal saves nothing."""
    takes_cash = any(
        payment is not None and payment.amount_vnd > 0 and payment.method in CASH_METHODS
        for payment in (command.fee_collected, command.postage_collected)
    )
    return shift_for_cash_intake(session, worker_id=staff.id, now=entered_at) if takes_cash else None


def _attach_contract(session: Session, dossier: Dossier) -> DossierContract | None:
    """Keep the contract version in force at receipt and the zones of both legs (contracts area).
    An address that cannot be placed in a zone refuses the intake, naming the field, so no dossier
    travels without a full-trip time."""
    return attach_contract(session, dossier, new=True)


def submit_postal_dossier(
    session: Session,
    *,
    staff: User,
    citizen: User,
    procedure_code: str,
    checklist_ticked: list[int],
    scans: list[tuple[int, str, bytes]],
    collection_place: CollectionPlace,
    pickup_address: str,
    delivery_address: str,
    fee_collected: CollectedPayment | None,
    postage_vnd: int,
    postage_collected: CollectedPayment | None,
    organisation_name: str = "",
    form_data: dict | None = None,
    digitally_signed: bool = False,
    submission_key: str,
    entered_at: datetime | None = None,
    max_scan_bytes: int,
    public_base_url: str = "",
    shipment_prefix: str = SHIPMENT_PREFIX,
) -> Dossier:
    """Keyword form of ``submit``; returns the dossier (new or, for a retried key, the existing one)."""
    command = PostalSubmission(
        staff=staff,
        citizen=citizen,
        procedure_code=procedure_code,
        checklist_ticked=list(checklist_ticked),
        scans=list(scans),
        collection_place=collection_place,
        pickup_address=pickup_address,
        delivery_address=delivery_address,
        fee_collected=fee_collected,
        postage_vnd=postage_vnd,
        postage_collected=postage_collected,
        submission_key=submission_key,
        max_scan_bytes=max_scan_bytes,
        organisation_name=organisation_name,
        form_data=form_data,
        digitally_signed=digitally_signed,
        entered_at=entered_at,
        public_base_url=public_base_url,
        shipment_prefix=shipment_prefix,
    )
    return submit(session, command).dossier


def originals_note(level: int, digitally_signed: bool) -> str:
    """Level 4 without a digital signature: the originals follow by post (R-06, Điều 7.3)."""
    return ORIGINALS_BY_POST_NOTE if level == 4 and not digitally_signed else ""


def originals_follow_by_post(dossier: Dossier) -> bool:
    return dossier.level == 4 and not dossier.digitally_signed


def lookup_url(code: str, public_base_url: str = "") -> str:
    """The public lookup address of a dossier (the lookup page belongs to the tracking area)."""
    return f"{public_base_url.rstrip('/')}/lookup?code={quote(code, safe='')}"


# --- reading ----------------------------------------------------------------------------------


def can_view(dossier: Dossier, viewer: User | None) -> bool:
    if viewer is None or not viewer.is_active:
        return False
    if viewer.role == Role.operator:
        return True
    if viewer.role == Role.citizen:
        return dossier.citizen_id == viewer.id
    if viewer.role in POST_OFFICE_ROLES:
        return viewer.post_office_id is not None and dossier.post_office_id == viewer.post_office_id
    if viewer.role in (Role.agency_staff, Role.agency_admin):
        return viewer.agency_id is not None and dossier.agency_id == viewer.agency_id
    return False


def get_dossier_by_code(session: Session, code: str, *, viewer: User | None) -> Dossier:
    """The dossier if ``viewer`` may see it; NotFound otherwise (others may not learn it exists)."""
    cleaned = reference_in(code)
    dossier = find_by_reference(session, cleaned)
    if dossier is None or not can_view(dossier, viewer):
        raise NotFound(N_("Không tìm thấy hồ sơ %(code)s."), params={"code": cleaned[:40]})
    return dossier


def _visible_to(viewer: User):
    """The dossiers ``viewer`` may see, as a condition; None when the role sees none."""
    if viewer.role in POST_OFFICE_ROLES:
        return Dossier.post_office_id == viewer.post_office_id
    if viewer.role in (Role.agency_staff, Role.agency_admin):
        return Dossier.agency_id == viewer.agency_id
    if viewer.role == Role.citizen:
        return Dossier.citizen_id == viewer.id
    if viewer.role == Role.operator:
        return true()
    return None


def list_dossiers(
    session: Session,
    viewer: User,
    *,
    status: DossierStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Dossier]:
    """The dossiers ``viewer`` may see, newest first: postal staff their post office's,
    agency staff their agency's, citizens their own, operators all."""
    scope = _visible_to(viewer)
    if scope is None:
        return []
    # the names every row shows come in the same statement (no load per row)
    query = select(Dossier).options(joinedload(Dossier.citizen), joinedload(Dossier.procedure)).where(scope)
    if status is not None:
        query = query.where(Dossier.status == status)
    limit = max(1, min(int(limit), 200))
    query = query.order_by(Dossier.received_at.desc(), Dossier.id.desc()).limit(limit).offset(max(0, offset))
    return list(session.scalars(query))


def count_dossiers(session: Session, viewer: User, *, status: DossierStatus | None = None) -> int:
    """How many dossiers ``list_dossiers`` pages through."""
    scope = _visible_to(viewer)
    if scope is None:
        return 0
    query = select(func.count()).select_from(Dossier).where(scope)
    if status is not None:
        query = query.where(Dossier.status == status)
    return session.scalar(query) or 0
