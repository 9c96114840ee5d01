"""Statistics of dossier handling per agency and period (R-21), with exactly the columns of seed 001.

One set-based query for the seed's table (one pass over the dossiers of the period, grouped by agency), one for
the second table "Tiếp nhận qua bưu chính", and the working time of each postal dossier received in the period for
its median; how each column is computed is written down in docs/statistics.md and in COLUMNS below. No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Float, and_, case, cast, extract, func, literal, or_, select, text, union_all
from sqlalchemy.orm import Session

from postal_gateway import calendar
from postal_gateway.accounts.models import Role, User
from postal_gateway.catalogue.models import Agency
from postal_gateway.core.domain import N_, FieldError, Forbidden, InvalidInput
from postal_gateway.core.formatting import to_local
from postal_gateway.core.periods import Period, bounds_faults, parse_day
from postal_gateway.dossiers.models import Channel, Dossier, DossierStatus, DossierStatusChange
from postal_gateway.workbench.models import ApologyLetter, SupplementRequest

#: the earliest date a period may start
#: the longest period asked for at once
MAX_DAYS = 5 * 366

#: (key, group header, column header): the seed's table, in its order. The seed's headers are OCR-damaged;
#: the third carried-over column and the four waiting columns are named by us (docs/statistics.md, plan §3 D11).
COLUMNS = (
    ("carried_on_time", N_("Kỳ trước chuyển sang"), N_("Trong hạn")),
    ("carried_late", N_("Kỳ trước chuyển sang"), N_("Quá hạn")),
    ("carried_waiting", N_("Kỳ trước chuyển sang"), N_("Chờ bổ sung")),
    ("received", N_("Tiếp nhận trong kỳ"), N_("Tiếp nhận trong kỳ")),
    ("to_settle", N_("Tổng số phải giải quyết"), N_("Tổng số phải giải quyết")),
    ("settled_on_time", N_("Đã giải quyết"), N_("Đúng hạn")),
    ("settled_late", N_("Đã giải quyết"), N_("Quá hạn")),
    ("on_time_pct", N_("Đã giải quyết"), N_("Tỷ lệ đúng hạn")),
    ("in_progress_on_time", N_("Đang giải quyết"), N_("Trong hạn")),
    ("in_progress_late", N_("Đang giải quyết"), N_("Quá hạn")),
    ("waiting_supplement", N_("Đang chờ"), N_("Chờ bổ sung")),
    ("waiting_fee", N_("Đang chờ"), N_("Chờ nộp phí")),
    ("waiting_citizen", N_("Đang chờ"), N_("Chờ công dân")),
    ("waiting_other", N_("Đang chờ"), N_("Chờ lý do khác")),
    ("returned", N_("Trả lại"), N_("Trả lại")),
)
#: what each column counts, said on the page under the table (the SQL conditions are in docs/statistics.md)
COLUMN_DEFINITIONS = (
    ("carried_on_time", N_("Hồ sơ tiếp nhận trước kỳ, chưa giải quyết xong lúc đầu kỳ và còn trong hạn lúc đó.")),
    ("carried_late", N_("Hồ sơ tiếp nhận trước kỳ, chưa giải quyết xong lúc đầu kỳ và đã quá hạn lúc đó.")),
    ("carried_waiting", N_("Hồ sơ tiếp nhận trước kỳ đang dừng tính thời gian chờ bổ sung lúc đầu kỳ.")),
    ("received", N_("Hồ sơ được cơ quan tiếp nhận chính thức trong kỳ (không tính hồ sơ bưu chính nộp mà chưa "
                    "tiếp nhận).")),
    ("to_settle", N_("Kỳ trước chuyển sang cộng tiếp nhận trong kỳ.")),
    ("settled_on_time", N_("Có kết quả trong kỳ, không muộn hơn hạn giải quyết (thư xin lỗi không dời hạn này).")),
    ("settled_late", N_("Có kết quả trong kỳ, muộn hơn hạn giải quyết.")),
    ("on_time_pct", N_("Đúng hạn chia cho tổng số đã giải quyết trong kỳ.")),
    ("in_progress_on_time", N_("Cuối kỳ chưa có kết quả và còn trong hạn.")),
    ("in_progress_late", N_("Cuối kỳ chưa có kết quả và đã quá hạn.")),
    ("waiting_supplement", N_("Cuối kỳ đang chờ công dân bổ sung hồ sơ (dừng tính thời gian).")),
    ("waiting_fee", N_("Cuối kỳ đang chờ nộp phí; chưa có dữ liệu.")),
    ("waiting_citizen", N_("Cuối kỳ đang chờ công dân vì lý do khác; chưa có dữ liệu.")),
    ("waiting_other", N_("Cuối kỳ đang chờ vì lý do khác; chưa có dữ liệu.")),
    ("returned", N_("Hồ sơ bị từ chối giải quyết hoặc rút sau khi đã tiếp nhận, trong kỳ.")),
)
COUNT_KEYS = tuple(key for key, _g, _c in COLUMNS if key != "on_time_pct")
#: columns the gateway keeps no data for yet: always 0, shown marked "chưa có dữ liệu" (docs/statistics.md)
NO_DATA_KEYS = ("waiting_fee", "waiting_citizen", "waiting_other")
#: the column once called ``supplement_requested``; the API still answers it under that name too
ALIASES = {"supplement_requested": "waiting_supplement"}
CARRIED_KEYS = ("carried_on_time", "carried_late", "carried_waiting")
OUTCOME_KEYS = ("settled_on_time", "settled_late", "in_progress_on_time", "in_progress_late", "waiting_supplement",
                "waiting_fee", "waiting_citizen", "waiting_other", "returned")

#: (key, header) of the second table, "Tiếp nhận qua bưu chính" (not seed columns; plan 1.1)
RECEPTION_COLUMNS = (
    ("submitted", N_("Bưu chính nộp")),
    ("accepted", N_("Đã tiếp nhận")),
    ("sent_back", N_("Yêu cầu bổ sung, hoàn thiện")),
    ("refused", N_("Từ chối tiếp nhận")),
    ("awaiting_acceptance", N_("Chờ tiếp nhận cuối kỳ")),
    ("median_working_hours", N_("Thời gian chờ tiếp nhận (trung vị, giờ làm việc)")),
    ("apologies_processing_agency", N_("Xin lỗi, hẹn lại: cơ quan giải quyết")),
    ("apologies_cooperating_agency", N_("Xin lỗi, hẹn lại: cơ quan phối hợp")),
    ("apologies_one_stop_office", N_("Xin lỗi, hẹn lại: Bộ phận Một cửa")),
    ("reception_error_supplements", N_("Bổ sung lần 2 do lỗi tiếp nhận")),
)
#: the counts of the second table that come from letters and requests issued in the period (Điều 9.3.d, 9.4.b,
#: 10.2.đ, 10.2.g), over every channel: an apology is counted where its dossier belongs, by the body that wrote it
LETTER_KEYS = ("apologies_processing_agency", "apologies_cooperating_agency", "apologies_one_stop_office",
               "reception_error_supplements")
RECEPTION_COUNT_KEYS = tuple(key for key, _h in RECEPTION_COLUMNS if key != "median_working_hours")


@dataclass
class AgencyRow:
    agency_code: str
    agency_name: str
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def on_time_pct(self) -> float | None:
        """Settled on time over settled, in percent to one decimal; None when nothing was settled."""
        settled = self.counts["settled_on_time"] + self.counts["settled_late"]
        if not settled:
            return None
        return round(100 * self.counts["settled_on_time"] / settled, 1)

    def as_dict(self) -> dict:
        return {"agency_code": self.agency_code, "agency_name": self.agency_name, **self.counts,
                "on_time_pct": self.on_time_pct}


@dataclass
class ReceptionRow:
    """One agency's line of "Tiếp nhận qua bưu chính": what the post submitted and what became of it."""

    agency_code: str
    agency_name: str
    counts: dict[str, int] = field(default_factory=dict)
    #: median working time from the post's submission to the official receipt, in hours; None if none received
    median_working_hours: float | None = None


