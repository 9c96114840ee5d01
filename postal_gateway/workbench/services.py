"""The one-stop office's use cases (R-11…R-14): one function per step, no Flask here.

Each function checks the officer (agency staff of the dossier's own agency: others get NotFound,
they may not learn the dossier exists), every rule at once, then moves the dossier through
``dossiers.workflow.transition`` and writes what the step needs, in the caller's transaction
(flushed, never committed). ``expected_version`` is the Dossier.version the officer saw.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from payments.services import fee_balance
from postal_gateway import calendar
from postal_gateway.accounts.models import Role, User
from postal_gateway.catalogue.models import Agency
from postal_gateway.core.domain import N_, Conflict, FieldError, Forbidden, InvalidInput, NotFound
from postal_gateway.core.domain_events import DomainEvent, record
from postal_gateway.core.formatting import format_local_date, format_local_datetime, format_vnd, to_local
from postal_gateway.core.scan_safety import refuse_active_content
from postal_gateway.core.uploads import ValidatedScan
from postal_gateway.dossiers.labels import status_label
from postal_gateway.dossiers.models import Channel, Dossier, DossierStatus
from postal_gateway.dossiers.services import lookup_url
from postal_gateway.dossiers.shipments import find_by_reference, reference_in
from postal_gateway.dossiers.workflow import FINAL, Action, IllegalTransition, _stale, transition
from postal_gateway.notifications.service import send
from postal_gateway.official_forms import issuing, numbering
from postal_gateway.official_forms.letter_layout import letter_pdf
from postal_gateway.workbench import letters
from postal_gateway.workbench.models import (
    APOLOGY_CAUSES,
    ISSUER_KINDS,
    SUPPLEMENT_CAUSES,
    ApologyLetter,
    OpinionRequest,
    PaperHandover,
    RefundFlag,
    Rejection,
    ResultDocument,
    SupplementRequest,
)
from tracking.services import record_handover_to_agency, return_plan

OFFICER_ROLES = (Role.agency_staff, Role.agency_admin)
REASON_MAX = 500
REASONS_MAX = 20
TEXT_MAX = 2000
#: an inter-agency opinion is asked for within this many working days at most
OPINION_DAYS_MAX = 30
#: an apology may not push the return date further than this
APOLOGY_DAYS_MAX = 90
#: simple steps an officer takes with one button
SIMPLE_ACTIONS = (Action.transfer, Action.start_processing, Action.start_verification, Action.finish_verification)
RETURN_WAYS = ("post", "counter")
#: the form field (and API problem field) of the result's file
RESULT_FILE_FIELD = "result_file"
#: items without their reasons, or not all at once (Điều 12.1.c)
NEED_EVERYTHING_AT_ONCE = N_("Phải nêu rõ nội dung, lý do và hướng dẫn, đầy đủ một lần (Điều 12.1.c).")
#: no due time runs: the result is ready, or the citizen has the next move (supplement)
CLOCK_STOPPED = (DossierStatus.result_ready, DossierStatus.result_with_post, DossierStatus.supplement_requested)
#: the result exists: settled (statistics' settled_at), no refund of the fee (Điều 14.2.c)
RESULT_EXISTS = (DossierStatus.result_ready, DossierStatus.result_with_post, DossierStatus.returned)


@dataclass(frozen=True)
class ResultHandedToPost(DomainEvent):
    """A postal dossier's result is ready for the post's return leg; the post's 24-hour clock runs
    from ``available_at`` (R-16)."""

    dossier_id: int
    available_at: datetime


# --- who and which dossier --------------------------------------------------------------------


def require_officer(officer: User | None) -> User:
    if officer is None or not officer.is_active or officer.role not in OFFICER_ROLES or officer.agency_id is None:
        raise Forbidden(N_("Chỉ cán bộ Bộ phận Một cửa của cơ quan mới được xử lý hồ sơ."))
    return officer


def officer_dossier(session: Session, officer: User | None, code: str) -> Dossier:
    """The dossier with ``code`` (or, before acceptance, its shipment number) if it belongs to the
    officer's agency; NotFound otherwise."""
    require_officer(officer)
    cleaned = reference_in(code)
    dossier = find_by_reference(session, cleaned)
    if dossier is None or dossier.agency_id != officer.agency_id:
        raise NotFound(N_("Không tìm thấy hồ sơ %(code)s."), params={"code": cleaned[:40] or "?"})
    return dossier


def _periods(dossier: Dossier):
    return calendar.periods_from_config(dossier.agency.working_periods)


def _clean_reasons(raw, field_name: str = "reasons") -> tuple[list[str], list[FieldError]]:
    """Non-empty reasons, each checked; every fault named."""
    errors: list[FieldError] = []
    if isinstance(raw, str):
        raw = raw.splitlines()
    if not isinstance(raw, (list, tuple)):
        return [], [FieldError(field_name, N_("Ghi ít nhất một lý do."))]
    reasons = []
    for index, item in enumerate(raw):
        if not isinstance(item, str):
            errors.append(FieldError(f"{field_name}[{index}]", N_("Mỗi lý do là một dòng chữ.")))
            continue
        text = " ".join(item.split())
        if not text:
            continue
        if len(text) > REASON_MAX:
            errors.append(FieldError(f"{field_name}[{index}]", N_("Mỗi lý do tối đa 500 ký tự.")))
        reasons.append(text)
    if not reasons and not errors:
        errors.append(FieldError(field_name, N_("Ghi ít nhất một lý do.")))
    if len(reasons) > REASONS_MAX:
        errors.append(FieldError(field_name, N_("Tối đa 20 lý do; gộp các lý do gần nhau.")))
    return reasons, errors


def _text(raw, field_name: str, errors: list[FieldError], *, required: bool = True, limit: int = TEXT_MAX) -> str:
    text = raw.strip() if isinstance(raw, str) else ""
    if raw is not None and not isinstance(raw, str):
        errors.append(FieldError(field_name, N_("Phải là chuỗi ký tự.")))
    elif required and not text:
        errors.append(FieldError(field_name, N_("Bắt buộc.")))
    elif len(text) > limit:
        errors.append(FieldError(field_name, N_("Quá dài (tối đa %(limit)s ký tự)."), {"limit": limit}))
    return text


