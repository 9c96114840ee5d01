"""The post managers' view: legs by SLA state, on-time share per post office and per week, exports."""
from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from markupsafe import Markup, escape
from openpyxl import Workbook
from sqlalchemy import Float, Interval, String, and_, case, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement

from postal_gateway.catalogue.models import PostOffice
from postal_gateway.core.db import UTCDateTime
from postal_gateway.core.formatting import to_local
from postal_gateway.core.spreadsheets import csv_text, safe_row
from postal_gateway.dossiers.models import Dossier
from tracking.models import ShipmentLeg
from tracking.sla import SLA_LABELS, SlaState, clock_state
from tracking.vocabulary import LEG_LABELS, STATE_LABELS

#: the view covers open legs and legs finished this many weeks back
WEEKS = 12
#: rows on each page of the managers' view (every page reachable; the export has them all)
PAGE_ROWS = 200


#: clock states from the least to the most urgent
_SEVERITY = (SlaState.on_time, SlaState.at_risk, SlaState.breached)


@dataclass
class LegRow:
    code: str
    kind: str
    state: str
    post_office: str
    started_at: datetime | None
    due_at: datetime | None
    completed_at: datetime | None
    sla: SlaState | None
    due_basis: str
    #: return leg: the post's 24-hour commitment (Điều 25.2), a clock of its own beside the contract's zone time
    commitment_due_at: datetime | None = None
    commitment_sla: SlaState | None = None

    @property
    def urgency(self) -> SlaState | None:
        """The worse of the leg's clocks: an open return leg past its 24-hour commitment (Điều 25.2) needs the
        manager even while the contract's zone time still runs."""
        states = [state for state in (self.sla, self.commitment_sla) if state is not None]
        return max(states, key=_SEVERITY.index) if states else None


@dataclass
class WeekShare:
    office: str
    week: str  # e.g. "2026-W47"
    done: int
    on_time: int

    @property
    def percent(self) -> float:
        return 100.0 * self.on_time / self.done if self.done else 0.0


@dataclass
class Overview:
    counts: dict = field(default_factory=dict)
    rows: list = field(default_factory=list)
    weeks: list = field(default_factory=list)
    offices: list = field(default_factory=list)
    #: the rows of the state asked for (all open legs without one), over ``pages`` pages of PAGE_ROWS
    total: int = 0
    page: int = 1
    pages: int = 1


class _epoch(ColumnElement):
    """Seconds since 1970 of a UTC datetime column, on PostgreSQL and on SQLite (``make run``)."""

    type = Float()
    inherit_cache = True

    def __init__(self, column):
        self.column = column


@compiles(_epoch)
def _epoch_default(element, compiler, **kw):
    return f"EXTRACT(EPOCH FROM {compiler.process(element.column, **kw)})"


@compiles(_epoch, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    return f"((julianday({compiler.process(element.column, **kw)}) - 2440587.5) * 86400.0)"


class _local_date(ColumnElement):
    """The calendar day in Vietnam (UTC+7 all year, no daylight saving) of a UTC datetime column (a date on
    PostgreSQL, ISO text on SQLite)."""

    type = String()
    inherit_cache = True

    def __init__(self, column):
        self.column = column


@compiles(_local_date)
def _local_date_default(element, compiler, **kw):
    return f"CAST(({compiler.process(element.column, **kw)} AT TIME ZONE 'Asia/Ho_Chi_Minh') AS DATE)"


@compiles(_local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.column, **kw)}, '+7 hours')"


#: severity ranks, most urgent first (the order of the page), for a clock and for the worse of a leg's two
_RANK = {SlaState.breached: 0, SlaState.at_risk: 1, SlaState.on_time: 2}
_NO_CLOCK = 3