@dataclass
class Report:
    period: Period
    #: lateness of dossiers still open is judged at this moment: the period's end, or now if sooner
    cutoff: datetime
    rows: list[AgencyRow]
    #: the second table, one line per agency of ``rows``
    reception: list[ReceptionRow] = field(default_factory=list)
    #: the median of the second table's total row, over every agency's dossiers (not a median of medians)
    reception_median_hours: float | None = None

    @property
    def total(self) -> AgencyRow:
        total = AgencyRow("", N_("Tổng cộng"), {key: 0 for key in COUNT_KEYS})
        for row in self.rows:
            for key in COUNT_KEYS:
                total.counts[key] += row.counts[key]
        return total

    @property
    def reception_total(self) -> ReceptionRow:
        """The sums of the second table; its median is over every agency's dossiers, not a median of medians."""
        total = ReceptionRow("", N_("Tổng cộng"), {key: 0 for key in RECEPTION_COUNT_KEYS},
                             median_working_hours=self.reception_median_hours)
        for row in self.reception:
            for key in RECEPTION_COUNT_KEYS:
                total.counts[key] += row.counts[key]
        return total


# --- input --------------------------------------------------------------------------------------


def parse_period(raw_from, raw_to, *, today: date) -> Period:
    """The period asked for; absent bounds default to 1 January of this year .. today. Every fault named."""
    errors: list[FieldError] = []
    first = parse_day(raw_from, "from", errors) if raw_from not in (None, "") else date(today.year, 1, 1)
    last = parse_day(raw_to, "to", errors) if raw_to not in (None, "") else today
    if first is not None and first > today:
        errors.append(FieldError("from", N_("Ngày bắt đầu không được sau hôm nay.")))
    if last is not None and last > today:
        errors.append(FieldError("to", N_("Ngày kết thúc không được sau hôm nay (%(today)s)."),
                                 {"today": today.strftime("%d/%m/%Y")}))
    errors += bounds_faults(first, last, max_days=MAX_DAYS, too_long=N_("Mỗi lần xem tối đa 5 năm."))
    if errors:
        raise InvalidInput(N_("Kỳ thống kê không hợp lệ."), field_errors=errors)
    return Period(first, last)