def _fail(errors: list[FieldError]) -> None:
    if errors:
        raise InvalidInput(N_("Thông tin chưa hợp lệ. Vui lòng xem từng mục."), field_errors=errors)


def _notify(session: Session, dossier: Dossier, template: str, context: dict, now: datetime) -> None:
    """Tell the citizen by SMS and e-mail, whichever their account has (R-20)."""
    citizen = dossier.citizen
    for channel, recipient in (("sms", citizen.phone), ("email", citizen.email)):
        if recipient:
            send(session, channel=channel, recipient=recipient, template=template, user_id=citizen.id,
                 locale=citizen.locale or "vi", now=now, context={"code": dossier.code, **context})


def _lookup(dossier: Dossier, base_url: str) -> str:
    return lookup_url(dossier.code, base_url)


# --- queue and timeline -----------------------------------------------------------------------


@dataclass
class Queue:
    counts: dict[str, int]
    overdue: int
    dossiers: list[Dossier]


def queue(
    session: Session, officer: User, *, status: DossierStatus | None = None, overdue_only: bool = False,
    now: datetime, limit: int = 100,
) -> Queue:
    """The officer's agency's dossiers by state: counts per status, and the chosen ones by due time."""
    require_officer(officer)
    own = Dossier.agency_id == officer.agency_id
    counts = {s.value: 0 for s in DossierStatus}
    for value, number in session.execute(select(Dossier.status, func.count()).where(own).group_by(Dossier.status)):
        counts[getattr(value, "value", value)] = number
    open_states = [s for s in DossierStatus if s not in (*FINAL, *CLOCK_STOPPED)]
    late = (Dossier.due_at < now) & Dossier.status.in_(open_states)
    overdue = session.scalar(select(func.count()).select_from(Dossier).where(own, late)) or 0
    # the names every row shows come in the same statement (no load per row)
    query = select(Dossier).options(joinedload(Dossier.citizen), joinedload(Dossier.procedure)).where(own)
    if status is not None:
        query = query.where(Dossier.status == status)
    elif overdue_only:
        query = query.where(late)
    else:
        query = query.where(Dossier.status.not_in(FINAL))
    query = query.order_by(Dossier.due_at, Dossier.id).limit(max(1, min(limit, 500)))
    return Queue(counts, overdue, list(session.scalars(query)))


def is_late(dossier: Dossier, now: datetime) -> bool:
    """Past its due time, not settled or closed, and not waiting for the citizen's supplement (R-12)."""
    return dossier.status not in (*FINAL, *CLOCK_STOPPED) and dossier.due_at is not None and dossier.due_at < now


def working_time_left(dossier: Dossier, now: datetime) -> timedelta:
    return calendar.working_time_between(now, dossier.due_at, periods=_periods(dossier))


@dataclass
class TimelineEntry:
    at: datetime
    kind: str
    #: a message id (translate it)
    title: str
    #: facts as written by people (shown as they are)
    lines: list[str]
    actor: str = ""


def timeline(session: Session, dossier: Dossier) -> list[TimelineEntry]:
    """Every step of the dossier in time order: status changes with who and why, and the paper
    hand-over, supplements, opinions and apology letters with their facts."""
    names: dict[int, str] = {}

    def who(user_id):
        if user_id is None:
            return ""
        if user_id not in names:
            user = session.get(User, user_id)
            names[user_id] = user.full_name if user else ""
        return names[user_id]

    entries = []
    for step in dossier.history:
        lines = [step.reason] if step.reason else []
        details = step.details or {}
        lines += list(details.get("reasons") or [])
        entries.append(TimelineEntry(step.at, "status", status_label(step.to_status), lines, who(step.actor_id)))
    handover = session.scalar(select(PaperHandover).where(PaperHandover.dossier_id == dossier.id))
    if handover is not None:
        title = (N_("Ký nhận hồ sơ giấy từ bưu chính: khớp với hồ sơ trực tuyến") if handover.paper_matches
                 else N_("Ký nhận hồ sơ giấy từ bưu chính: có sai khác"))
        entries.append(TimelineEntry(handover.signed_at, "handover", title,
                                     [] if handover.paper_matches else [handover.discrepancies], who(handover.officer_id)))
    for item in session.scalars(select(SupplementRequest).where(SupplementRequest.dossier_id == dossier.id)):
        if item.supplied_at is not None:
            entries.append(TimelineEntry(item.supplied_at, "supplement", N_("Đã nhận hồ sơ bổ sung"),
                                         list(item.reasons), who(item.received_by_id)))
    for item in session.scalars(select(OpinionRequest).where(OpinionRequest.dossier_id == dossier.id)):
        entries.append(TimelineEntry(item.asked_at, "opinion", N_("Lấy ý kiến liên thông"),
                                     [item.agency.name, item.question, format_local_datetime(item.due_at)],
                                     who(item.asked_by_id)))
        if item.answered_at is not None:
            entries.append(TimelineEntry(item.answered_at, "opinion", N_("Có ý kiến liên thông"),
                                         [item.agency.name, item.answer], who(item.recorded_by_id)))
    entries.sort(key=lambda entry: entry.at)
    return entries


# --- receiving from the post ------------------------------------------------------------------


def receive_from_post(
    session: Session, *, officer: User, code: str, paper_matches, discrepancies: str = "", now: datetime
) -> PaperHandover:
    """The officer compared the paper dossier with the online one and signs the hand-over: the
    forward leg's final event when the tracking area is installed."""
    dossier = officer_dossier(session, officer, code)
    errors: list[FieldError] = []
    if not isinstance(paper_matches, bool):
        errors.append(FieldError("paper_matches", N_("Chọn hồ sơ giấy có khớp với hồ sơ trực tuyến hay không.")))
    text = _text(discrepancies, "discrepancies", errors, required=paper_matches is False)
    _fail(errors)
    if dossier.channel != Channel.postal:
        raise InvalidInput.on_field("code", N_("Hồ sơ này không nộp qua bưu chính, không có hồ sơ giấy để ký nhận."))
    existing = session.scalar(select(PaperHandover).where(PaperHandover.dossier_id == dossier.id))
    if existing is not None:
        raise Conflict(N_("Hồ sơ giấy đã được ký nhận lúc %(at)s."), params={"at": format_local_datetime(existing.signed_at)})
    if dossier.status in FINAL:
        raise IllegalTransition(dossier.status, Action.transfer)
    handover = PaperHandover(dossier_id=dossier.id, officer_id=officer.id, signed_at=now, paper_matches=paper_matches,
                             discrepancies=text if not paper_matches else "")
    session.add(handover)
    session.flush()
    record_handover_to_agency(session, dossier=dossier, officer=officer, at=now)
    return handover