def _clock_rank(due, *, now: datetime, at_risk_share: float, intervals: bool):
    """tracking.sla.clock_state of an open leg's clock, in SQL, as a rank: breached past ``due``; at risk once
    ``at_risk_share`` of the time allowed is used (or none was allowed); on time before; no clock without a start
    or a due time. ``intervals``: the database multiplies time intervals (PostgreSQL), else epoch seconds."""
    start = ShipmentLeg.started_at
    moment = literal(now, UTCDateTime())
    if intervals:
        allowed = (due - start).self_group().op("*", return_type=Interval())(literal(at_risk_share, Float))
        used_enough = start + allowed <= moment
    else:
        now_epoch = literal(now.timestamp(), Float)
        used_enough = now_epoch - _epoch(start) >= (_epoch(due) - _epoch(start)) * literal(at_risk_share, Float)
    return case(
        (or_(start.is_(None), due.is_(None)), _NO_CLOCK),
        (due < moment, _RANK[SlaState.breached]),
        (or_(due <= start, used_enough), _RANK[SlaState.at_risk]),
        else_=_RANK[SlaState.on_time],
    )


def _urgency_rank(*, now: datetime, at_risk_share: float, intervals: bool):
    """The worse of an open leg's clocks: the return leg's 24-hour commitment (Điều 25.2) beside the zone time."""
    due = _clock_rank(ShipmentLeg.due_at, now=now, at_risk_share=at_risk_share, intervals=intervals)
    commitment = _clock_rank(ShipmentLeg.commitment_due_at, now=now, at_risk_share=at_risk_share,
                             intervals=intervals)
    return case((commitment < due, commitment), else_=due)


def _in_view(query, *, now: datetime, post_office_id: int | None, agency_id: int | None):
    since = now - timedelta(weeks=WEEKS)
    query = query.where(ShipmentLeg.started_at.is_not(None),
                        or_(ShipmentLeg.completed_at.is_(None), ShipmentLeg.completed_at >= since))
    if post_office_id is not None:
        query = query.where(ShipmentLeg.post_office_id == post_office_id)
    if agency_id is not None:
        query = query.join(Dossier, Dossier.id == ShipmentLeg.dossier_id).where(Dossier.agency_id == agency_id)
    return query


_ROW_COLUMNS = (ShipmentLeg.kind, ShipmentLeg.state, ShipmentLeg.started_at, ShipmentLeg.due_at,
                ShipmentLeg.completed_at, ShipmentLeg.due_basis, ShipmentLeg.commitment_due_at)


def _row(values, *, now: datetime, at_risk_share: float) -> LegRow:
    code, office, kind, state, started_at, due_at, completed_at, due_basis, commitment_due_at = values
    return LegRow(
        code=code or "", kind=getattr(kind, "value", kind), state=getattr(state, "value", state),
        post_office=office or "", started_at=started_at, due_at=due_at, completed_at=completed_at,
        sla=clock_state(started_at=started_at, due_at=due_at, now=now, stopped_at=completed_at,
                        at_risk_share=at_risk_share),
        due_basis=due_basis, commitment_due_at=commitment_due_at,
        commitment_sla=clock_state(started_at=started_at, due_at=commitment_due_at, now=now, stopped_at=completed_at,
                                   at_risk_share=at_risk_share),
    )


def _row_query():
    return (select(func.coalesce(Dossier.code, Dossier.shipment_number), PostOffice.code, *_ROW_COLUMNS)
            .select_from(ShipmentLeg)
            .join(Dossier, Dossier.id == ShipmentLeg.dossier_id)
            .outerjoin(PostOffice, PostOffice.id == ShipmentLeg.post_office_id))


