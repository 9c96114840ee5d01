"""What the one-stop office's control sheet (form 05) and register book (form 06) say, read from the
dossiers' live data: nothing here is stored, both are rendered again whenever they are asked for.

Form 05, "Phiếu kiểm soát quá trình giải quyết hồ sơ" (Điều 9.2.a-b): one line per hand-off of the
dossier (who gave it to whom, when, the step's deadline, and whether it was done before, on or after
it). Form 06, "Sổ theo dõi hồ sơ" (Điều 9.3.c, 10.2.g): the agency's received dossiers of a period in
received order, numbered per agency and Vietnamese year. No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from postal_gateway.accounts.models import Role, User
from postal_gateway.catalogue.models import Agency
from postal_gateway.core.domain import N_, FieldError, Forbidden, InvalidInput, NotFound
from postal_gateway.core.formatting import VIETNAM, format_local_date, to_local
from postal_gateway.core.periods import Period, bounds_faults, parse_day
from postal_gateway.dossiers.models import Dossier, DossierStatusChange
from postal_gateway.workbench.models import ApologyLetter, OpinionRequest, PaperHandover

#: agency staff and admins read their own agency's forms; operators read every agency's
OFFICER_ROLES = (Role.agency_staff, Role.agency_admin)
READER_ROLES = (*OFFICER_ROLES, Role.operator)
#: the longest register period asked for at once (Sổ theo dõi: one year)
MAX_PERIOD_DAYS = 366

#: results of a step against its deadline (form 05's "Trước hạn / Đúng hạn / Quá hạn")
BEFORE, ON_TIME, LATE, NO_DEADLINE = "Trước hạn", "Đúng hạn", "Quá hạn", "—"
ONE_STOP = "Bộ phận Một cửa"


# --- who may read -----------------------------------------------------------------------------------


def require_reader(viewer: User | None) -> User:
    """Agency staff or admin of an agency, or an operator; Forbidden for anyone else."""
    if viewer is None or not viewer.is_active or viewer.role not in READER_ROLES:
        raise Forbidden(N_("Tài khoản của bạn không xem được sổ và phiếu của Bộ phận Một cửa."))
    if viewer.role in OFFICER_ROLES and viewer.agency_id is None:
        raise Forbidden(N_("Tài khoản của bạn không xem được sổ và phiếu của Bộ phận Một cửa."))
    return viewer


def readable_dossier(session: Session, viewer: User | None, code) -> Dossier:
    """The received dossier ``code`` if ``viewer`` may read its control sheet: an officer of its agency or
    an operator. Another agency's dossier, an unknown code and a dossier not yet received are NotFound
    alike, so the answer tells nothing of other agencies' dossiers."""
    require_reader(viewer)
    cleaned = (code if isinstance(code, str) else "").strip().upper()
    dossier = None
    if cleaned and len(cleaned) <= 40 and "\x00" not in cleaned:
        dossier = session.scalar(select(Dossier).where(Dossier.code == cleaned))
    if (dossier is None or dossier.received_at is None
            or (viewer.role != Role.operator and dossier.agency_id != viewer.agency_id)):
        raise NotFound(N_("Không tìm thấy hồ sơ %(code)s."), params={"code": cleaned[:40] or "?"})
    return dossier


# --- form 05: the control sheet -----------------------------------------------------------------------


def step_result(done_at: datetime | None, due_at: datetime | None) -> str:
    """Điều 9.2.a (form 05's result column), our reading: done on an earlier Vietnamese day than the step's
    deadline is "Trước hạn", by the deadline on its own day "Đúng hạn", after it "Quá hạn"; "—" when the
    step has no deadline or is not done yet."""
    if done_at is None or due_at is None:
        return NO_DEADLINE
    if done_at > due_at:
        return LATE
    if to_local(done_at).date() < to_local(due_at).date():
        return BEFORE
    return ON_TIME


