"""What other areas ask of contracts: the version in force, full-trip times, the return commitment,
and the version a dossier was received under.

Full-trip times are CLOCK hours (see docs/contracts.md): the post carries dossiers at weekends and
Điều 25.2 counts the return "within 24 hours" in clock time.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, joinedload

from contracts.models import ContractProcedure, ContractVersion, DossierContract, FullTripTime, Leg, RemoteArea, Zone
from contracts.zones import agency_units, place_of, placement, remote_lists_of, zone_for
from postal_gateway.catalogue.models import Agency, PostOffice, Procedure
from postal_gateway.core.domain import N_, InvalidInput, NotFound

#: Điều 25.2: results go back within 24 hours of being available; a contract may only shorten it.
DEFAULT_RETURN_COMMITMENT = timedelta(hours=24)

__all__ = [
    "DEFAULT_RETURN_COMMITMENT",
    "attach_contract",
    "contract_in_force",
    "dossier_contract",
    "dossier_full_trip_time",
    "full_trip_time",
    "return_commitment",
    "version_at",
    "zone_for",
]


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("a naive datetime has no meaning here; pass an aware one")


def version_at(session: Session, *, agency_id: int, at: datetime) -> ContractVersion | None:
    """The agency's contract version valid at ``at`` (versions of one agency never overlap)."""
    _require_aware(at)
    return session.scalars(
        select(ContractVersion)
        .where(
            ContractVersion.agency_id == agency_id,
            ContractVersion.valid_from <= at,
            or_(ContractVersion.valid_until.is_(None), ContractVersion.valid_until > at),
        )
        .order_by(ContractVersion.valid_from.desc())
        .limit(1)
        # the remote lists place a dossier's legs (attach_contract): in the same query, not one more
        .options(joinedload(ContractVersion.remote_areas))
    ).unique().first()


def covers(session: Session, version: ContractVersion, procedure_id: int) -> bool:
    """Whether the version covers the procedure: listed, or postal-eligible when it covers all."""
    if version.covers_all_eligible:
        return bool(
            session.scalar(
                select(exists().where(
                    Procedure.id == procedure_id,
                    Procedure.agency_id == version.agency_id,
                    Procedure.postal_eligible.is_(True),
                ))
            )
        )
    return bool(
        session.scalar(
            select(exists().where(
                ContractProcedure.version_id == version.id,
                ContractProcedure.procedure_id == procedure_id,
            ))
        )
    )


def contract_in_force(
    session: Session, *, agency_id: int, procedure_id: int, at: datetime
) -> ContractVersion | None:
    """The contract version in force at ``at`` between the agency and the post that covers the
    procedure, or None when no contract covers it then."""
    version = version_at(session, agency_id=agency_id, at=at)
    if version is None or not covers(session, version, procedure_id):
        return None
    return version


def _leg(value: Leg | str) -> Leg:
    try:
        return value if isinstance(value, Leg) else Leg(value)
    except ValueError:
        raise InvalidInput.on_field("leg", N_("Chiều phải là forward (đi) hoặc return (về).")) from None


def _zone(value: Zone | str) -> Zone:
    try:
        return value if isinstance(value, Zone) else Zone(value)
    except ValueError:
        raise InvalidInput.on_field(
            "zone", N_("Vùng phải là same_commune, same_province, other_province hoặc remote.")
        ) from None


def trip_time_of(session: Session, version: ContractVersion, leg: Leg | str, zone: Zone | str,
                 remote_area_id: int | None = None) -> timedelta:
    """The full-trip time a given version agrees for a leg and zone; for "remote", the remote list's own."""
    leg_value, zone_value = _leg(leg), _zone(zone)
    if zone_value is Zone.remote:
        area = session.get(RemoteArea, remote_area_id) if remote_area_id else None
        if area is None or area.version_id != version.id:
            raise NotFound(N_("Hợp đồng không có danh sách vùng sâu, vùng xa này."))
        return timedelta(hours=area.forward_hours if leg_value is Leg.forward else area.return_hours)
    hours = session.scalar(
        select(FullTripTime.hours).where(
            FullTripTime.version_id == version.id,
            FullTripTime.leg == leg_value,
            FullTripTime.zone == zone_value,
        )
    )
    if hours is None:
        raise NotFound(
            N_("Hợp đồng không quy định thời gian toàn trình cho chiều %(leg)s, vùng %(zone)s."),
            params={"leg": leg_value.value, "zone": zone_value.value},
        )
    return timedelta(hours=hours)


