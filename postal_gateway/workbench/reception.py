"""Reception at the one-stop office: the agency accepts a dossier the post submitted (Điều 12.1).

The post submits a dossier online through the citizen's account (Điều 21.1); it is then
``submitted`` and has no official receipt time, code or appointment. The one-stop officer of the
dossier's agency checks it "ngay khi nhận được" (12.1.a) and accepts it here. Acceptance is the
legal anchor: the receipt time (12.1.d), the transfer time to the processing department (12.1.đ),
the due time, the appointment date and the dossier code (14.4, 15.2) all come from it, in the
caller's transaction (flushed, never committed), with form 01. Asking for completion issues form 02,
refusing issues form 03 (``reception_forms``); each message to the citizen links its stored form.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway import calendar
from postal_gateway.accounts.models import User
from postal_gateway.core.config import process_settings
from postal_gateway.core.domain import N_, Conflict, FieldError, InvalidInput, NotFound
from postal_gateway.core.formatting import format_local_datetime
from postal_gateway.core.outbox import emit
from postal_gateway.dossiers.codes import next_dossier_code
from postal_gateway.dossiers.models import Dossier, DossierStatus, ReceiptBasis
from postal_gateway.dossiers.services import lookup_url
from postal_gateway.dossiers.shipments import find_by_reference
from postal_gateway.dossiers.slip import BackPageContacts
from postal_gateway.dossiers.workflow import Action, IllegalTransition, transition
from postal_gateway.notifications import fee_notices
from postal_gateway.notifications.service import send
from postal_gateway.workbench import reception_forms
from postal_gateway.workbench.models import PaperHandover
from postal_gateway.workbench.services import REASON_MAX, REASONS_MAX, TEXT_MAX, _flag_refund, require_officer

#: the message of a completion request or refusal without what Điều 12.1.c asks for
NEED_REASONS = N_("Phải nêu rõ nội dung, lý do và hướng dẫn, đầy đủ một lần (Điều 12.1.c).")


def reception_dossier(session: Session, officer: User | None, ref: str) -> Dossier:
    """The dossier named by its code or shipment number if it belongs to the officer's agency;
    NotFound otherwise (others may not learn it exists)."""
    require_officer(officer)
    dossier = find_by_reference(session, ref)
    if dossier is None or dossier.agency_id != officer.agency_id:
        cleaned = ref.strip().upper() if isinstance(ref, str) else ""
        raise NotFound(N_("Không tìm thấy hồ sơ %(code)s."), params={"code": cleaned[:40] or "?"})
    return dossier


def receipt_moment(session: Session, dossier: Dossier, basis: ReceiptBasis, now: datetime) -> datetime:
    """The moment Điều 12.1.d names: the e-dossier notified valid (now, moved to the next working
    period when outside office hours), or the complete paper hand-over between the postal worker
    and the one-stop officer (the signed hand-over, whatever the hour: the outside-hours rule is
    written for e-dossiers only)."""
    if basis == ReceiptBasis.online_valid:
        return calendar.receipt_time(now, periods=calendar.periods_from_config(dossier.agency.working_periods))
    handover = session.scalar(select(PaperHandover).where(PaperHandover.dossier_id == dossier.id))
    if handover is None or not handover.paper_matches:
        raise Conflict(N_("Chưa có biên bản giao nhận đầy đủ hồ sơ giấy khớp với hồ sơ trực tuyến: ký nhận hồ sơ "
                          "giấy trước khi tiếp nhận theo thời điểm giao nhận (Điều 12.1.d)."))
    return handover.signed_at


def accept(
    session: Session, *, officer: User, ref: str, basis, now: datetime, expected_version: int | None = None,
    public_base_url: str = "", contacts: BackPageContacts | None = None,
) -> Dossier:
    """Accept a submitted dossier (Điều 12.1.a–đ, 14.4, 15.2): official receipt time, transfer time,
    due time, appointment date and the agency's gap-free code of the receipt day, all at once; the
    dossier becomes ``received`` (event dossier.received), form 01 is issued (Điều 9.1.c, 18; the back's
    province contacts from ``contacts``, by default the process's settings) and the citizen is told the
    code, the date and the link to form 01 (Điều 12.1.b).

    Anything but a ``submitted`` dossier is refused, nothing changed: a dossier is accepted once
    (Điều 14.4)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    dossier = reception_dossier(session, officer, ref)
    try:
        basis = ReceiptBasis(basis)
    except ValueError:
        raise InvalidInput.on_field("basis", N_("Chọn căn cứ tiếp nhận: hồ sơ điện tử hợp lệ hoặc giao nhận hồ sơ "
                                                "giấy đầy đủ.")) from None
    if dossier.status == DossierStatus.refused:
        raise Conflict(N_("Hồ sơ đã bị từ chối tiếp nhận; nộp lại thành hồ sơ mới (Điều 9.1.b, 12.1.c)."))
    if dossier.status != DossierStatus.submitted:
        raise IllegalTransition(dossier.status, Action.accept)
    received_at = receipt_moment(session, dossier, basis, now)
    periods = calendar.periods_from_config(dossier.agency.working_periods)
    days = dossier.procedure.processing_days
    code = next_dossier_code(session, dossier.agency, received_at)
    with session.no_autoflush:
        dossier.code = code
        dossier.received_at = received_at
        dossier.processing_start_at = calendar.processing_start(received_at, periods=periods)
        dossier.due_at = calendar.due_at(received_at, days, periods=periods)
        dossier.appointment_date = calendar.appointment_date(received_at, days, periods=periods)
        dossier.accepted_at = now
        dossier.accepted_by_id = officer.id
        dossier.receipt_basis = basis
    transition(session, dossier, Action.accept, actor=officer, at=received_at, expected_version=expected_version,
               details={"basis": basis.value, "accepted_at": now.isoformat(), "code": code})
    emit(session, "dossier.received", aggregate_type="dossier", aggregate_id=code, occurred_at=received_at,
         payload={"dossier_code": code, "shipment_number": dossier.shipment_number,
                  "status": dossier.status.value, "at": received_at.isoformat()})
    form = reception_forms.issue_receipt(session, dossier, officer=officer, now=now, public_base_url=public_base_url,
                                         contacts=contacts or BackPageContacts.of(process_settings()))
    _tell_citizen(session, dossier, "dossier_received", {
        "code": code,
        "agency_name": dossier.agency.name,
        "procedure_name": dossier.procedure.name,
        "received_at": format_local_datetime(received_at),
        "appointment_date": dossier.appointment_date.strftime("%d/%m/%Y"),
        "form_url": reception_forms.form_url(form, code, public_base_url),
        "lookup_url": lookup_url(code, public_base_url),
    }, now, form.id)
    fee_notices.notify_fee_due(session, dossier, now=now, public_base_url=public_base_url)
    return dossier


def _lines(raw, field_name: str, errors: list[FieldError]) -> list[str]:
    """Non-empty lines (a list, or one text with one entry a line), each at most REASON_MAX characters."""
    if isinstance(raw, str):
        raw = raw.splitlines()
    if raw is None:
        raw = []
    if not isinstance(raw, (list, tuple)) or not all(isinstance(item, str) for item in raw):
        errors.append(FieldError(field_name, NEED_REASONS))
        return []
    lines = [" ".join(item.split()) for item in raw]
    lines = [line for line in lines if line]
    if any(len(line) > REASON_MAX for line in lines):
        errors.append(FieldError(field_name, N_("Mỗi dòng tối đa 500 ký tự.")))
    if len(lines) > REASONS_MAX:
        errors.append(FieldError(field_name, N_("Tối đa 20 dòng; gộp các dòng gần nhau.")))
    return lines


def _before_receipt(session: Session, officer: User, ref: str, action: Action, now: datetime) -> Dossier:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    dossier = reception_dossier(session, officer, ref)
    if dossier.status != DossierStatus.submitted:
        raise IllegalTransition(dossier.status, action)
    return dossier


def _tell_citizen(session: Session, dossier: Dossier, template: str, context: dict, now: datetime,
                  form_id: int) -> None:
    """By SMS and e-mail (Điều 12.1.b); the e-mail carries the form's PDF, the SMS its link."""
    citizen = dossier.citizen
    for channel, recipient in (("sms", citizen.phone), ("email", citizen.email)):
        if recipient:
            send(session, channel=channel, recipient=recipient, template=template, context=context,
                 user_id=citizen.id, locale=citizen.locale or "vi", now=now, attachment_form_id=form_id)


def request_completion(
    session: Session, *, officer: User, ref: str, items, reasons, now: datetime,
    expected_version: int | None = None, public_base_url: str = "",
) -> Dossier:
    """Ask the citizen to complete a submitted dossier before it is received (form 02, Điều 12.1.c
    "đầy đủ một lần", 9.1.b): every missing or wrong item at once, each with its reason (one reason
    per item, in the same order). The dossier becomes ``completion_requested``; no code is issued,
    no due time runs. Form 02 is issued (the guidance line names the officer and the one-stop phone;
    ``official_forms.issuing.latest_form`` finds it) and linked in the citizen's message. Only the
    one-stop officer of the dossier's own agency may ask."""
    dossier = _before_receipt(session, officer, ref, Action.request_completion, now)
    errors: list[FieldError] = []
    items = _lines(items, "items", errors)
    reasons = _lines(reasons, "reasons", errors)
    if not items:
        errors.append(FieldError("items", NEED_REASONS))
    if not reasons or (items and len(reasons) != len(items)):
        errors.append(FieldError("reasons", N_("Mỗi nội dung cần bổ sung phải có một lý do, theo cùng thứ tự; nêu "
                                               "đầy đủ một lần (Điều 12.1.c).")))
    if errors:
        raise InvalidInput(NEED_REASONS, field_errors=errors)
    transition(session, dossier, Action.request_completion, actor=officer, at=now, reason="; ".join(reasons),
               expected_version=expected_version, details={"items": items, "reasons": reasons})
    form = reception_forms.issue_completion_request(session, dossier, officer=officer, now=now, items=items,
                                                    reasons=reasons)
    ref_public = dossier.shipment_number or ref
    _tell_citizen(session, dossier, "completion_requested", {
        "shipment_number": ref_public,
        "agency_name": dossier.agency.name,
        "items": "; ".join(items),
        "reasons": "; ".join(reasons),
        "form_url": reception_forms.form_url(form, ref_public, public_base_url),
        "lookup_url": lookup_url(ref_public, public_base_url),
    }, now, form.id)
    return dossier


def refuse(
    session: Session, *, officer: User, ref: str, reasons, now: datetime, competent_agency: str = "",
    expected_version: int | None = None, public_base_url: str = "",
) -> Dossier:
    """Refuse to receive a submitted dossier (form 03, Điều 9.1.b): the reasons, and when the
    dossier is out of the agency's remit the competent agency the citizen should go to. The dossier
    becomes ``refused`` (final); no code is issued. Form 03 is issued with the reasons and the competent
    agency, and linked in the citizen's message. Only the one-stop officer of the dossier's own agency
    may refuse."""
    dossier = _before_receipt(session, officer, ref, Action.refuse, now)
    errors: list[FieldError] = []
    reasons = _lines(reasons, "reasons", errors)
    if not reasons:
        errors.append(FieldError("reasons", NEED_REASONS))
    if competent_agency is not None and not isinstance(competent_agency, str):
        errors.append(FieldError("competent_agency", N_("Phải là chuỗi ký tự.")))
        competent_agency = ""
    competent_agency = " ".join((competent_agency or "").split())
    if len(competent_agency) > TEXT_MAX:
        errors.append(FieldError("competent_agency", N_("Tối đa 2000 ký tự.")))
    if errors:
        raise InvalidInput(NEED_REASONS, field_errors=errors)
    transition(session, dossier, Action.refuse, actor=officer, at=now, reason="; ".join(reasons),
               expected_version=expected_version,
               details={"reasons": reasons, "competent_agency": competent_agency})
    _flag_refund(session, dossier, officer, "refused", now)  # a fee taken at the door goes back (Điều 14.2.c)
    form = reception_forms.issue_refusal(session, dossier, officer=officer, now=now, reasons=reasons,
                                         competent_agency=competent_agency)
    ref_public = dossier.shipment_number or ref
    locale = dossier.citizen.locale or "vi"
    if competent_agency:
        guidance = (f"Refer to: {competent_agency}. " if locale == "en"
                    else f"Đề nghị liên hệ: {competent_agency}. ")
    else:
        guidance = ""
    _tell_citizen(session, dossier, "dossier_refused", {
        "shipment_number": ref_public,
        "agency_name": dossier.agency.name,
        "reasons": "; ".join(reasons),
        "guidance": guidance,
        "form_url": reception_forms.form_url(form, ref_public, public_base_url),
    }, now, form.id)
    return dossier