@dataclass(frozen=True)
class HandOff:
    """One line of the control sheet: the dossier went from ``giver`` to ``receiver`` at ``at``."""

    giver: str
    giver_person: str
    receiver: str
    receiver_person: str
    at: datetime
    #: the deadline of the step this hand-off ends, if the procedure gives one
    due_at: datetime | None
    result: str
    note: str = ""


@dataclass
class ControlSheet:
    dossier: Dossier
    applicant: str
    #: cơ quan (bộ phận) giải quyết hồ sơ
    handling_body: str
    #: cơ quan phối hợp giải quyết hồ sơ (liên thông), "" if none
    cooperating: str
    lines: list[HandOff] = field(default_factory=list)


def applicant_of(dossier: Dossier) -> str:
    name = dossier.citizen.full_name
    return f"{name} ({dossier.organisation_name})" if dossier.organisation_name else name


def _end_of_local_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), VIETNAM) - timedelta(seconds=1)


def control_sheet(session: Session, dossier: Dossier) -> ControlSheet:
    """Form 05 for ``dossier`` (Điều 9.2.a-b), from its status history, paper hand-over and opinion requests.

    Deadlines we hold: the transfer to the processing department by the processing start (12.1.đ), the
    result back to the one-stop office by the due time, a cooperating agency's opinion by its due time,
    the result to the citizen by the appointment date. Internal steps have no deadline of their own.
    """
    names: dict[int, str] = {}

    def person(user_id: int | None) -> str:
        if user_id is None:
            return ""
        if user_id not in names:
            user = session.get(User, user_id)
            names[user_id] = user.full_name if user else ""
        return names[user_id]

    agency = dossier.agency
    department = dossier.procedure.processing_department or "Phòng chuyên môn"
    applicant = applicant_of(dossier)
    office = dossier.post_office.name if dossier.post_office_id and dossier.post_office else ""
    one_stop = f"{ONE_STOP} ({agency.name})"
    lines: list[tuple[datetime, int, HandOff]] = []

    def add(order: int, line: HandOff) -> None:
        lines.append((line.at, order, line))

    history = sorted(dossier.history, key=lambda step: (step.at, step.id or 0))
    # the officer who accepted it: the official receipt (Điều 12.1.d)
    receipt = next((step for step in history if step.action == "accept"), None)
    receiver = dossier.accepted_by_id or (receipt.actor_id if receipt else None)
    giver = f"Bưu điện: {office}" if office else applicant
    add(0, HandOff(giver, person(dossier.submitted_by_id), one_stop, person(receiver),
                   dossier.received_at, None, NO_DEADLINE, "Tiếp nhận hồ sơ"))
    handover = session.scalar(select(PaperHandover).where(PaperHandover.dossier_id == dossier.id))
    if handover is not None:
        add(1, HandOff(giver, person(dossier.submitted_by_id), one_stop, person(handover.officer_id),
                       handover.signed_at, None, NO_DEADLINE,
                       "Ký nhận hồ sơ giấy" + ("" if handover.paper_matches else ": có sai khác")))
    for step in history:
        actor = person(step.actor_id)
        reasons = "; ".join(str(reason) for reason in (step.details or {}).get("reasons") or []) or step.reason
        if step.action == "transfer":
            add(2, HandOff(one_stop, actor, department, "", step.at, dossier.processing_start_at,
                           step_result(step.at, dossier.processing_start_at), "Chuyển hồ sơ"))
        elif step.action == "request_supplement":
            add(2, HandOff(department, actor, applicant, "", step.at, None, NO_DEADLINE,
                           f"Yêu cầu bổ sung: {reasons}" if reasons else "Yêu cầu bổ sung"))
        elif step.action == "receive_supplement":
            add(2, HandOff(applicant, "", department, actor, step.at, None, NO_DEADLINE, "Nhận hồ sơ bổ sung"))
        elif step.action == "mark_result_ready":
            add(2, HandOff(department, actor, one_stop, "", step.at, dossier.due_at,
                           step_result(step.at, dossier.due_at), "Có kết quả giải quyết"))
        elif step.action == "return_result":
            due = _end_of_local_day(dossier.appointment_date)
            by_post = (step.details or {}).get("via") == "post"
            add(2, HandOff(one_stop, actor, applicant + (" (qua bưu chính)" if by_post else ""), "", step.at, due,
                           step_result(step.at, due), "Trả kết quả"))
        elif step.action in ("reject", "withdraw"):
            label = "Từ chối giải quyết" if step.action == "reject" else "Công dân rút hồ sơ"
            add(2, HandOff(one_stop, actor, applicant, "", step.at, None, NO_DEADLINE,
                           f"{label}: {reasons}" if reasons else label))
        elif step.action == "apologise":
            new_date = (step.details or {}).get("new_date")
            shown = format_local_date(date.fromisoformat(new_date)) if new_date else ""
            add(2, HandOff(department, actor, applicant, "", step.at, dossier.due_at, LATE,
                           f"Xin lỗi, hẹn lại ngày trả kết quả {shown}".strip()))
    opinions = list(session.scalars(select(OpinionRequest).where(OpinionRequest.dossier_id == dossier.id)
                                    .order_by(OpinionRequest.id)))
    for opinion in opinions:
        add(2, HandOff(department, person(opinion.asked_by_id), opinion.agency.name, "", opinion.asked_at,
                       None, NO_DEADLINE, "Lấy ý kiến liên thông"))
        if opinion.answered_at is not None:
            add(2, HandOff(opinion.agency.name, "", department, person(opinion.recorded_by_id), opinion.answered_at,
                           opinion.due_at, step_result(opinion.answered_at, opinion.due_at), "Có ý kiến liên thông"))
    lines.sort(key=lambda item: (item[0], item[1]))
    handling = f"{agency.name} – {dossier.procedure.processing_department}" if dossier.procedure.processing_department \
        else agency.name
    cooperating = "; ".join(dict.fromkeys(opinion.agency.name for opinion in opinions))
    return ControlSheet(dossier, applicant, handling, cooperating, [line for _at, _order, line in lines])


