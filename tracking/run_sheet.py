"""A postal worker's run sheet for one day: the stops at citizens' addresses, in the order to make them.

Two kinds of stop, both for the worker's own post office (the office responsible for the leg):

- **deliveries** (Điều 25.2, 26.1): return legs of dossiers whose result goes to an address
  (``Dossier.delivery_address``), not yet delivered, returned or lost, nor left at the counter for the
  citizen to collect, whose earliest promise (the 24-hour commitment or the contract's delivery time)
  falls by the end of the day in Vietnam; overdue ones stay on the sheet until they are done;
- **pickups** (Điều 20.1): the gateway has no separate "pickup requested" record, because intake at the
  door records the pickup itself. A forward leg of a dossier to be collected at the citizen's address that
  is still open (no pickup event yet) stands for a requested pickup; it stays on the sheet until picked up.

Stops are ordered by due time (stops with none come after), then by geodesic distance (geopy) from the
worker's post office to the place the address is recognised as (``contracts.zones`` geocoder; the
offline one gives a district's centre), unplaced addresses last. Each stop carries a ``geo:`` URI that
phones open in their map application, and the citizen's phone number.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import quote

from geopy.exc import GeopyError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from contracts import zones
from contracts.models import Leg
from postal_gateway.catalogue.models import PostOffice
from postal_gateway.core.domain import InvalidInput
from postal_gateway.core.formatting import VIETNAM, to_local
from postal_gateway.dossiers.models import CollectionPlace, Dossier
from tracking.models import FINAL_STATES, LegState, ShipmentLeg

PICKUP = "pickup"
DELIVERY = "delivery"
#: a result waiting at the counter or a lost leg is not a stop at an address
NOT_ON_THE_ROAD = FINAL_STATES | {LegState.lost, LegState.held_at_post_office}


@dataclass(frozen=True)
class Stop:
    """One address to go to today."""

    #: PICKUP or DELIVERY
    kind: str
    leg_id: int
    #: the dossier code, or its shipment number before the agency gave it one
    dossier_ref: str
    shipment_number: str
    citizen_name: str
    citizen_phone: str
    address: str
    #: when the stop must be done by (None: no time promised yet)
    due_at: datetime | None
    state: LegState
    #: the recognised place of the address, e.g. "Đồng Xoài, Bình Phước"; "" when it could not be placed
    place_label: str = ""
    latitude: float | None = None
    longitude: float | None = None
    #: from the worker's post office, in km; None when either end could not be placed
    distance_km: float | None = None

    @property
    def geo_uri(self) -> str:
        """RFC 5870 ``geo:`` URI; the address as the query so the map app searches the street itself."""
        position = f"{self.latitude:.6f},{self.longitude:.6f}" if self.latitude is not None else "0,0"
        return f"geo:{position}?q={quote(self.address)}"

    @property
    def phone_uri(self) -> str:
        digits = "".join(ch for ch in self.citizen_phone if ch.isdigit() or ch == "+")
        return f"tel:{digits}" if digits else ""

    def overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at < now


@dataclass(frozen=True)
class RunSheet:
    post_office: PostOffice
    #: the Vietnamese calendar day the sheet is for
    day: datetime
    #: when the sheet was drawn up (shown on a copy opened offline)
    made_at: datetime
    stops: list[Stop]

    @property
    def deliveries(self) -> int:
        return sum(1 for stop in self.stops if stop.kind == DELIVERY)

    @property
    def pickups(self) -> int:
        return sum(1 for stop in self.stops if stop.kind == PICKUP)


def end_of_day(now: datetime) -> datetime:
    """Midnight after ``now``'s day in Vietnam, whatever the server's zone."""
    local = to_local(now)
    return datetime.combine(local.date() + timedelta(days=1), time(0), VIETNAM)


def office_position(office: PostOffice) -> tuple[float, float] | None:
    """The office's own coordinates, else the centre of its district or province; None if unknown."""
    if office.latitude is not None and office.longitude is not None:
        return office.latitude, office.longitude
    try:
        place = zones.place_of(office)
    except InvalidInput:
        return None
    return (place.latitude, place.longitude) if place.latitude is not None else None