def handover_of(session: Session, dossier: Dossier) -> PaperHandover | None:
    return session.scalar(select(PaperHandover).where(PaperHandover.dossier_id == dossier.id))


# --- simple steps -----------------------------------------------------------------------------


def advance(
    session: Session, *, officer: User, code: str, action, reason: str = "", now: datetime,
    expected_version: int | None = None,
) -> Dossier:
    """Transfer, start processing, start or finish verification: one button each."""
    dossier = officer_dossier(session, officer, code)
    try:
        action = Action(action)
    except ValueError:
        raise InvalidInput.on_field("action", N_("Thao tác không hợp lệ.")) from None
    if action not in SIMPLE_ACTIONS:
        raise InvalidInput.on_field("action", N_("Thao tác không hợp lệ."))
    errors: list[FieldError] = []
    reason = _text(reason, "reason", errors, required=False)
    _fail(errors)
    if action == Action.transfer and dossier.channel == Channel.postal and handover_of(session, dossier) is None:
        raise Conflict(N_("Chưa ký nhận hồ sơ giấy từ bưu chính: quét mã trên phiếu và ký nhận trước khi chuyển."))
    if action == Action.finish_verification:
        waiting = [
            item for item in session.scalars(select(OpinionRequest).where(
                OpinionRequest.dossier_id == dossier.id, OpinionRequest.answered_at.is_(None)))
            if item.due_at > now
        ]
        if waiting:
            raise Conflict(N_("Còn chờ ý kiến của %(agencies)s (hạn %(due)s)."), params={
                "agencies": ", ".join(item.agency.name for item in waiting),
                "due": format_local_datetime(max(item.due_at for item in waiting)),
            })
    transition(session, dossier, action, actor=officer, at=now, reason=reason, expected_version=expected_version)
    return dossier


# --- supplements (Điều 9.3.b, 12.1.c) ---------------------------------------------------------


#: a supplement request needing the one-stop office's apology, refused without it (Điều 9.4.b, 10.2.đ, 12.1.c)
SECOND_SUPPLEMENT_NEEDS_APOLOGY = N_("Yêu cầu bổ sung lần thứ hai do lỗi tiếp nhận phải kèm Phiếu xin lỗi của Bộ phận "
                                     "Một cửa (Điều 9.4.b, 10.2.đ, 12.1.c).")
#: the reason printed on the one-stop office's apology when none is given
RECEPTION_ERROR_REASON = "Lỗi tiếp nhận hồ sơ"


@dataclass(frozen=True)
class ApologyInput:
    """The one-stop office's apology given with a reception-error supplement request (Điều 9.4.b, 10.2.đ)."""

    new_date: date | None
    reason: str = RECEPTION_ERROR_REASON


def _clean_items(raw) -> tuple[list[dict], list[FieldError]]:
    """Every item to supplement with its reason (Điều 12.1.c): a list of {"item", "reason"}, or two lists of
    lines given as ``(items, reasons)``; every fault named."""
    errors: list[FieldError] = []
    if isinstance(raw, tuple) and len(raw) == 2:
        names = raw[0].splitlines() if isinstance(raw[0], str) else raw[0]
        why = raw[1].splitlines() if isinstance(raw[1], str) else raw[1]
        names = [line for line in (names or []) if isinstance(line, str) and line.strip()]
        why = [line for line in (why or []) if isinstance(line, str) and line.strip()]
        if len(why) != len(names):
            errors.append(FieldError("reasons", N_("Mỗi nội dung cần bổ sung phải có một lý do, theo cùng thứ tự; nêu "
                                                   "đầy đủ một lần (Điều 12.1.c).")))
        raw = [{"item": name, "reason": why[index] if index < len(why) else ""} for index, name in enumerate(names)]
    if not isinstance(raw, (list, tuple)):
        return [], [FieldError("items", NEED_EVERYTHING_AT_ONCE)]
    items: list[dict] = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict):
            errors.append(FieldError(f"items[{index}]", NEED_EVERYTHING_AT_ONCE))
            continue
        item, reason = (" ".join(value.split()) if isinstance(value, str) else ""
                        for value in (entry.get("item"), entry.get("reason")))
        if not item:
            continue
        if not reason:
            errors.append(FieldError(f"items[{index}].reason", NEED_EVERYTHING_AT_ONCE))
        if len(item) > REASON_MAX or len(reason) > REASON_MAX:
            errors.append(FieldError(f"items[{index}]", N_("Mỗi lý do tối đa 500 ký tự.")))
        items.append({"item": item, "reason": reason})
    if not items and not any(error.field.startswith("items") for error in errors):
        errors.append(FieldError("items", NEED_EVERYTHING_AT_ONCE))
    if len(items) > REASONS_MAX:
        errors.append(FieldError("items", N_("Tối đa 20 lý do; gộp các lý do gần nhau.")))
    return items, errors


def _verified_since(dossier: Dossier, moment: datetime) -> bool:
    """The dossier went through thẩm tra, xác minh (start_verification) after ``moment`` (Điều 9.3.b)."""
    return any(step.action == Action.start_verification.value and step.at > moment for step in dossier.history)


def _earlier_request_at(_session: Session | None, dossier: Dossier) -> datetime | None:
    """When the last earlier supplement or completion request went out, if any."""
    moments = [step.at for step in dossier.history
               if step.action in (Action.request_supplement.value, Action.request_completion.value)]
    return max(moments) if moments else None


def presumed_supplement_cause(dossier: Dossier) -> str:
    """The cause a new processing-stage request is presumed to have: a reception error when an earlier
    supplement or completion request went out and no verification started since (Điều 9.3.b, 9.4.b)."""
    earlier = _earlier_request_at(None, dossier)
    return "reception_error" if earlier is not None and not _verified_since(dossier, earlier) else "verification"