def agencies_in_scope(session: Session, viewer: User | None, agency_code) -> list[Agency]:
    """The agencies ``viewer`` may see the statistics of, narrowed to ``agency_code`` if given.

    Agency staff see only their own agency; asking for another is Forbidden. Operators see all.
    """
    readers = (Role.agency_staff, Role.agency_admin, Role.operator)
    if viewer is None or not viewer.is_active or viewer.role not in readers:
        raise Forbidden(N_("Tài khoản của bạn không xem được thống kê."))
    code = agency_code.strip() if isinstance(agency_code, str) else ""
    if (agency_code is not None and not isinstance(agency_code, str)) or "\x00" in code:
        raise InvalidInput.on_field("agency", N_("Mã cơ quan không hợp lệ."))
    if viewer.role != Role.operator:
        own = session.get(Agency, viewer.agency_id)
        if code and code != own.code:
            raise Forbidden(N_("Bạn chỉ xem được thống kê của cơ quan mình."))
        return [own]
    if code:
        agency = session.scalar(select(Agency).where(Agency.code == code))
        if agency is None:
            raise InvalidInput.on_field("agency", N_("Không tìm thấy cơ quan %(code)s."), code=code[:20])
        return [agency]
    return list(session.scalars(select(Agency).order_by(Agency.name)))


# --- the query ----------------------------------------------------------------------------------


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _awaiting_supplement_at(moment, name: str):
    """Dossiers with a supplement request made before ``moment`` and not supplied before it: the clock
    was stopped at ``moment`` (Điều 9.3.b)."""
    return (
        select(SupplementRequest.dossier_id)
        .where(SupplementRequest.requested_at < moment,
               or_(SupplementRequest.supplied_at.is_(None), SupplementRequest.supplied_at >= moment))
        .group_by(SupplementRequest.dossier_id)
        .subquery(name)
    )


