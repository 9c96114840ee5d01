"""Compensation for a lost dossier (R-16, Điều 25.2), with four eyes on the money.

The post owes the citizen every fee and cost. A case is opened when a leg is marked lost
(``tracking.ingestion.open_compensation``); then:

1. ``propose_compensation``: postal staff (or the office manager) of the office concerned state the
   other costs the citizen shows; the total may not exceed the contract's ceiling;
2. ``approve_compensation``: someone else approves it: the office manager (trưởng bưu cục) of the
   office concerned, or an operator, never the proposer;
3. ``pay_compensation``: the payment is recorded (who, when, how, the voucher), never by the proposer.

The office concerned is the office responsible for the lost leg. No Flask here; the caller commits.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from postal_gateway.accounts.models import POST_OFFICE_ROLES, Role, User
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import N_, Conflict, FieldError, Forbidden, InvalidInput, NotFound
from tracking.models import CompensationCase, CompensationPaymentMethod, CompensationStatus

#: a sanity bound on the other costs when the contract states no ceiling
MAX_COMPENSATION_COSTS_VND = 1_000_000_000
NOTE_MAX = 1000
PAYMENT_METHOD_LABELS = {
    CompensationPaymentMethod.cash: N_("Tiền mặt"),
    CompensationPaymentMethod.bank_transfer: N_("Chuyển khoản"),
}


def get_compensation(session: Session, case_id) -> CompensationCase:
    case = session.get(CompensationCase, case_id) if isinstance(case_id, int) and 0 < case_id < 2**31 else None
    if case is None:
        raise NotFound(N_("Không tìm thấy hồ sơ bồi thường."))
    return case


def office_concerned(case: CompensationCase) -> int | None:
    """The post office that owes the compensation: the one responsible for the lost leg."""
    return case.leg.post_office_id or case.dossier.post_office_id


def _active(actor: User | None) -> bool:
    return actor is not None and actor.is_active


def may_propose(actor: User | None, case: CompensationCase) -> bool:
    if not _active(actor):
        return False
    return actor.role == Role.operator or (
        actor.role in POST_OFFICE_ROLES and actor.post_office_id is not None and actor.post_office_id == office_concerned(case)
    )


def may_approve(actor: User | None, case: CompensationCase) -> bool:
    """An office manager of the office concerned or an operator, who did not propose the amount."""
    if not _active(actor) or actor.id == case.proposed_by_id:
        return False
    return actor.role == Role.operator or (
        actor.role == Role.office_manager and actor.post_office_id is not None
        and actor.post_office_id == office_concerned(case)
    )


def may_pay(actor: User | None, case: CompensationCase) -> bool:
    """Staff of the office concerned or an operator, who did not propose the amount."""
    return may_propose(actor, case) and actor.id != case.proposed_by_id


def _check_cap(case: CompensationCase, costs_vnd: int) -> None:
    total = case.fee_vnd + case.postage_vnd + costs_vnd
    if case.cap_vnd is not None and total > case.cap_vnd:
        raise InvalidInput.on_field(
            "costs_vnd", N_("Tổng bồi thường %(total)s đ vượt mức tối đa %(cap)s đ của hợp đồng."),
            total=total, cap=case.cap_vnd,
        )


def propose_compensation(session: Session, case_id: int, *, actor: User, costs_vnd, note: str = "",
                         now: datetime | None = None) -> CompensationCase:
    """The fee and postage in full plus the other costs the citizen shows, within the contract's ceiling."""
    case = get_compensation(session, case_id)
    if not may_propose(actor, case):
        raise Forbidden(N_("Chỉ bưu cục chịu trách nhiệm chặng bị thất lạc mới đề xuất bồi thường."))
    if case.status != CompensationStatus.open:
        raise Conflict(N_("Chỉ đề xuất được hồ sơ bồi thường đang mở."))
    if not isinstance(costs_vnd, int) or isinstance(costs_vnd, bool) or not 0 <= costs_vnd <= MAX_COMPENSATION_COSTS_VND:
        raise InvalidInput.on_field("costs_vnd", N_("Chi phí khác phải là số nguyên không âm (VNĐ)."))
    if not isinstance(note, str) or len(note) > NOTE_MAX:
        raise InvalidInput.on_field("note", N_("Ghi chú tối đa 1000 ký tự."))
    _check_cap(case, costs_vnd)
    case.costs_vnd = costs_vnd
    case.note = note.strip()
    case.status = CompensationStatus.proposed
    case.proposed_by_id = actor.id
    case.proposed_at = now or utcnow()
    session.flush()
    return case


def approve_compensation(session: Session, case_id: int, *, actor: User, now: datetime | None = None) -> CompensationCase:
    """Approve the proposed amount: the office manager of the office concerned or an operator, not the proposer."""
    case = get_compensation(session, case_id)
    if case.status != CompensationStatus.proposed:
        raise Conflict(N_("Chỉ duyệt được hồ sơ bồi thường đã có đề xuất số tiền."))
    if actor is not None and actor.id == case.proposed_by_id:
        raise Forbidden(N_("Người đề xuất số tiền bồi thường không được tự duyệt."))
    if not may_approve(actor, case):
        raise Forbidden(N_("Chỉ trưởng bưu cục chịu trách nhiệm hoặc quản trị viên mới duyệt bồi thường."))
    _check_cap(case, case.costs_vnd)
    case.status = CompensationStatus.approved
    case.decided_at = now or utcnow()
    case.decided_by_id = actor.id
    session.flush()
    return case


def pay_compensation(session: Session, case_id: int, *, actor: User, payment_reference, payment_method,
                     redo_arranged: bool = False, now: datetime | None = None) -> CompensationCase:
    """Record the payment to the citizen: who, when, how and the voucher (and that the agency was asked to redo)."""
    case = get_compensation(session, case_id)
    if case.status != CompensationStatus.approved:
        raise Conflict(N_("Chỉ chi trả được hồ sơ bồi thường đã duyệt."))
    if actor is not None and actor.id == case.proposed_by_id:
        raise Forbidden(N_("Người đề xuất số tiền bồi thường không được ghi nhận chi trả."))
    if not may_pay(actor, case):
        raise Forbidden(N_("Chỉ bưu cục chịu trách nhiệm chặng bị thất lạc mới ghi nhận chi trả."))
    reference = payment_reference.strip() if isinstance(payment_reference, str) else ""
    method = payment_method if isinstance(payment_method, CompensationPaymentMethod) else (
        CompensationPaymentMethod._value2member_map_.get(payment_method) if isinstance(payment_method, str) else None
    )
    errors: list[FieldError] = []
    if not reference or len(reference) > 64:
        errors.append(FieldError("payment_reference", N_("Cần số chứng từ chi trả (tối đa 64 ký tự).")))
    if method is None:
        errors.append(FieldError("payment_method", N_("Chọn hình thức chi trả: tiền mặt hoặc chuyển khoản.")))
    if errors:
        raise InvalidInput(N_("Thông tin chi trả chưa đủ."), field_errors=errors)
    case.payment_reference = reference
    case.payment_method = method
    case.redo_arranged = bool(redo_arranged)
    case.status = CompensationStatus.paid
    case.paid_at = now or utcnow()
    case.paid_by_id = actor.id
    session.flush()
    return case