def request_supplement(
    session: Session, *, officer: User, code: str, items=None, reasons=None, cause: str | None = None,
    apology: ApologyInput | None = None, now: datetime, expected_version: int | None = None,
    public_base_url: str = "",
) -> SupplementRequest:
    """Ask the citizen for everything missing at once, each item with its reason (form 02, Điều 12.1.c); the
    clock stops and the time already spent counts (Điều 9.3.b, 10.2.đ).

    ``cause`` "verification": found on thẩm tra, xác minh (Điều 9.3.b). "reception_error": the one-stop
    office missed it at reception; it must carry ``apology`` (the one-stop office's form 04, Điều 9.4.b,
    10.2.đ), issued in the same transaction. A request after an earlier supplement or completion request is
    presumed a reception error, unless the dossier went through start_verification since (Điều 9.3.b).
    ``reasons`` alone (one line per item) is the older shape: each line is both the item and its reason."""
    dossier = officer_dossier(session, officer, code)
    if items is None and reasons is not None:
        lines, errors = _clean_reasons(reasons, "items")
        items = [{"item": line, "reason": line} for line in lines]
        _fail(errors)
    items, errors = _clean_items(items)
    presumed = presumed_supplement_cause(dossier)
    chosen = cause or ("reception_error" if apology is not None else presumed)
    if chosen not in SUPPLEMENT_CAUSES:
        errors.append(FieldError("cause", N_("Chọn lý do yêu cầu bổ sung: sau thẩm tra, xác minh hoặc do lỗi tiếp "
                                             "nhận.")))
    elif chosen == "verification" and presumed == "reception_error":
        errors.append(FieldError("cause", N_("Hồ sơ chưa được thẩm tra, xác minh lại kể từ yêu cầu bổ sung trước: "
                                             "yêu cầu lần này được coi là do lỗi tiếp nhận (Điều 9.3.b, 9.4.b).")))
    apology_reason = ""
    if chosen == "reception_error" and apology is not None:
        apology_reason = _text(apology.reason, "apology_reason", errors, required=False,
                                limit=REASON_MAX) or RECEPTION_ERROR_REASON
        _check_new_date(dossier, apology.new_date, now, errors)
    _fail(errors)
    if chosen == "reception_error" and apology is None:
        raise Conflict(SECOND_SUPPLEMENT_NEEDS_APOLOGY)
    periods = _periods(dossier)
    statutory = calendar.active_calendar(periods).working_duration(dossier.procedure.processing_days)
    remaining = calendar.working_time_between(now, dossier.due_at, periods=periods)
    spent = max(statutory - remaining, timedelta(0))
    previous_due = dossier.due_at
    previous_appointment = dossier.appointment_date
    lines = [f"{entry['item']}: {entry['reason']}" if entry["reason"] != entry["item"] else entry["item"]
             for entry in items]
    transition(session, dossier, Action.request_supplement, actor=officer, at=now, expected_version=expected_version,
               details={"reasons": lines, "items": items, "cause": chosen,
                        "spent_seconds": int(spent.total_seconds())})
    letter = None
    if chosen == "reception_error":
        letter = _new_letter(session, dossier, officer=officer, issuer_kind="one_stop_office", cause="reception_error",
                             issuer=dossier.agency, opinion=None, reason=apology_reason,
                             previous_appointment=previous_appointment, new_date=apology.new_date, now=now)
    form = issuing.issue(session, form_no=numbering.COMPLETION, dossier=dossier, agency=dossier.agency,
                         officer=officer, now=now, data=letters.supplement_form_data(dossier, officer=officer,
                                                                                     items=items, cause=chosen),
                         render=letter_pdf)
    request = SupplementRequest(
        dossier_id=dossier.id, requested_by_id=officer.id, requested_at=now, reasons=lines, items=items,
        stage="processing", cause=chosen, form_id=form.id, apology_letter_id=letter.id if letter else None,
        spent_seconds=int(spent.total_seconds()), remaining_seconds=int(remaining.total_seconds()),
        previous_due_at=previous_due,
    )
    session.add(request)
    session.flush()
    _notify(session, dossier, "supplement_requested",
            {"reasons": "; ".join(lines), "lookup_url": _lookup(dossier, public_base_url)}, now)
    if letter is not None:
        # the one-stop office's own letter needs no forwarding: it goes to the citizen with the request
        _forward(session, dossier, letter, officer=officer, now=now, public_base_url=public_base_url)
    return request


def outstanding_supplement(session: Session, dossier: Dossier) -> SupplementRequest | None:
    return session.scalar(
        select(SupplementRequest)
        .where(SupplementRequest.dossier_id == dossier.id, SupplementRequest.supplied_at.is_(None))
        .order_by(SupplementRequest.id.desc())
    )


def receive_supplement(
    session: Session, *, officer: User, code: str, note: str = "", now: datetime, expected_version: int | None = None
) -> SupplementRequest:
    """The supplement arrived: processing resumes with the working time that was left."""
    dossier = officer_dossier(session, officer, code)
    errors: list[FieldError] = []
    note = _text(note, "note", errors, required=False)
    _fail(errors)
    request = outstanding_supplement(session, dossier)
    if request is None:
        raise IllegalTransition(dossier.status, Action.receive_supplement)
    periods = _periods(dossier)
    if request.remaining_seconds > 0:
        restart = calendar.processing_start(now, periods=periods)
        new_due = calendar.active_calendar(periods).add_working_time(restart, timedelta(seconds=request.remaining_seconds))
    else:
        new_due = request.previous_due_at  # already late when the request went out: it stays late
    transition(session, dossier, Action.receive_supplement, actor=officer, at=now, reason=note,
               expected_version=expected_version, details={"new_due_at": new_due.isoformat()})
    request.supplied_at, request.received_by_id, request.new_due_at = now, officer.id, new_due
    dossier.due_at = new_due
    dossier.appointment_date = to_local(new_due).date()
    session.flush()
    return request


# --- rejection and withdrawal -----------------------------------------------------------------