def _locate(address: str, known: dict[str, zones.Place | None]) -> zones.Place | None:
    if address not in known:
        try:
            known[address] = zones.active_geocoder().locate(address)
        except (GeopyError, OSError):  # a network geocoder that cannot answer: the stop goes unplaced
            known[address] = None
    return known[address]


def _office_legs(session: Session, office_id: int, *conditions) -> list[ShipmentLeg]:
    """The office's legs meeting ``conditions``, with their dossier and citizen loaded in the same query."""
    return list(session.scalars(
        select(ShipmentLeg)
        .join(Dossier, Dossier.id == ShipmentLeg.dossier_id)
        .where(ShipmentLeg.post_office_id == office_id, *conditions)
        .options(joinedload(ShipmentLeg.dossier).joinedload(Dossier.citizen))
    ))


def _deliveries(session: Session, office_id: int, until: datetime) -> list[tuple[ShipmentLeg, datetime | None]]:
    legs = _office_legs(
        session, office_id,
        ShipmentLeg.kind == Leg.return_,
        ShipmentLeg.completed_at.is_(None),
        ShipmentLeg.state.not_in(NOT_ON_THE_ROAD),
        Dossier.delivery_address != "",
        or_(ShipmentLeg.commitment_due_at <= until, ShipmentLeg.due_at <= until),
    )
    return [(leg, min(due for due in (leg.commitment_due_at, leg.due_at) if due is not None)) for leg in legs]


def _pickups(session: Session, office_id: int) -> list[tuple[ShipmentLeg, datetime | None]]:
    legs = _office_legs(
        session, office_id,
        ShipmentLeg.kind == Leg.forward,
        ShipmentLeg.state == LegState.open,
        Dossier.collection_place == CollectionPlace.citizen_address,
    )
    return [(leg, leg.due_at) for leg in legs]


def _stop(kind: str, leg: ShipmentLeg, due_at: datetime | None, origin: tuple[float, float] | None,
          known: dict[str, zones.Place | None]) -> Stop:
    dossier = leg.dossier
    address = dossier.delivery_address if kind == DELIVERY else dossier.pickup_address
    place = _locate(address, known)
    position = (place.latitude, place.longitude) if place is not None and place.latitude is not None else None
    return Stop(
        kind=kind,
        leg_id=leg.id,
        dossier_ref=dossier.code or dossier.shipment_number,
        shipment_number=dossier.shipment_number,
        citizen_name=dossier.organisation_name or dossier.citizen.full_name,
        citizen_phone=dossier.citizen.phone or "",
        address=address,
        due_at=due_at,
        state=leg.state,
        place_label=place.label if place is not None else "",
        latitude=position[0] if position else None,
        longitude=position[1] if position else None,
        distance_km=round(zones.distance_km(origin, position), 2) if origin and position else None,
    )


def sort_key(stop: Stop) -> tuple:
    """By due time (none last), then distance (unplaced last), then the dossier for a stable order."""
    return (stop.due_at is None, stop.due_at or datetime.max.replace(tzinfo=VIETNAM),
            stop.distance_km is None, stop.distance_km or 0.0, stop.dossier_ref)


def run_sheet(session: Session, *, post_office: PostOffice, now: datetime) -> RunSheet:
    """Today's stops for ``post_office``'s workers (Điều 20.1 pickups, Điều 25.2 and 26.1 deliveries)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    until = end_of_day(now)
    origin = office_position(post_office)
    known: dict[str, zones.Place | None] = {}
    stops = [_stop(DELIVERY, leg, due, origin, known) for leg, due in _deliveries(session, post_office.id, until)]
    stops += [_stop(PICKUP, leg, due, origin, known) for leg, due in _pickups(session, post_office.id)]
    return RunSheet(post_office=post_office, day=to_local(now), made_at=now, stops=sorted(stops, key=sort_key))
