"""Statistics of dossier handling per agency and period (R-21), with exactly the columns of seed 001.

One set-based query (one pass over the dossiers of the period, grouped by agency); how each column
is computed is written down in docs/statistics.md and in COLUMNS below. No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from postal_gateway.accounts.models import Role, User
from postal_gateway.catalogue.models import Agency
from postal_gateway.core.domain import N_, FieldError, Forbidden, InvalidInput
from postal_gateway.core.formatting import to_local
from postal_gateway.core.periods import Period, bounds_faults, parse_day
from postal_gateway.dossiers.models import Dossier
from postal_gateway.workbench.models import SupplementRequest

#: the earliest date a period may start
#: the longest period asked for at once
MAX_DAYS = 5 * 366

#: (key, group header, column header): the seed's table, in its order
COLUMNS = (
    ("carried_on_time", N_("Kỳ trước chuyển sang"), N_("Trong hạn")),
    ("carried_late", N_("Kỳ trước chuyển sang"), N_("Quá hạn")),
    ("received", N_("Tiếp nhận trong kỳ"), N_("Tiếp nhận trong kỳ")),
    ("to_settle", N_("Tổng số phải giải quyết"), N_("Tổng số phải giải quyết")),
    ("settled_on_time", N_("Đã giải quyết"), N_("Đúng hạn")),
    ("settled_late", N_("Đã giải quyết"), N_("Quá hạn")),
    ("on_time_pct", N_("Đã giải quyết"), N_("Tỷ lệ đúng hạn")),
    ("in_progress_on_time", N_("Đang giải quyết"), N_("Trong hạn")),
    ("in_progress_late", N_("Đang giải quyết"), N_("Quá hạn")),
    ("supplement_requested", N_("Chờ bổ sung"), N_("Chờ bổ sung")),
    ("returned", N_("Trả lại"), N_("Trả lại")),
)
COUNT_KEYS = tuple(key for key, _g, _c in COLUMNS if key != "on_time_pct")


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
class Report:
    period: Period
    #: lateness of dossiers still open is judged at this moment: the period's end, or now if sooner
    cutoff: datetime
    rows: list[AgencyRow]

    @property
    def total(self) -> AgencyRow:
        total = AgencyRow("", N_("Tổng cộng"), {key: 0 for key in COUNT_KEYS})
        for row in self.rows:
            for key in COUNT_KEYS:
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
    if viewer is None or not viewer.is_active or viewer.role not in (Role.agency_staff, Role.agency_admin, Role.operator):
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


def figures_query(start: datetime, end: datetime, cutoff: datetime, agency_ids: list[int] | None):
    """SELECT agency_id and every count column, one row per agency with dossiers in the period."""
    d = Dossier
    pending = (
        select(SupplementRequest.dossier_id)
        .where(SupplementRequest.requested_at < end,
               or_(SupplementRequest.supplied_at.is_(None), SupplementRequest.supplied_at >= end))
        .group_by(SupplementRequest.dossier_id)
        .subquery("pending_supplement")
    )

    def open_at(moment):
        return and_(d.received_at < moment, or_(d.settled_at.is_(None), d.settled_at >= moment),
                    or_(d.given_back_at.is_(None), d.given_back_at >= moment))

    carried = open_at(start)
    open_at_end = open_at(end)
    waiting = pending.c.dossier_id.is_not(None)
    settled_in = and_(d.settled_at >= start, d.settled_at < end)
    query = (
        select(
            d.agency_id,
            _count(and_(carried, d.due_at >= start)).label("carried_on_time"),
            _count(and_(carried, d.due_at < start)).label("carried_late"),
            _count(d.received_at >= start).label("received"),
            func.count().label("to_settle"),
            _count(and_(settled_in, d.settled_at <= d.due_at)).label("settled_on_time"),
            _count(and_(settled_in, d.settled_at > d.due_at)).label("settled_late"),
            _count(and_(open_at_end, ~waiting, d.due_at >= cutoff)).label("in_progress_on_time"),
            _count(and_(open_at_end, ~waiting, d.due_at < cutoff)).label("in_progress_late"),
            _count(and_(open_at_end, waiting)).label("supplement_requested"),
            _count(and_(d.given_back_at >= start, d.given_back_at < end)).label("returned"),
        )
        .select_from(d)
        .outerjoin(pending, pending.c.dossier_id == d.id)
        # Only what the period must account for: open at its start, or received during it.
        .where(d.received_at < end,
               or_(d.settled_at.is_(None), d.settled_at >= start),
               or_(d.given_back_at.is_(None), d.given_back_at >= start))
        .group_by(d.agency_id)
    )
    if agency_ids is not None:
        query = query.where(d.agency_id.in_(agency_ids))
    return query


def agency_statistics(
    session: Session, *, viewer: User | None, agency_code=None, date_from=None, date_to=None, now: datetime,
) -> Report:
    """The seed-001 table for the agencies ``viewer`` may see, over whole local days ``date_from``..``date_to``."""
    period = parse_period(date_from, date_to, today=to_local(now).date())
    agencies = agencies_in_scope(session, viewer, agency_code)
    cutoff = min(period.end, now)
    ids = [a.id for a in agencies]
    everyone = viewer.role == Role.operator and not agency_code
    found = {
        row.agency_id: row
        for row in session.execute(figures_query(period.start, period.end, cutoff, None if everyone else ids))
    }
    rows = []
    for agency in agencies:
        figures = found.get(agency.id)
        rows.append(AgencyRow(agency.code, agency.name,
                              {key: int(getattr(figures, key)) if figures is not None else 0 for key in COUNT_KEYS}))
    return Report(period, cutoff, rows)