def _flag_refund(session: Session, dossier: Dossier, officer: User, cause: str, now: datetime) -> RefundFlag | None:
    """A fee was paid for a service the agency will not perform (refused at reception, rejected, withdrawn):
    flag it for refund (R-13, Điều 14.2.c "không thực hiện được dịch vụ thì ... hoàn trả lệ phí").

    Never once the result was ready: "cơ quan đã giải quyết nhưng người yêu cầu không nhận kết quả thì không
    được quyền yêu cầu hoàn trả lại lệ phí" (Điều 14.2.c, second half)."""
    if dossier.settled_at is not None or dossier.status in RESULT_EXISTS:
        return None
    paid = fee_paid(session, dossier)
    if paid <= 0:
        return None
    flag = RefundFlag(dossier_id=dossier.id, amount_vnd=paid, cause=cause, flagged_at=now, flagged_by_id=officer.id)
    session.add(flag)
    session.flush()
    return flag


def reject(
    session: Session, *, officer: User, code: str, reasons, now: datetime, expected_version: int | None = None,
    public_base_url: str = "",
) -> Rejection:
    """Refuse the dossier with written reasons; the citizen is told; a paid fee is flagged for refund."""
    dossier = officer_dossier(session, officer, code)
    reasons, errors = _clean_reasons(reasons)
    _fail(errors)
    transition(session, dossier, Action.reject, actor=officer, at=now, expected_version=expected_version,
               details={"reasons": reasons})
    rejection = Rejection(dossier_id=dossier.id, rejected_by_id=officer.id, rejected_at=now, reasons=reasons)
    session.add(rejection)
    _flag_refund(session, dossier, officer, "rejected", now)
    session.flush()
    _notify(session, dossier, "dossier_rejected",
            {"reasons": "; ".join(reasons), "lookup_url": _lookup(dossier, public_base_url)}, now)
    return rejection


def withdraw(
    session: Session, *, officer: User, code: str, reason: str, now: datetime, expected_version: int | None = None
) -> Dossier:
    """The citizen withdrew the dossier (their written request is the reason)."""
    dossier = officer_dossier(session, officer, code)
    errors: list[FieldError] = []
    reason = _text(reason, "reason", errors)
    _fail(errors)
    transition(session, dossier, Action.withdraw, actor=officer, at=now, reason=reason, expected_version=expected_version)
    _flag_refund(session, dossier, officer, "withdrawn", now)
    return dossier


# --- inter-agency opinions --------------------------------------------------------------------


def ask_opinion(
    session: Session, *, officer: User, code: str, agency_code: str, question: str, working_days, now: datetime,
    expected_version: int | None = None,
) -> OpinionRequest:
    """Ask a cooperating agency (liên thông) for its opinion, due in its own number of working days."""
    dossier = officer_dossier(session, officer, code)
    errors: list[FieldError] = []
    question = _text(question, "question", errors)
    cleaned = (agency_code if isinstance(agency_code, str) else "").strip()
    other = session.scalar(select(Agency).where(Agency.code == cleaned)) if cleaned else None
    if other is None:
        errors.append(FieldError("agency_code", N_("Không tìm thấy cơ quan phối hợp.")))
    elif other.id == dossier.agency_id:
        errors.append(FieldError("agency_code", N_("Cơ quan phối hợp phải là một cơ quan khác.")))
    if not isinstance(working_days, int) or isinstance(working_days, bool) or not 1 <= working_days <= OPINION_DAYS_MAX:
        errors.append(FieldError("working_days", N_("Thời hạn là số ngày làm việc từ 1 đến 30.")))
    _fail(errors)
    if dossier.status == DossierStatus.in_processing:
        transition(session, dossier, Action.start_verification, actor=officer, at=now,
                   reason=N_("Lấy ý kiến liên thông"), expected_version=expected_version)
    elif dossier.status != DossierStatus.verification:
        raise IllegalTransition(dossier.status, Action.start_verification)
    elif expected_version is not None and expected_version != dossier.version:
        raise _stale()
    opinion = OpinionRequest(
        dossier_id=dossier.id, agency_id=other.id, asked_by_id=officer.id, asked_at=now, question=question,
        due_at=calendar.add_working_days(now, working_days, periods=_periods(dossier)),
    )
    session.add(opinion)
    session.flush()
    return opinion


def record_opinion(session: Session, *, officer: User, code: str, opinion_id, answer: str, now: datetime) -> OpinionRequest:
    """The cooperating agency's answer, written down once."""
    dossier = officer_dossier(session, officer, code)
    errors: list[FieldError] = []
    answer = _text(answer, "answer", errors)
    _fail(errors)
    opinion = None
    if isinstance(opinion_id, int) and not isinstance(opinion_id, bool) and 0 < opinion_id < 2**31:
        opinion = session.get(OpinionRequest, opinion_id)
    if opinion is None or opinion.dossier_id != dossier.id:
        raise NotFound(N_("Không tìm thấy yêu cầu lấy ý kiến."))
    if opinion.answered_at is not None:
        raise Conflict(N_("Ý kiến này đã được ghi lúc %(at)s."), params={"at": format_local_datetime(opinion.answered_at)})
    opinion.answer, opinion.answered_at, opinion.recorded_by_id = answer, now, officer.id
    session.flush()
    return opinion


def opinions_of(session: Session, dossier: Dossier) -> list[OpinionRequest]:
    return list(session.scalars(select(OpinionRequest).where(OpinionRequest.dossier_id == dossier.id).order_by(OpinionRequest.id)))


# --- overdue and apology (R-12, form 04) -----------------------------------------------------

#: an apology from a body outside the dossier's procedure (Điều 9.3.d, 10.2.g)
NOT_PART_OF_THE_PROCEDURE = N_("Chỉ cơ quan giải quyết, cơ quan phối hợp được hỏi ý kiến hoặc Bộ phận Một cửa mới lập "
                               "phiếu xin lỗi cho hồ sơ này (Điều 9.3.d, 10.2.g).")


