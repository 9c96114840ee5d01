"""The post managers' view: legs by SLA state, on-time share per post office and per week, exports."""
from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from markupsafe import Markup, escape
from openpyxl import Workbook
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from postal_gateway.core.formatting import to_local
from postal_gateway.core.spreadsheets import csv_text, safe_row
from postal_gateway.dossiers.models import Dossier
from tracking.models import ShipmentLeg
from tracking.sla import SLA_LABELS, SlaState, clock_state
from tracking.vocabulary import LEG_LABELS, STATE_LABELS

#: the view covers open legs and legs finished this many weeks back
WEEKS = 12
#: rows shown on the page (the export has them all)
PAGE_ROWS = 200
EXPORT_LIMIT = 100_000


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


def leg_rows(session: Session, *, now: datetime, at_risk_share: float, post_office_id: int | None = None,
             agency_id: int | None = None, limit: int = EXPORT_LIMIT) -> list[LegRow]:
    """Legs started in the last WEEKS weeks or still open; ``at_risk_share`` from the settings.

    ``post_office_id`` keeps a post office's legs (its staff), ``agency_id`` the legs of the dossiers addressed to
    one agency (its officers watch the clocks of their own dossiers, Điều 25.2), None every leg (the operator)."""
    since = now - timedelta(weeks=WEEKS)
    query = (
        select(ShipmentLeg)
        .options(joinedload(ShipmentLeg.dossier), joinedload(ShipmentLeg.post_office))
        .where(ShipmentLeg.started_at.is_not(None),
               or_(ShipmentLeg.completed_at.is_(None), ShipmentLeg.completed_at >= since))
        .order_by(ShipmentLeg.due_at)
        .limit(limit)
    )
    if post_office_id is not None:
        query = query.where(ShipmentLeg.post_office_id == post_office_id)
    if agency_id is not None:
        query = query.where(ShipmentLeg.dossier_id.in_(select(Dossier.id).where(Dossier.agency_id == agency_id)))
    rows = []
    for leg in session.scalars(query):
        rows.append(LegRow(
            code=leg.dossier.code, kind=leg.kind.value, state=leg.state.value,
            post_office=leg.post_office.code if leg.post_office else "",
            started_at=leg.started_at, due_at=leg.due_at, completed_at=leg.completed_at,
            sla=clock_state(started_at=leg.started_at, due_at=leg.due_at, now=now, stopped_at=leg.completed_at,
                            at_risk_share=at_risk_share),
            due_basis=leg.due_basis,
            commitment_due_at=leg.commitment_due_at,
            commitment_sla=clock_state(started_at=leg.started_at, due_at=leg.commitment_due_at, now=now,
                                       stopped_at=leg.completed_at, at_risk_share=at_risk_share),
        ))
    return rows


def overview(session: Session, *, now: datetime, at_risk_share: float, post_office_id: int | None = None,
             agency_id: int | None = None, state: str = "") -> Overview:
    rows = leg_rows(session, now=now, at_risk_share=at_risk_share, post_office_id=post_office_id, agency_id=agency_id)
    result = Overview()
    open_rows = [row for row in rows if row.completed_at is None]
    # open legs by their most urgent clock (the return leg has two, Điều 25.2)
    result.counts = {s.value: sum(1 for row in open_rows if row.urgency == s) for s in SlaState}
    result.counts["done"] = len(rows) - len(open_rows)
    wanted = SlaState(state) if state in SlaState._value2member_map_ else None
    shown = [row for row in open_rows if wanted is None or row.urgency == wanted]
    # most urgent first: breached, then at risk, by due time
    order = {SlaState.breached: 0, SlaState.at_risk: 1, SlaState.on_time: 2}
    shown.sort(key=lambda row: (order.get(row.urgency, 3), min(filter(None, (row.due_at, row.commitment_due_at)),
                                                               default=now)))
    result.rows = shown[:PAGE_ROWS]
    shares: dict[tuple[str, str], WeekShare] = {}
    for row in rows:
        if row.completed_at is None:
            continue
        year, week, _ = to_local(row.completed_at).isocalendar()
        key = (row.post_office or "?", f"{year}-W{week:02d}")
        share = shares.setdefault(key, WeekShare(key[0], key[1], 0, 0))
        share.done += 1
        share.on_time += row.sla == SlaState.on_time
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


def to_csv(rows: list[LegRow]) -> bytes:
    text = csv_text([HEADERS, *(_cells(row) for row in rows)])
    return ("\ufeff" + text).encode("utf-8")  # BOM: Excel opens Vietnamese correctly


def to_xlsx(rows: list[LegRow]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Chặng vận chuyển")
    sheet.append(list(HEADERS))
    for row in rows:
        sheet.append(safe_row(_cells(row)))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


__all__ = ["chart_svg", "leg_rows", "overview", "to_csv", "to_xlsx"]