def _due_in_force_from(moment, name: str):
    """Per dossier, the due time its first supplement request made at or after ``moment`` replaced
    (``previous_due_at``): that was the due time in force at ``moment``. ``dossiers.due_at`` may since have been
    moved by the supplement's arrival (Điều 9.3.b); a dossier with no such request still has it."""
    ranked = (
        select(SupplementRequest.dossier_id, SupplementRequest.previous_due_at,
               func.row_number().over(partition_by=SupplementRequest.dossier_id,
                                      order_by=(SupplementRequest.requested_at, SupplementRequest.id)).label("rank"))
        .where(SupplementRequest.requested_at >= moment)
        .subquery(f"{name}_ranked")
    )
    return select(ranked.c.dossier_id, ranked.c.previous_due_at).where(ranked.c.rank == 1).subquery(name)


def figures_query(start: datetime, end: datetime, cutoff: datetime, agency_ids: list[int] | None):
    """SELECT agency_id and every count column computed in SQL, one row per agency with dossiers in the
    period. The columns of NO_DATA_KEYS are not in it (always 0)."""
    d = Dossier
    waiting_at_start = _awaiting_supplement_at(start, "waiting_at_start")
    waiting_at_end = _awaiting_supplement_at(end, "waiting_at_end")
    due_from_start = _due_in_force_from(start, "due_at_start")
    due_from_cutoff = _due_in_force_from(cutoff, "due_at_cutoff")

    def open_at(moment):
        return and_(d.received_at < moment, or_(d.settled_at.is_(None), d.settled_at >= moment),
                    or_(d.given_back_at.is_(None), d.given_back_at >= moment))

    carried = open_at(start)
    open_at_end = open_at(end)
    stopped_at_start = waiting_at_start.c.dossier_id.is_not(None)
    stopped_at_end = waiting_at_end.c.dossier_id.is_not(None)
    due_at_start = func.coalesce(due_from_start.c.previous_due_at, d.due_at)
    due_at_cutoff = func.coalesce(due_from_cutoff.c.previous_due_at, d.due_at)
    settled_in = and_(d.settled_at >= start, d.settled_at < end)
    in_progress = and_(open_at_end, ~stopped_at_end)
    query = (
        select(
            d.agency_id,
            _count(and_(carried, ~stopped_at_start, due_at_start >= start)).label("carried_on_time"),
            _count(and_(carried, ~stopped_at_start, due_at_start < start)).label("carried_late"),
            _count(and_(carried, stopped_at_start)).label("carried_waiting"),
            _count(d.received_at >= start).label("received"),
            func.count().label("to_settle"),
            _count(and_(settled_in, d.settled_at <= d.due_at)).label("settled_on_time"),
            _count(and_(settled_in, d.settled_at > d.due_at)).label("settled_late"),
            _count(and_(in_progress, due_at_cutoff >= cutoff)).label("in_progress_on_time"),
            _count(and_(in_progress, due_at_cutoff < cutoff)).label("in_progress_late"),
            _count(and_(open_at_end, stopped_at_end)).label("waiting_supplement"),
            _count(and_(d.given_back_at >= start, d.given_back_at < end)).label("returned"),
        )
        .select_from(d)
        .outerjoin(waiting_at_start, waiting_at_start.c.dossier_id == d.id)
        .outerjoin(waiting_at_end, waiting_at_end.c.dossier_id == d.id)
        .outerjoin(due_from_start, due_from_start.c.dossier_id == d.id)
        .outerjoin(due_from_cutoff, due_from_cutoff.c.dossier_id == d.id)
        # Only what the period must account for: received (Điều 12.1.d) and open at its start, or received
        # during it. A submission never received (awaiting acceptance, sent back, refused) has no receipt time.
        .where(d.received_at.is_not(None), d.received_at < end,
               or_(d.settled_at.is_(None), d.settled_at >= start),
               or_(d.given_back_at.is_(None), d.given_back_at >= start))
        .group_by(d.agency_id)
    )
    if agency_ids is not None:
        query = query.where(d.agency_id.in_(agency_ids))
    return query