def _check_new_date(dossier: Dossier, new_date, now: datetime, errors: list[FieldError]) -> None:
    """The new return date: after today (Điều 9.4.d) and the current appointment, within 90 days, a working day."""
    today = to_local(now).date()
    if not isinstance(new_date, date) or isinstance(new_date, datetime):
        errors.append(FieldError("new_date", N_("Chọn ngày hẹn trả mới (ngày/tháng/năm).")))
    elif new_date <= today:
        errors.append(FieldError("new_date", N_("Ngày hẹn trả mới phải sau hôm nay (Điều 9.4.d).")))
    elif dossier.appointment_date is not None and new_date <= dossier.appointment_date:
        errors.append(FieldError("new_date", N_("Ngày hẹn mới phải sau hôm nay và sau ngày hẹn cũ (%(old)s)."),
                                 {"old": format_local_date(dossier.appointment_date)}))
    elif new_date > today + timedelta(days=APOLOGY_DAYS_MAX):
        errors.append(FieldError("new_date", N_("Ngày hẹn mới không quá 90 ngày kể từ hôm nay.")))
    elif not calendar.is_working_day(new_date, periods=_periods(dossier)):
        errors.append(FieldError("new_date", N_("Ngày hẹn mới phải là ngày làm việc.")))


def apology_dossier(
    session: Session, officer: User | None, code: str, issuer_kind: str, opinion_request_id=None,
) -> tuple[Dossier, OpinionRequest | None]:
    """The dossier an officer may write form 04 for, and the opinion request a cooperating agency reaches it
    through (Điều 9.3.d, 10.2.g): officers of the dossier's agency as the processing agency or its one-stop
    office; officers of an agency asked for its opinion on the dossier (liên thông) as that cooperating agency.
    Any other body is refused naming the articles; an unknown code is not found."""
    require_officer(officer)
    cleaned = (code if isinstance(code, str) else "").strip().upper()
    dossier = find_by_reference(session, cleaned)
    if dossier is None or dossier.code is None:
        raise NotFound(N_("Không tìm thấy hồ sơ %(code)s."), params={"code": cleaned[:40] or "?"})
    if issuer_kind != "cooperating_agency":
        if dossier.agency_id != officer.agency_id:
            raise Forbidden(NOT_PART_OF_THE_PROCEDURE)
        return dossier, None
    query = select(OpinionRequest).where(OpinionRequest.dossier_id == dossier.id,
                                         OpinionRequest.agency_id == officer.agency_id)
    if opinion_request_id is not None:
        if not isinstance(opinion_request_id, int) or isinstance(opinion_request_id, bool):
            raise Forbidden(NOT_PART_OF_THE_PROCEDURE)
        query = query.where(OpinionRequest.id == opinion_request_id)
    opinion = session.scalar(query.order_by(OpinionRequest.id.desc()).limit(1))
    if opinion is None:
        raise Forbidden(NOT_PART_OF_THE_PROCEDURE)
    return dossier, opinion


def apology_form_dossier(session: Session, officer: User | None, code: str
                         ) -> tuple[Dossier, str, OpinionRequest | None]:
    """The dossier as its apology form reaches it (Điều 9.3.d, 10.2.g), with the issuer the officer writes as:
    officers of the dossier's agency as the processing agency; officers of an agency asked for its opinion as
    that cooperating agency, through the opinion request (this form only, not the rest of the workbench)."""
    require_officer(officer)
    cleaned = (code if isinstance(code, str) else "").strip().upper()
    dossier = find_by_reference(session, cleaned)
    if dossier is not None and dossier.agency_id == officer.agency_id and dossier.code is not None:
        return dossier, "processing_agency", None
    dossier, opinion = apology_dossier(session, officer, code, "cooperating_agency")
    return dossier, "cooperating_agency", opinion


def _new_letter(
    session: Session, dossier: Dossier, *, officer: User, issuer_kind: str, cause: str, issuer: Agency,
    opinion: OpinionRequest | None, reason: str, previous_appointment: date, new_date: date, now: datetime,
) -> ApologyLetter:
    """Number, write and store one form 04 in the issuing body's sequence."""
    number = (session.scalar(select(func.max(ApologyLetter.number)).where(ApologyLetter.dossier_id == dossier.id))
              or 0) + 1
    form = issuing.issue(
        session, form_no=numbering.APOLOGY, dossier=dossier, agency=issuer, officer=officer, now=now,
        data=letters.apology_form_data(dossier, issuer_kind=issuer_kind, cause=cause, issuer=issuer, officer=officer,
                                       reason=reason, missed_due_at=dossier.due_at,
                                       previous_appointment=previous_appointment, new_date=new_date),
        render=letter_pdf,
    )
    letter = ApologyLetter(
        dossier_id=dossier.id, number=number, issued_by_id=officer.id, issued_at=now, reason=reason,
        missed_due_at=dossier.due_at, previous_appointment_date=previous_appointment, new_appointment_date=new_date,
        issuer_kind=issuer_kind, issuer_agency_id=issuer.id, opinion_request_id=opinion.id if opinion else None,
        cause=cause, form_id=form.id,
    )
    session.add(letter)
    session.flush()
    return letter


def issue_apology(
    session: Session, *, officer: User, code: str, reason: str, new_date, now: datetime,
    issuer_kind: str = "processing_agency", cause: str = "late", opinion_request_id=None,
    expected_version: int | None = None, public_base_url: str = "",
) -> ApologyLetter:
    """Form 04 for a dossier past its due time (Điều 9.3.d, 10.2.g): the body that caused the delay (the
    processing agency, or a cooperating agency through its opinion request) states the reason and the new
    date. It waits for the one-stop office to forward it to the citizen (``forward_apology``, Điều 9.4.d); a
    cooperating agency's letter is also sent to the lead agency (Điều 10.2.g). The statutory due time never
    moves, so statistics still count the dossier late. The one-stop office's own letter (cause
    reception_error, Điều 9.4.b, 10.2.đ) goes with a supplement request: ``request_supplement``."""
    errors: list[FieldError] = []
    if issuer_kind not in ISSUER_KINDS:
        raise InvalidInput.on_field("issuer_kind", N_("Chọn cơ quan lập phiếu xin lỗi."))
    if cause not in APOLOGY_CAUSES:
        raise InvalidInput.on_field("cause", N_("Chọn lý do xin lỗi: quá hạn giải quyết hoặc lỗi tiếp nhận."))
    dossier, opinion = apology_dossier(session, officer, code, issuer_kind, opinion_request_id)
    if (issuer_kind == "one_stop_office") != (cause == "reception_error"):
        errors.append(FieldError("cause", N_("Bộ phận Một cửa xin lỗi khi có lỗi tiếp nhận hồ sơ; cơ quan giải quyết "
                                             "hoặc cơ quan phối hợp xin lỗi khi hồ sơ quá hạn (Điều 9.3.d, 9.4.b, "
                                             "10.2.g).")))
    reason = _text(reason, "reason", errors, limit=REASON_MAX)
    _check_new_date(dossier, new_date, now, errors)
    _fail(errors)
    if cause == "reception_error":
        raise Conflict(N_("Phiếu xin lỗi do lỗi tiếp nhận được lập cùng yêu cầu bổ sung hồ sơ (Điều 9.4.b, 10.2.đ)."))
    if dossier.due_at >= now:
        raise Conflict(N_("Hồ sơ chưa quá hạn (hạn %(due)s): chưa cần thư xin lỗi."),
                       params={"due": format_local_datetime(dossier.due_at)})
    issuer = opinion.agency if opinion is not None else dossier.agency
    previous = dossier.appointment_date
    transition(session, dossier, Action.apologise, actor=officer, at=now, reason=reason,
               expected_version=expected_version,
               details={"new_date": new_date.isoformat(), "issuer_kind": issuer_kind, "issuer": issuer.name})
    letter = _new_letter(session, dossier, officer=officer, issuer_kind=issuer_kind, cause=cause, issuer=issuer,
                         opinion=opinion, reason=reason, previous_appointment=previous, new_date=new_date, now=now)
    dossier.history[-1].details = {**dossier.history[-1].details, "letter": letter.number}
    if opinion is not None:
        _tell_lead_agency(session, dossier, letter, issuer, now)
    return letter