# --- form 06: the register book -------------------------------------------------------------------------


def parse_period(raw_from, raw_to, *, today: date) -> Period:
    """The register's period: default the first of this month to today; at most one year; every fault named."""
    errors: list[FieldError] = []
    first = parse_day(raw_from, "from", errors) if raw_from not in (None, "") else today.replace(day=1)
    last = parse_day(raw_to, "to", errors) if raw_to not in (None, "") else today
    errors += bounds_faults(first, last, max_days=MAX_PERIOD_DAYS, too_long=N_("Mỗi lần xem sổ tối đa một năm."))
    if errors:
        raise InvalidInput(N_("Kỳ của sổ theo dõi không hợp lệ."), field_errors=errors)
    return Period(first, last)


def register_agency(session: Session, viewer: User | None, agency_code) -> Agency | None:
    """The agency whose register ``viewer`` reads: officers their own (another agency's code is Forbidden),
    operators the one they name (None until they choose)."""
    require_reader(viewer)
    code = agency_code.strip() if isinstance(agency_code, str) else ""
    if (agency_code is not None and not isinstance(agency_code, str)) or "\x00" in code or len(code) > 40:
        raise InvalidInput.on_field("agency", N_("Mã cơ quan không hợp lệ."))
    if viewer.role != Role.operator:
        own = session.get(Agency, viewer.agency_id)
        if code and code != own.code:
            raise Forbidden(N_("Bạn chỉ xem được sổ theo dõi hồ sơ của cơ quan mình."))
        return own
    if not code:
        return None
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        raise InvalidInput.on_field("agency", N_("Không tìm thấy cơ quan %(code)s."), code=code[:20])
    return agency


@dataclass(frozen=True)
class RegisterRow:
    """One line of the Sổ theo dõi hồ sơ."""

    #: STT: running number per agency and Vietnamese year of receipt
    number: int
    year: int
    code: str
    procedure: str
    applicant: str
    address_phone: str
    handling_body: str
    received_at: datetime
    #: the appointment the citizen holds now (moved by apologies)
    appointment_date: date
    #: the first appointment, when an apology moved it
    first_appointment_date: date | None
    transferred_at: datetime | None
    #: result back from the processing department (settled)
    settled_at: datetime | None
    #: result given to the citizen
    returned_at: datetime | None
    notes: tuple[str, ...]