def full_trip_time(
    session: Session,
    *,
    agency_id: int,
    procedure_id: int,
    leg: Literal["forward", "return"],
    zone: str,
    at: datetime,
) -> timedelta:
    """The agreed full-trip time (clock time) of a leg in a zone under the contract in force at ``at``.

    Raises NotFound when no contract covers the procedure then, or the contract has no such time.
    """
    version = contract_in_force(session, agency_id=agency_id, procedure_id=procedure_id, at=at)
    if version is None:
        raise NotFound(
            N_("Không có hợp đồng bưu chính nào đang hiệu lực cho thủ tục này của cơ quan vào thời điểm đó.")
        )
    return trip_time_of(session, version, leg, zone)


def return_commitment(session: Session, *, agency_id: int, procedure_id: int, at: datetime) -> timedelta:
    """Clock time within which the post returns a result once available: 24 hours unless the
    contract in force agrees a shorter one (a contract can never lengthen it)."""
    version = contract_in_force(session, agency_id=agency_id, procedure_id=procedure_id, at=at)
    if version is None:
        return DEFAULT_RETURN_COMMITMENT
    return min(DEFAULT_RETURN_COMMITMENT, timedelta(hours=version.return_commitment_hours))


def attach_contract(session: Session, dossier, *, new: bool = False) -> DossierContract | None:
    """Record the contract version in force when the post submits the dossier (it carries it from then),
    and the zones of its legs.

    Call it in the intake transaction, after the dossier is flushed. Idempotent. Returns None
    (and records nothing) when no contract covers the dossier's procedure at its submission time.
    A pickup or delivery address that cannot be placed raises InvalidInput naming the field.
    ``new``: the dossier was made in this very transaction, so it has no contract recorded yet (no look-up).
    """
    existing = None if new else session.get(DossierContract, dossier.id)
    if existing is not None:
        return existing
    version = contract_in_force(
        session, agency_id=dossier.agency_id, procedure_id=dossier.procedure_id, at=dossier.submitted_at
    )
    if version is None:
        return None

    agency = session.get(Agency, dossier.agency_id)
    if dossier.pickup_address:
        forward_place = dossier.pickup_address
    elif dossier.post_office_id is not None:
        forward_place = session.get(PostOffice, dossier.post_office_id)
    else:
        forward_place = agency
    units = agency_units(agency)
    lists = remote_lists_of(version)
    forward = placement(units, place_of(forward_place, field="pickup_address").units, lists)
    if dossier.delivery_address:
        back = placement(units, place_of(dossier.delivery_address, field="delivery_address").units, lists)
    else:
        back = forward  # collected where it was handed in
    remote = forward.remote or back.remote
    row = DossierContract(
        dossier_id=dossier.id,
        version=version,  # held by the row: the full-trip time read right after needs no query
        forward_zone=forward.zone,
        return_zone=back.zone,
        remote_area_id=remote.id if remote else None,
        attached_at=dossier.submitted_at,
    )
    session.add(row)
    session.flush()
    return row


def dossier_contract(session: Session, dossier_id: int) -> DossierContract | None:
    """The contract version and zones recorded for a dossier at its receipt, if any."""
    return session.get(DossierContract, dossier_id)


def dossier_full_trip_time(session: Session, *, dossier_id: int, leg: Literal["forward", "return"]) -> timedelta:
    """The full-trip time of a dossier's leg under the version it was received with (later
    amendments do not change it). Raises NotFound when the dossier has no contract recorded."""
    recorded = session.get(DossierContract, dossier_id)
    if recorded is None:
        raise NotFound(N_("Hồ sơ này không gắn với hợp đồng bưu chính nào."))
    leg_value = _leg(leg)
    zone = recorded.forward_zone if leg_value is Leg.forward else recorded.return_zone
    return trip_time_of(session, recorded.version, leg_value, zone, recorded.remote_area_id)