def _changed_to_in(status: DossierStatus, start: datetime, end: datetime, name: str):
    """The dossiers moved to ``status`` at least once in [start, end)."""
    c = DossierStatusChange
    return (
        select(c.dossier_id)
        .where(c.to_status == status, c.at >= start, c.at < end)
        .group_by(c.dossier_id)
        .subquery(name)
    )


def reception_query(start: datetime, end: datetime, agency_ids: list[int] | None):
    """SELECT agency_id and the counts of "Tiếp nhận qua bưu chính" for the postal channel (Điều 21.1, 12.1)."""
    d, c = Dossier, DossierStatusChange
    sent_back = _changed_to_in(DossierStatus.completion_requested, start, end, "sent_back")
    refused = _changed_to_in(DossierStatus.refused, start, end, "refused")
    ranked = (
        select(c.dossier_id, c.to_status,
               func.row_number().over(partition_by=c.dossier_id, order_by=(c.at.desc(), c.id.desc())).label("rank"))
        .where(c.at < end)
        .subquery("ranked_changes")
    )
    status_at_end = select(ranked.c.dossier_id, ranked.c.to_status).where(ranked.c.rank == 1).subquery("status_at_end")
    query = (
        select(
            d.agency_id,
            _count(d.submitted_at >= start).label("submitted"),
            _count(and_(d.received_at >= start, d.received_at < end)).label("accepted"),
            _count(sent_back.c.dossier_id.is_not(None)).label("sent_back"),
            _count(refused.c.dossier_id.is_not(None)).label("refused"),
            _count(and_(or_(d.received_at.is_(None), d.received_at >= end),
                        or_(status_at_end.c.to_status.is_(None),
                            status_at_end.c.to_status == DossierStatus.submitted))).label("awaiting_acceptance"),
        )
        .select_from(d)
        .outerjoin(sent_back, sent_back.c.dossier_id == d.id)
        .outerjoin(refused, refused.c.dossier_id == d.id)
        .outerjoin(status_at_end, status_at_end.c.dossier_id == d.id)
        .where(d.channel == Channel.postal, d.submitted_at < end,
               or_(d.received_at.is_(None), d.received_at >= start))
        .group_by(d.agency_id)
    )
    if agency_ids is not None:
        query = query.where(d.agency_id.in_(agency_ids))
    return query


def letters_query(start: datetime, end: datetime, agency_ids: list[int] | None):
    """SELECT the dossier's agency_id and the counts of LETTER_KEYS issued in [start, end)."""
    d, letter, request = Dossier, ApologyLetter, SupplementRequest
    apologies = (
        select(d.agency_id.label("agency_id"), *[
            _count(letter.issuer_kind == kind).label(f"apologies_{kind}")
            for kind in ("processing_agency", "cooperating_agency", "one_stop_office")
        ], literal(0).label("reception_error_supplements"))
        .select_from(letter).join(d, d.id == letter.dossier_id)
        .where(letter.issued_at >= start, letter.issued_at < end)
        .group_by(d.agency_id)
    )
    errors = (
        select(d.agency_id.label("agency_id"), literal(0), literal(0), literal(0),
               func.count().label("reception_error_supplements"))
        .select_from(request).join(d, d.id == request.dossier_id)
        .where(request.cause == "reception_error", request.requested_at >= start, request.requested_at < end)
        .group_by(d.agency_id)
    )
    if agency_ids is not None:
        apologies = apologies.where(d.agency_id.in_(agency_ids))
        errors = errors.where(d.agency_id.in_(agency_ids))
    both = union_all(apologies, errors).subquery("letters")
    return select(both.c.agency_id, *[func.sum(both.c[key]).label(key) for key in LETTER_KEYS]).group_by(
        both.c.agency_id)