def _tell_lead_agency(session: Session, dossier: Dossier, letter: ApologyLetter, issuer: Agency, now: datetime) -> None:
    """A cooperating agency's letter goes to the lead agency too, to follow it up (Điều 10.2.g)."""
    officers = session.scalars(select(User).where(User.agency_id == dossier.agency_id, User.role.in_(OFFICER_ROLES),
                                                  User.is_active.is_(True)).order_by(User.id))
    for lead_officer in officers:
        channel, recipient = ("email", lead_officer.email) if lead_officer.email else ("sms", lead_officer.phone)
        if recipient:
            send(session, channel=channel, recipient=recipient, template="apology_for_lead_agency",
                 user_id=lead_officer.id, locale=lead_officer.locale or "vi", now=now,
                 context={"code": dossier.code, "issuer_name": issuer.name, "reason": letter.reason,
                          "new_date": letter.new_appointment_date.strftime("%d/%m/%Y")})
    letter.lead_agency_notified_at = now
    session.flush()


def _form_url(dossier: Dossier, letter: ApologyLetter, base_url: str) -> str:
    return f"{base_url.rstrip('/')}/dossiers/{quote(dossier.code, safe='')}/forms/{letter.form_id}.pdf"


def _forward(session: Session, dossier: Dossier, letter: ApologyLetter, *, officer: User, now: datetime,
             public_base_url: str) -> None:
    letter.forwarded_at, letter.forwarded_by_id = now, officer.id
    dossier.appointment_date = letter.new_appointment_date
    session.flush()
    issuer = session.get(Agency, letter.issuer_agency_id)
    issuer_name = issuer.name if letter.issuer_kind != "one_stop_office" else f"Bộ phận Một cửa {issuer.name}"
    _notify(session, dossier, "apology", {
        "reason": letter.reason, "new_date": letter.new_appointment_date.strftime("%d/%m/%Y"),
        "agency_name": dossier.agency.name, "issuer_name": issuer_name,
        "form_url": _form_url(dossier, letter, public_base_url), "lookup_url": _lookup(dossier, public_base_url),
    }, now)


def forward_apology(
    session: Session, *, officer: User, code: str, letter_number, now: datetime, expected_version: int | None = None,
    public_base_url: str = "",
) -> ApologyLetter:
    """The one-stop office forwards a letter to the citizen and records the new date (Điều 9.4.d, 10.2.g):
    the appointment the citizen sees moves; the due time of the statistics does not."""
    dossier = officer_dossier(session, officer, code)
    letter = None
    if isinstance(letter_number, int) and not isinstance(letter_number, bool) and 0 < letter_number < 1000:
        letter = session.scalar(select(ApologyLetter).where(ApologyLetter.dossier_id == dossier.id,
                                                            ApologyLetter.number == letter_number))
    if letter is None:
        raise NotFound(N_("Không tìm thấy thư xin lỗi."))
    if expected_version is not None and expected_version != dossier.version:
        raise _stale()
    if letter.forwarded_at is not None:
        raise Conflict(N_("Phiếu xin lỗi này đã được chuyển cho công dân lúc %(at)s."),
                       params={"at": format_local_datetime(letter.forwarded_at)})
    if dossier.status in FINAL:
        raise IllegalTransition(dossier.status, Action.apologise)
    if letter.new_appointment_date <= to_local(now).date():
        raise Conflict(N_("Ngày hẹn trả mới của phiếu đã qua: cơ quan lập phiếu cần lập phiếu mới (Điều 9.4.d)."))
    if dossier.appointment_date is not None and letter.new_appointment_date <= dossier.appointment_date:
        raise Conflict(N_("Đã có ngày hẹn trả muộn hơn ngày hẹn của phiếu này (%(old)s)."),
                       params={"old": format_local_date(dossier.appointment_date)})
    _forward(session, dossier, letter, officer=officer, now=now, public_base_url=public_base_url)
    return letter


def apology_letters(session: Session, dossier: Dossier) -> list[ApologyLetter]:
    return list(session.scalars(select(ApologyLetter).where(ApologyLetter.dossier_id == dossier.id).order_by(ApologyLetter.number)))


def apology_letter(session: Session, *, viewer: User | None, code: str, number) -> ApologyLetter:
    """One letter, for the agency's officers (NotFound for anyone else)."""
    dossier = officer_dossier(session, viewer, code)
    letter = None
    if isinstance(number, int) and not isinstance(number, bool) and 0 < number < 1000:
        letter = session.scalar(select(ApologyLetter).where(ApologyLetter.dossier_id == dossier.id, ApologyLetter.number == number))
    if letter is None:
        raise NotFound(N_("Không tìm thấy thư xin lỗi."))
    return letter


# --- result and completion (R-13, R-14) -------------------------------------------------------