@dataclass
class Register:
    agency: Agency
    period: Period
    rows: list[RegisterRow]


def _year_start(year: int) -> datetime:
    return datetime(year, 1, 1, tzinfo=VIETNAM)


def _notes(steps: list[DossierStatusChange], letters: list[ApologyLetter]) -> tuple[str, ...]:
    """What 9.3.c and 10.2.g put "vào mục trả kết quả": refusals with reasons, supplements, apologies."""
    notes = []
    for step in steps:
        reasons = "; ".join(str(reason) for reason in (step.details or {}).get("reasons") or []) or step.reason
        if step.action == "request_supplement":
            notes.append(f"Yêu cầu bổ sung {format_local_date(step.at)}: {reasons}".rstrip(": "))
        elif step.action == "reject":
            notes.append(f"Từ chối {format_local_date(step.at)}: {reasons}".rstrip(": "))
        elif step.action == "withdraw":
            notes.append(f"Công dân rút hồ sơ {format_local_date(step.at)}")
    for letter in letters:
        notes.append(f"Xin lỗi (số {letter.number}) {format_local_date(letter.issued_at)}: {letter.reason}; "
                     f"hẹn lại {format_local_date(letter.new_appointment_date)}")
    return tuple(notes)


def register(session: Session, agency: Agency, period: Period) -> Register:
    """Form 06 (Điều 9.3.c, 10.2.g): every dossier of ``agency`` received in ``period``, in received order,
    with its number in the agency's register of its Vietnamese year (1, 2, ... from 1 January). A
    submission without a receipt time is not in the register."""
    received = (Dossier.agency_id == agency.id) & Dossier.received_at.is_not(None)
    dossiers = list(session.scalars(
        select(Dossier).where(received, Dossier.received_at >= period.start, Dossier.received_at < period.end)
        .order_by(Dossier.received_at, Dossier.id)
        .options(selectinload(Dossier.history), selectinload(Dossier.citizen), selectinload(Dossier.procedure))
    ))
    # The numbers of a year continue from the dossiers received that year before the period began.
    counters: dict[int, int] = {}
    for year in range(period.first.year, period.last.year + 1):
        start = _year_start(year)
        if start < period.start:
            counters[year] = session.scalar(select(func.count()).select_from(Dossier).where(
                received, Dossier.received_at >= start, Dossier.received_at < period.start)) or 0
        else:
            counters[year] = 0
    letters: dict[int, list[ApologyLetter]] = {}
    if dossiers:
        ids = [dossier.id for dossier in dossiers]
        for letter in session.scalars(select(ApologyLetter).where(ApologyLetter.dossier_id.in_(ids))
                                      .order_by(ApologyLetter.number)):
            letters.setdefault(letter.dossier_id, []).append(letter)
    rows = []
    for dossier in dossiers:
        year = to_local(dossier.received_at).year
        counters[year] += 1
        steps = sorted(dossier.history, key=lambda step: (step.at, step.id or 0))
        transfer = next((step.at for step in steps if step.action == "transfer"), None)
        returned = next((step.at for step in steps if step.action == "return_result"), None)
        own_letters = letters.get(dossier.id, [])
        citizen = dossier.citizen
        department = dossier.procedure.processing_department
        rows.append(RegisterRow(
            number=counters[year], year=year, code=dossier.code, procedure=dossier.procedure.name,
            applicant=applicant_of(dossier),
            address_phone=", ".join(part for part in (citizen.address, citizen.phone) if part),
            handling_body=department or agency.name,
            received_at=dossier.received_at, appointment_date=dossier.appointment_date,
            first_appointment_date=own_letters[0].previous_appointment_date if own_letters else None,
            transferred_at=transfer, settled_at=dossier.settled_at, returned_at=returned,
            notes=_notes(steps, own_letters),
        ))
    return Register(agency, period, rows)