def _median(values: list[float]) -> float | None:
    """The middle value (the mean of the two middle ones for an even count), to one decimal; None if empty.
    Written out rather than imported: bench/statistics.py, run as a script, shadows the standard module."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    value = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return round(value, 1)


class _WorkingClock:
    """Working seconds on one agency's calendar counted from the first day of a span, for many instants at once:
    ``seconds(b) - seconds(a)`` is ``WorkingCalendar.working_time_between(a, b)`` for a < b, in constant time per
    instant (the days' running totals are built once), where calling the calendar per dossier would walk the days
    of each interval. Instants are UTC epoch seconds; Vietnam keeps UTC+7 all year, so a local day is a fixed
    span of them."""

    def __init__(self, working_calendar: calendar.WorkingCalendar, utc_offset: int, first: float, last: float):
        self.offset = utc_offset
        self.periods = [(start.hour * 3600 + start.minute * 60 + start.second,
                         end.hour * 3600 + end.minute * 60 + end.second) for start, end in working_calendar.periods]
        day_length = sum(end - start for start, end in self.periods)
        self.first = self._ordinal(first)
        #: per local day from ``first``: (working seconds of the days before it, is a working day)
        self.days: list[tuple[int, bool]] = []
        total = 0
        for ordinal in range(self.first, self._ordinal(last) + 1):
            working = working_calendar.is_working_day(date.fromordinal(ordinal))
            self.days.append((total, working))
            total += day_length if working else 0

    def _ordinal(self, epoch: float) -> int:
        return _EPOCH_ORDINAL + int((epoch + self.offset) // 86400)

    def seconds(self, epoch: float) -> float:
        local = epoch + self.offset
        day = local // 86400
        total, working = self.days[int(day) + _EPOCH_ORDINAL - self.first]
        if working:
            clock = local - day * 86400
            for start, end in self.periods:
                if clock <= start:
                    break
                total += (clock if clock < end else end) - start
        return total


#: date(1970, 1, 1).toordinal()
_EPOCH_ORDINAL = 719163


def _waiting_hours(session: Session, start: datetime, end: datetime, agencies: list[Agency]) -> dict[int, list[float]]:
    """Per agency, the working hours from the post's submission to the official receipt of each postal dossier
    received in the period, on the agency's own working calendar (Điều 12.1.d), one value per dossier."""
    hours: dict[int, list[float]] = {a.id: [] for a in agencies}
    rows = session.execute(
        select(Dossier.agency_id, cast(extract("epoch", Dossier.submitted_at), Float),
               cast(extract("epoch", Dossier.received_at), Float))
        .where(Dossier.channel == Channel.postal, Dossier.received_at >= start, Dossier.received_at < end,
               Dossier.agency_id.in_(list(hours)))
    ).all()
    if not rows:
        return hours
    offset = int(to_local(start).utcoffset().total_seconds())
    first, last = min(row[1] for row in rows), max(row[2] for row in rows)
    by_periods: dict[tuple, _WorkingClock] = {}
    clocks = {}
    for agency in agencies:
        periods = calendar.periods_from_config(agency.working_periods)
        if periods not in by_periods:
            by_periods[periods] = _WorkingClock(calendar.active_calendar(periods), offset, first, last)
        clocks[agency.id] = by_periods[periods]
    for agency_id, submitted_at, received_at in rows:
        clock = clocks[agency_id]
        spent = clock.seconds(received_at) - clock.seconds(submitted_at)
        hours[agency_id].append(max(spent, 0) / 3600)
    return hours


def _medians_in_python(session: Session, start: datetime, end: datetime,
                       agencies: list[Agency]) -> tuple[dict[int, float | None], float | None]:
    """Per agency and over all of them, the median of ``_waiting_hours`` (Điều 12.1.d)."""
    hours = _waiting_hours(session, start, end, agencies)
    return ({agency_id: _median(values) for agency_id, values in hours.items()},
            _median([value for values in hours.values() for value in values]))


#: how many days before the period's first day the SQL path's working-day table reaches back for submissions;
#: a dossier submitted earlier than that sends the period to the Python path
_DAYS_BEFORE = 120


def _medians_in_sql(session: Session, start: datetime, end: datetime,
                    agencies: list[Agency]) -> tuple[dict[int, float | None], float | None] | None:
    """The same medians as ``_medians_in_python``, computed by PostgreSQL (Điều 12.1.d): the per-day running totals
    of working seconds of each calendar (the official calendar with its holidays and make-up working days, the
    operator's overrides and the agency's periods) go in as arrays indexed by each dossier's local day, the seconds
    within a day come from a CASE over the working periods, in the same floating-point order as ``_WorkingClock``,
    and each median is the mean of the two middle values (percentile_disc), as ``_median`` takes them.
    None when a dossier was submitted before the days sent, for the caller to take the Python path."""
    offset = int(to_local(start).utcoffset().total_seconds())
    first_day = to_local(start).date().toordinal() - _DAYS_BEFORE
    last_day = to_local(end).date().toordinal()
    calendars: dict[tuple, int] = {}
    agency_calendar = {}
    for agency in agencies:
        periods = calendar.periods_from_config(agency.working_periods)
        agency_calendar[agency.id] = calendars.setdefault(periods, len(calendars))
    width = max(len(periods) for periods in calendars)
    day_total, day_working = [], []
    bounds: list[list[int]] = [[] for _ in range(2 * width)]
    for periods, number in calendars.items():
        working_calendar = calendar.active_calendar(periods)
        spans = [(a.hour * 3600 + a.minute * 60 + a.second, b.hour * 3600 + b.minute * 60 + b.second)
                 for a, b in working_calendar.periods]
        spans += [(0, 0)] * (width - len(spans))  # empty periods add nothing
        for index, (a, b) in enumerate(spans):
            bounds[2 * index].append(a)
            bounds[2 * index + 1].append(b)
        length = sum(b - a for a, b in spans)
        total = 0
        for ordinal in range(first_day, last_day + 1):
            working = working_calendar.is_working_day(date.fromordinal(ordinal))
            day_total.append(total)
            day_working.append(working)
            total += length if working else 0

    def seconds(day: str, within: str) -> str:
        # the running total, then period 1, period 2 ... added left to right as _WorkingClock.seconds adds them
        total = (f"CAST((CAST(:day_total AS bigint[]))[{day}] - (CAST(:day_total AS bigint[]))[i.fk] AS float8)")
        added = total
        for index in range(width):
            added = (f"({added} + GREATEST(LEAST({within}, (CAST(:e{index} AS float8[]))[i.cal + 1])"
                     f" - (CAST(:s{index} AS float8[]))[i.cal + 1], 0))")
        return f"CASE WHEN (CAST(:day_working AS boolean[]))[{day}] THEN {added} ELSE {total} END"

    statement = text(f"""
        WITH scope AS (
            SELECT * FROM unnest(CAST(:agency_id AS int[]), CAST(:agency_cal AS int[])) AS t(agency_id, cal)
        ), overall AS (
            -- the clock's first day, as _WorkingClock takes it (the earliest submission's local day), and how many
            SELECT CAST(floor(min(date_part('epoch', e.submitted_at) + :offset) / 86400) AS int) - :base AS first,
                   count(*) AS n
            FROM dossiers e
            WHERE e.channel = 'postal' AND e.received_at >= :start AND e.received_at < :end
              AND e.agency_id = ANY(CAST(:agency_id AS int[]))
        ), instants AS (
            SELECT s.agency_id, s.cal,
                   date_part('epoch', d.submitted_at) + :offset AS sl,
                   date_part('epoch', d.received_at) + :offset AS rl
            FROM dossiers d JOIN scope s ON s.agency_id = d.agency_id
            WHERE d.channel = 'postal' AND d.received_at >= :start AND d.received_at < :end
        ), split AS (
            -- a day's index in the arrays: calendar * :days + the day's number from the arrays' first day, from 1
            SELECT agency_id, cal, cal * :days + CAST(floor(sl / 86400) AS int) - :base + 1 AS sk,
                   sl - floor(sl / 86400) * 86400 AS sw,
                   cal * :days + CAST(floor(rl / 86400) AS int) - :base + 1 AS rk,
                   rl - floor(rl / 86400) * 86400 AS rw,
                   cal * :days + (SELECT first FROM overall) + 1 AS fk,
                   CAST(floor(sl / 86400) AS int) - :base AS sd, CAST(floor(rl / 86400) AS int) - :base AS rd,
                   (SELECT first FROM overall) AS fd
            FROM instants
        ), hours AS (
            SELECT i.agency_id, i.fd < 0 OR i.sd < 0 OR i.rd < 0 OR i.sd >= :days OR i.rd >= :days AS uncovered,
                   GREATEST(({seconds("i.rk", "i.rw")}) - ({seconds("i.sk", "i.sw")}), 0) / CAST(3600 AS float8) AS h
            FROM split i
        )
        -- one sort per group for both middle values: percentile_disc(f) is the value at rank ceil(f * n), so
        -- 0.5 gives the lower middle and 0.5 + 0.25 / N, for any N >= n, the upper one (the middle one if n is odd)
        SELECT agency_id, count(*) FILTER (WHERE uncovered) AS uncovered,
               percentile_disc(ARRAY[0.5, 0.5 + 0.25 / (SELECT greatest(n, 1) FROM overall)])
                   WITHIN GROUP (ORDER BY h) AS middle
        FROM hours GROUP BY GROUPING SETS ((agency_id), ())
    """)
    parameters = {"day_total": day_total, "day_working": day_working, "days": last_day - first_day + 1,
                  "base": first_day - _EPOCH_ORDINAL, "agency_id": list(agency_calendar),
                  "agency_cal": list(agency_calendar.values()), "offset": offset, "start": start, "end": end}
    for index, values in enumerate(bounds):
        parameters[f"{'se'[index % 2]}{index // 2}"] = values
    medians: dict[int, float | None] = {agency.id: None for agency in agencies}
    overall = None
    for agency_id, uncovered, middle in session.execute(statement, parameters):
        if uncovered:
            return None
        low, high = middle if middle is not None else (None, None)
        value = None if low is None else round(low if low == high else (low + high) / 2, 1)
        if agency_id is None:
            overall = value
        else:
            medians[agency_id] = value
    return medians, overall


def _medians(session: Session, start: datetime, end: datetime,
             agencies: list[Agency]) -> tuple[dict[int, float | None], float | None]:
    """The median working hours per agency and over all of them: in SQL on PostgreSQL, in Python elsewhere."""
    if not agencies:
        return {}, None
    if session.get_bind().dialect.name == "postgresql":
        found = _medians_in_sql(session, start, end, agencies)
        if found is not None:
            return found
    return _medians_in_python(session, start, end, agencies)


def agency_statistics(
    session: Session, *, viewer: User | None, agency_code=None, date_from=None, date_to=None, now: datetime,
) -> Report:
    """The seed-001 table and the table "Tiếp nhận qua bưu chính" for the agencies ``viewer`` may see, over
    whole local days ``date_from``..``date_to``."""
    period = parse_period(date_from, date_to, today=to_local(now).date())
    agencies = agencies_in_scope(session, viewer, agency_code)
    cutoff = min(period.end, now)
    ids = [a.id for a in agencies]
    everyone = viewer.role == Role.operator and not agency_code
    scope = None if everyone else ids
    found = {row.agency_id: row for row in session.execute(figures_query(period.start, period.end, cutoff, scope))}
    reception = {row.agency_id: row for row in session.execute(reception_query(period.start, period.end, scope))}
    letters = {row.agency_id: row for row in session.execute(letters_query(period.start, period.end, scope))}
    medians, overall_median = _medians(session, period.start, period.end, agencies)
    rows, reception_rows = [], []
    for agency in agencies:
        figures = found.get(agency.id)
        counts = {key: int(getattr(figures, key)) if figures is not None and key not in NO_DATA_KEYS else 0
                  for key in COUNT_KEYS}
        rows.append(AgencyRow(agency.code, agency.name, counts))
        submitted, written = reception.get(agency.id), letters.get(agency.id)
        reception_rows.append(ReceptionRow(
            agency.code, agency.name,
            {key: int(getattr(written if key in LETTER_KEYS else submitted, key) or 0)
             if (written if key in LETTER_KEYS else submitted) is not None else 0 for key in RECEPTION_COUNT_KEYS},
            median_working_hours=medians[agency.id],
        ))
    return Report(period, cutoff, rows, reception_rows,
                  reception_median_hours=overall_median)