def returns_by_post(dossier: Dossier) -> bool:
    """A postal dossier's result goes back by the post's return leg; others at the counter."""
    return dossier.channel == Channel.postal


def electronic_result(dossier: Dossier) -> bool:
    """A level-4 dossier whose result does not go back on paper by the post: the result is the file given with
    "Báo có kết quả" (Điều 25.2, 14.3), so that file is required."""
    return dossier.level == 4 and not returns_by_post(dossier)


def _result_document(session: Session, dossier: Dossier, officer: User, scan: ValidatedScan | None,
                     now: datetime) -> ResultDocument | None:
    """Keep the result's file (PDF, JPEG or PNG, judged by content, no active content); required for an
    electronic result; one per dossier."""
    if scan is None:
        if electronic_result(dossier):
            raise InvalidInput.on_field(
                RESULT_FILE_FIELD,
                N_("Hồ sơ mức độ 4 trả kết quả điện tử: đính kèm bản quét hoặc bản PDF đã ký số của kết quả."))
        return None
    refuse_active_content(scan, field=RESULT_FILE_FIELD)
    document = ResultDocument(dossier_id=dossier.id, filename=scan.filename, content_type=scan.content_type,
                              size_bytes=scan.size_bytes, sha256=scan.sha256, content=scan.data, uploaded_at=now,
                              uploaded_by_id=officer.id)
    session.add(document)
    return document


def result_document_of(session: Session, dossier: Dossier) -> ResultDocument | None:
    return session.scalar(select(ResultDocument).where(ResultDocument.dossier_id == dossier.id))


def mark_result_ready(
    session: Session, *, officer: User, code: str, note: str = "", now: datetime, expected_version: int | None = None,
    public_base_url: str = "", result_document: ValidatedScan | None = None,
) -> Dossier:
    """The result is ready: the post's return leg opens (postal dossiers) and the citizen is told.

    ``result_document`` is the result as a file, validated by ``core.uploads.validate_scan``: required for an
    electronic result (``electronic_result``: level 4 not returned on paper by the post), optional otherwise;
    kept in ``result_documents`` (Điều 25.2)."""
    dossier = officer_dossier(session, officer, code)
    errors: list[FieldError] = []
    note = _text(note, "note", errors, required=False)
    _fail(errors)
    by_post = returns_by_post(dossier)
    transition(session, dossier, Action.mark_result_ready, actor=officer, at=now, reason=note,
               expected_version=expected_version, details={"return_by": "post" if by_post else "counter"})
    _result_document(session, dossier, officer, result_document, now)
    session.flush()
    if by_post:
        # the tracking area opens the return leg in this same transaction (subscribed in the bootstrap)
        record(session, ResultHandedToPost(dossier_id=dossier.id, available_at=now))
    # Điều 25.2, 22.5: "trong 24 giờ" only when the contract's return-leg time is within it; else the planned time
    wording = (return_plan(session, dossier, now).citizen_promise() if by_post
               else N_("Mời bạn đến Bộ phận Một cửa nhận kết quả."))
    _notify(session, dossier, "result_ready", {
        "procedure_name": dossier.procedure.name, "returned_by": wording, "lookup_url": _lookup(dossier, public_base_url),
    }, now)
    return dossier


def fee_paid(session: Session, dossier: Dossier) -> int:
    """Lệ phí paid for the dossier net of refunds, as the payments area reckons it."""
    return fee_balance(session, dossier).paid_vnd


def return_result(
    session: Session, *, officer: User, code: str, via: str, now: datetime, expected_version: int | None = None
) -> Dossier:
    """The officer's last step with the result (Điều 25.2).

    ``via="post"``: the result is handed to the post's return leg, status ``result_with_post``; the dossier is
    "returned" only when the leg's delivery event comes (``returned_by_delivery``), never at the hand-over.
    ``via="counter"``: the citizen collects it at the one-stop counter (also once the post gave it back),
    status ``returned``. Level 4: refused until the fee paid equals the fee owed (Điều 14.3.b)."""
    dossier = officer_dossier(session, officer, code)
    if via not in RETURN_WAYS:
        raise InvalidInput.on_field("via", N_("Chọn cách trả kết quả: qua bưu chính hoặc tại Bộ phận Một cửa."))
    if dossier.level == 4 and dossier.status in (DossierStatus.result_ready, DossierStatus.result_with_post):
        paid = fee_paid(session, dossier)
        if paid != dossier.fee_vnd:
            raise Conflict(
                N_("Chưa thể hoàn thành hồ sơ mức độ 4: lệ phí đã nộp %(paid)s, phải nộp %(owed)s."),
                params={"paid": format_vnd(paid), "owed": format_vnd(dossier.fee_vnd)},
            )
    action = Action.hand_to_post if via == "post" else Action.return_result
    transition(session, dossier, action, actor=officer, at=now, expected_version=expected_version,
               details={"via": via})
    return dossier


def returned_by_delivery(session: Session, *, dossier_id: int, delivered_at: datetime,
                         actor_id: int | None = None, recipient_name: str = "") -> Dossier | None:
    """The return leg's "delivered" event: the citizen has the result, the dossier is ``returned``
    (Điều 25.2: the post returns the result to the citizen). Only from ``result_with_post`` or
    ``result_ready`` (the post may collect before the officer pressed the hand-over); any other state
    (already returned, a replayed event) is left as it is. The step is the device's: no officer."""
    dossier = session.get(Dossier, dossier_id)
    if dossier is None or dossier.status not in (DossierStatus.result_with_post, DossierStatus.result_ready):
        return None
    actor = session.get(User, actor_id) if actor_id is not None else None
    transition(session, dossier, Action.return_result, actor=actor, at=delivered_at,
               details={"via": "delivery", "recipient_name": recipient_name[:200]})
    return dossier


def refund_flags(session: Session, *, agency_id: int | None = None, open_only: bool = True) -> list[RefundFlag]:
    """Refunds the payments area still has to make (R-13)."""
    query = select(RefundFlag).join(Dossier, Dossier.id == RefundFlag.dossier_id)
    if agency_id is not None:
        query = query.where(Dossier.agency_id == agency_id)
    if open_only:
        query = query.where(RefundFlag.resolved_at.is_(None))
    return list(session.scalars(query.order_by(RefundFlag.id)))
