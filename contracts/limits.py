"""National ceilings on full-trip times (R-17, Điều 22.5), kept as data with their legal source.

Điều 22.5 of the provincial rule (seed 002) says the full-trip time agreed in a contract may not
exceed the one set by Thông tư 14/2018/TT-BTTTT (15/10/2018) on postal service quality.

PROVISIONAL FIGURES: the text of that circular was not available to us when this was written, so
the defaults below are NOT taken from it. They follow the usual "J+n" days of the public postal
letter service (J+2 within a province, J+5 between provinces), turned into clock hours, and are
flagged ``provisional=True`` in the database and on every page that shows them. An operator must
check them against the published circular and correct them (``flask contracts limits set``);
a corrected row is no longer provisional.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from contracts.models import LIMIT_ZONES, Contract, ContractVersion, FullTripTime, Leg, NationalLimit, RemoteArea, Zone
from postal_gateway.core.domain import N_, Conflict, FieldError, InvalidInput

LEGAL_SOURCE = "Thông tư 14/2018/TT-BTTTT ngày 15/10/2018 (Điều 22.5 Quy chế)"


@dataclass(frozen=True)
class DefaultLimit:
    leg: Leg
    zone: Zone
    max_hours: int


#: Provisional, see the module docstring: J+2 (48 h) within the province, J+5 (120 h) elsewhere, J+7 (168 h)
#: to a remote commune (vùng sâu, vùng xa). The zones are those of the two-level map (1 July 2025); a
#: "same_district" row of an older database stays, unused by new contracts.
PROVISIONAL_DEFAULTS = tuple(
    DefaultLimit(leg, zone, hours)
    for leg in Leg
    for zone, hours in ((Zone.same_commune, 48), (Zone.same_province, 48), (Zone.other_province, 120),
                        (Zone.remote, 168))
)

PROVISIONAL_NOTE = (
    "Số liệu tạm thời, chưa đối chiếu với văn bản Thông tư 14/2018/TT-BTTTT; "
    "quản trị viên cần kiểm tra và cập nhật."
)


@dataclass(frozen=True)
class PromiseAboveLimit:
    """A contract version, in force or still to come, that agrees a full-trip time above a proposed ceiling."""

    version_id: int
    contract_id: int
    contract_number: str
    agency_name: str
    version_number: int
    valid_from: datetime
    valid_until: datetime | None
    #: the full-trip time the version promises for the leg and zone, in clock hours
    promised_hours: int


class LimitBelowPromises(Conflict):
    """Lowering a ceiling below what contracts promise needs the operator's explicit confirmation (Điều 22.5):
    ``affected`` lists the contract versions concerned; nothing was saved."""

    def __init__(self, affected: list[PromiseAboveLimit], *, max_hours: int) -> None:
        super().__init__(
            N_("Giới hạn mới %(max_hours)s giờ thấp hơn thời gian toàn trình mà %(count)s hợp đồng đã cam kết; "
               "xem danh sách và xác nhận nếu vẫn muốn hạ giới hạn."),
            params={"max_hours": max_hours, "count": len({item.contract_id for item in affected})},
        )
        self.affected = affected


def ensure_national_limits(session: Session) -> list[NationalLimit]:
    """Insert the provisional defaults for any (leg, zone) that has no row; never overwrite one."""
    existing = {(row.leg, row.zone): row for row in session.scalars(select(NationalLimit))}
    for default in PROVISIONAL_DEFAULTS:
        if (default.leg, default.zone) not in existing:
            row = NationalLimit(
                leg=default.leg,
                zone=default.zone,
                max_hours=default.max_hours,
                legal_source=LEGAL_SOURCE,
                provisional=True,
                note=PROVISIONAL_NOTE,
            )
            session.add(row)
            existing[(default.leg, default.zone)] = row
    session.flush()
    return [existing[(d.leg, d.zone)] for d in PROVISIONAL_DEFAULTS]


def national_limits(session: Session) -> dict[tuple[Leg, Zone], NationalLimit]:
    """Every ceiling by (leg, zone); the defaults are filled in on first use."""
    rows = ensure_national_limits(session)
    return {(row.leg, row.zone): row for row in rows}


def promises_above(session: Session, *, leg: Leg, zone: Zone, max_hours: int, now: datetime) -> list[PromiseAboveLimit]:
    """Contract versions not yet ended at ``now`` whose full-trip time for ``leg`` and ``zone`` exceeds
    ``max_hours`` (Điều 22.5), by contract number and version. A version that has ended only governs the dossiers
    received under it, which a new ceiling does not change."""
    rows = session.execute(
        select(ContractVersion, FullTripTime.hours)
        .join(FullTripTime, FullTripTime.version_id == ContractVersion.id)
        .join(Contract, Contract.id == ContractVersion.contract_id)
        .options(joinedload(ContractVersion.contract).joinedload(Contract.agency))
        .where(FullTripTime.leg == leg, FullTripTime.zone == zone, FullTripTime.hours > max_hours,
               or_(ContractVersion.valid_until.is_(None), ContractVersion.valid_until > now))
        .order_by(Contract.number, ContractVersion.number)
    ).all()
    if zone is Zone.remote:
        hours_column = RemoteArea.forward_hours if leg is Leg.forward else RemoteArea.return_hours
        rows = rows + session.execute(
            select(ContractVersion, hours_column)
            .join(RemoteArea, RemoteArea.version_id == ContractVersion.id)
            .join(Contract, Contract.id == ContractVersion.contract_id)
            .options(joinedload(ContractVersion.contract).joinedload(Contract.agency))
            .where(hours_column > max_hours,
                   or_(ContractVersion.valid_until.is_(None), ContractVersion.valid_until > now))
            .order_by(Contract.number, ContractVersion.number)
        ).all()
    return [PromiseAboveLimit(version_id=version.id, contract_id=version.contract_id,
                              contract_number=version.contract.number, agency_name=version.contract.agency.name,
                              version_number=version.number, valid_from=version.valid_from,
                              valid_until=version.valid_until, promised_hours=hours)
            for version, hours in rows]


def set_national_limit(
    session: Session,
    *,
    leg: Leg | str,
    zone: Zone | str,
    max_hours: int,
    legal_source: str,
    note: str = "",
    actor_id: int | None = None,
    now: datetime,
    confirmed_versions: Collection[int] = (),
) -> NationalLimit:
    """An operator records the verified ceiling; it stops being provisional.

    Điều 22.5: a contract may not agree a full-trip time above the national ceiling. Lowering the ceiling below
    what contract versions in force (or to come) promise raises LimitBelowPromises, listing them, and saves
    nothing, unless every one of them is in ``confirmed_versions``: the operator saw that very list and confirmed
    (a version that began to promise more meanwhile is asked about again)."""
    errors: list[FieldError] = []
    leg_value = _enum_or_none(Leg, leg)
    zone_value = _enum_or_none(Zone, zone)
    if zone_value not in LIMIT_ZONES:
        zone_value = None
    if leg_value is None:
        errors.append(FieldError("leg", N_("Chiều phải là forward (đi) hoặc return (về).")))
    if zone_value is None:
        errors.append(FieldError("zone", N_("Vùng phải là same_commune, same_province, other_province hoặc remote.")))
    if isinstance(max_hours, bool) or not isinstance(max_hours, int) or not 0 < max_hours <= 24 * 60:
        errors.append(FieldError("max_hours", N_("Số giờ phải là số nguyên từ 1 đến 1440.")))
    if not legal_source or not legal_source.strip():
        errors.append(FieldError("legal_source", N_("Vui lòng ghi văn bản pháp lý làm căn cứ.")))
    if errors:
        raise InvalidInput(N_("Giới hạn toàn trình không hợp lệ."), field_errors=errors)
    row = national_limits(session)[(leg_value, zone_value)]
    if max_hours < row.max_hours:
        affected = promises_above(session, leg=leg_value, zone=zone_value, max_hours=max_hours, now=now)
        if any(item.version_id not in set(confirmed_versions) for item in affected):
            raise LimitBelowPromises(affected, max_hours=max_hours)
    row.max_hours = max_hours
    row.legal_source = legal_source.strip()
    row.note = note.strip()
    row.provisional = False
    row.updated_by_id = actor_id
    row.updated_at = now
    session.flush()
    return row


def limit_violations(
    session: Session, trip_hours: dict[tuple[Leg, Zone], int], *, field_prefix: str = "trip_times"
) -> list[FieldError]:
    """A FieldError per agreed time above its national ceiling, naming the leg and the zone."""
    limits = national_limits(session)
    errors = []
    for (leg, zone), hours in sorted(trip_hours.items(), key=lambda item: (item[0][0].value, item[0][1].value)):
        ceiling = limits[(leg, zone)]
        if hours > ceiling.max_hours:
            errors.append(
                FieldError(
                    f"{field_prefix}.{leg.value}.{zone.value}",
                    N_(
                        "Thời gian toàn trình chiều %(leg)s, vùng %(zone)s là %(hours)s giờ, vượt giới hạn "
                        "quốc gia %(max_hours)s giờ (%(source)s)."
                    ),
                    {
                        "leg": leg.value,
                        "zone": zone.value,
                        "hours": hours,
                        "max_hours": ceiling.max_hours,
                        "source": ceiling.legal_source,
                    },
                )
            )
    return errors


def _enum_or_none(kind, value):
    if isinstance(value, kind):
        return value
    try:
        return kind(str(value).strip())
    except ValueError:
        return None