def leg_rows(session: Session, *, now: datetime, at_risk_share: float, post_office_id: int | None = None,
             agency_id: int | None = None) -> Iterator[LegRow]:
    """Every leg started in the last WEEKS weeks or still open (the export: all of them, streamed, none dropped);
    ``at_risk_share`` from the settings.

    ``post_office_id`` keeps a post office's legs (its staff), ``agency_id`` the legs of the dossiers addressed to
    one agency (its officers watch the clocks of their own dossiers, Điều 25.2), None every leg (the operator)."""
    query = _row_query().where(ShipmentLeg.started_at.is_not(None),
                               or_(ShipmentLeg.completed_at.is_(None),
                                   ShipmentLeg.completed_at >= now - timedelta(weeks=WEEKS)))
    if post_office_id is not None:
        query = query.where(ShipmentLeg.post_office_id == post_office_id)
    if agency_id is not None:
        query = query.where(Dossier.agency_id == agency_id)
    query = query.order_by(ShipmentLeg.due_at, ShipmentLeg.id).execution_options(yield_per=2000)
    for values in session.execute(query):
        yield _row(values, now=now, at_risk_share=at_risk_share)


def overview(session: Session, *, now: datetime, at_risk_share: float, post_office_id: int | None = None,
             agency_id: int | None = None, state: str = "", page: int = 1) -> Overview:
    """The managers' page, computed by the database: open legs counted by their most urgent clock (the return
    leg has two, Điều 25.2), the page of rows asked for (most urgent first, by due time), and the on-time share
    of the legs finished per post office and ISO week (Vietnamese calendar), whose sum is the count of legs
    finished. Three queries, whatever the number of legs."""
    result = Overview()
    rank = _urgency_rank(now=now, at_risk_share=at_risk_share,
                         intervals=session.get_bind().dialect.name == "postgresql")
    # open legs by state (the partial index of open legs); the finished ones are counted by the weekly query
    bucket = rank.label("bucket")
    counts = dict(session.execute(
        _in_view(select(bucket, func.count()).select_from(ShipmentLeg).where(ShipmentLeg.completed_at.is_(None)),
                 now=now, post_office_id=post_office_id, agency_id=agency_id).group_by(bucket)
    ).all())
    result.counts = {s.value: counts.get(_RANK[s], 0) for s in SlaState}
    wanted = SlaState(state) if state in SlaState._value2member_map_ else None
    result.total = counts.get(_RANK[wanted], 0) if wanted is not None else sum(counts.values())
    result.pages = max(1, -(-result.total // PAGE_ROWS))
    result.page = min(max(1, page), result.pages)
    first_due = case(
        (and_(ShipmentLeg.commitment_due_at.is_not(None),
              or_(ShipmentLeg.due_at.is_(None), ShipmentLeg.commitment_due_at < ShipmentLeg.due_at)),
         ShipmentLeg.commitment_due_at),
        else_=func.coalesce(ShipmentLeg.due_at, literal(now, UTCDateTime())),
    )
    rows = _in_view(_row_query().where(ShipmentLeg.completed_at.is_(None)), now=now,
                    post_office_id=post_office_id, agency_id=None)
    if agency_id is not None:
        rows = rows.where(Dossier.agency_id == agency_id)
    if wanted is not None:
        rows = rows.where(rank == _RANK[wanted])
    rows = rows.order_by(rank, first_due, ShipmentLeg.id).limit(PAGE_ROWS).offset((result.page - 1) * PAGE_ROWS)
    result.rows = [_row(values, now=now, at_risk_share=at_risk_share) for values in session.execute(rows)]
    # finished legs per office and day in Vietnam, folded into ISO weeks here (at most 84 days per office)
    day = _local_date(ShipmentLeg.completed_at).label("day")
    on_time = func.sum(case((and_(ShipmentLeg.due_at.is_not(None), ShipmentLeg.completed_at <= ShipmentLeg.due_at),
                             1), else_=0))
    daily = _in_view(
        select(PostOffice.code, day, func.count(), on_time).select_from(ShipmentLeg)
        .outerjoin(PostOffice, PostOffice.id == ShipmentLeg.post_office_id)
        .where(ShipmentLeg.completed_at.is_not(None)),
        now=now, post_office_id=post_office_id, agency_id=agency_id,
    ).group_by(PostOffice.code, day)
    shares: dict[tuple[str, str], WeekShare] = {}
    for office, day_text, done, timely in session.execute(daily):
        year, week, _ = date.fromisoformat(str(day_text)[:10]).isocalendar()
        key = (office or "?", f"{year}-W{week:02d}")
        share = shares.setdefault(key, WeekShare(key[0], key[1], 0, 0))
        share.done += done
        share.on_time += int(timely or 0)
    result.counts["done"] = sum(share.done for share in shares.values())
    result.weeks = sorted(shares.values(), key=lambda s: (s.office, s.week))
    result.offices = sorted({s.office for s in result.weeks})
    return result


_COLOURS = ("#c8102e", "#1f6feb", "#2e7d32", "#b26a00", "#6f42c1", "#00838f")


def chart_svg(weeks: list[WeekShare]) -> Markup:
    """On-time % per week, one line per post office, drawn on the server (no script)."""
    if not weeks:
        return Markup("")
    labels = sorted({w.week for w in weeks})
    offices = sorted({w.office for w in weeks})
    width, height, left, bottom, top = 340, 180, 34, 26, 10
    step = (width - left - 10) / max(1, len(labels) - 1)

    def x(i: int) -> float:
        return left + (i * step if len(labels) > 1 else (width - left - 10) / 2)

    def y(percent: float) -> float:
        return top + (height - top - bottom) * (1 - percent / 100)

    parts = [f'<svg class="sla-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 18 * len(offices)}" '
             f'role="img" aria-label="on-time %">']
    for percent in (0, 50, 100):
        parts.append(f'<line x1="{left}" x2="{width - 6}" y1="{y(percent):.1f}" y2="{y(percent):.1f}" stroke="#ddd"/>'
                     f'<text x="2" y="{y(percent) + 4:.1f}" font-size="10">{percent}%</text>')
    for i, label in enumerate(labels):
        if len(labels) <= 6 or i % 2 == 0:
            parts.append(f'<text x="{x(i):.1f}" y="{height - 8}" font-size="9" text-anchor="middle">{escape(label[5:])}</text>')
    by_office = defaultdict(dict)
    for w in weeks:
        by_office[w.office][w.week] = w
    for n, office in enumerate(offices):
        colour = _COLOURS[n % len(_COLOURS)]
        points = [(x(i), y(by_office[office][label].percent), by_office[office][label])
                  for i, label in enumerate(labels) if label in by_office[office]]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in points)
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        for px, py, share in points:
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"><title>{escape(office)} '
                         f'{escape(share.week)}: {share.percent:.0f}% ({share.on_time}/{share.done})</title></circle>')
        legend_y = height + 14 + 18 * n
        parts.append(f'<rect x="{left}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{left + 16}" y="{legend_y}" font-size="11">{escape(office)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


HEADERS = ("Mã hồ sơ", "Chiều", "Trạng thái", "Bưu cục", "Bắt đầu", "Hạn", "Hoàn thành", "SLA", "Căn cứ hạn",
           "Hạn cam kết (Điều 25.2)", "SLA cam kết")


def _cells(row: LegRow) -> list:
    def when(moment):
        return to_local(moment).strftime("%d/%m/%Y %H:%M") if moment else ""

    return [row.code, LEG_LABELS.get(next(k for k in LEG_LABELS if k.value == row.kind)), STATE_LABELS.get(
        next(s for s in STATE_LABELS if s.value == row.state)), row.post_office, when(row.started_at),
        when(row.due_at), when(row.completed_at), SLA_LABELS[row.sla] if row.sla else "", row.due_basis,
        when(row.commitment_due_at), SLA_LABELS[row.commitment_sla] if row.commitment_sla else ""]


def to_csv(rows) -> bytes:
    text = csv_text([HEADERS, *(_cells(row) for row in rows)])
    return ("\ufeff" + text).encode("utf-8")  # BOM: Excel opens Vietnamese correctly


def to_xlsx(rows) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Chặng vận chuyển")
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append(safe_row(_cells(row)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


__all__ = ["chart_svg", "leg_rows", "overview", "to_csv", "to_xlsx"]
