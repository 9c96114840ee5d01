"""Itemised postage for a procedure, a pickup place, a delivery place and a weight (R-18).

The same quote serves ``POST /api/v1/quotes``, the intake wizard's collection step and the
public page. Zones are placed from addresses (``zones.py``), the price from the contract version
in force (``tariff.py``), the times from the same version.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.models import ContractVersion, Leg, Zone
from contracts.parsing import clean_text, parse_int
from contracts.places.units import catalogue
from contracts.services import contract_in_force, trip_time_of
from contracts.tariff import Itemised, QuoteLine, Terms, itemise
from contracts.zones import (
    AdminUnits,
    Place,
    RemoteList,
    agency_units,
    distance_km,
    place_of,
    placement,
    remote_lists_of,
)
from postal_gateway.catalogue.models import Agency, PostOffice, Procedure
from postal_gateway.catalogue.services import normalise_procedure_code
from postal_gateway.core.domain import N_, FieldError, InvalidInput

#: weight assumed during intake before the envelope is weighed: a thick A4 envelope
DEFAULT_WEIGHT_GRAMS = 500
MAX_WEIGHT_GRAMS = 30_000


@dataclass(frozen=True)
class Quote:
    procedure_code: str
    procedure_name: str
    contract_number: str
    version_number: int
    forward_zone: Zone
    return_zone: Zone
    weight_grams: int
    itemised: Itemised
    forward_trip_hours: int
    return_trip_hours: int
    return_commitment_hours: int
    #: straight-line distance from the agency to the pickup place, if both are positioned
    pickup_distance_km: float | None
    #: the remote lists (vùng sâu, vùng xa) that set a leg's time, if any
    forward_remote: RemoteList | None = None
    return_remote: RemoteList | None = None
    #: where the places were recognised, in today's names ("Phường Đồng Xoài, Đồng Nai")
    pickup_label: str = ""
    delivery_label: str = ""
    #: conversions and corrections made while placing the addresses: (message id, params)
    notes: tuple[tuple[str, dict], ...] = ()

    @property
    def lines(self) -> tuple[QuoteLine, ...]:
        return self.itemised.lines

    @property
    def postage_total_vnd(self) -> int:
        return self.itemised.postage_total_vnd

    @property
    def fee_vnd(self) -> int:
        return self.itemised.fee_vnd

    @property
    def total_vnd(self) -> int:
        return self.itemised.total_vnd


def _agency_place(agency: Agency) -> Place:
    return place_of(agency_units(agency), field="agency")


def build_quote(
    session: Session,
    *,
    procedure: Procedure,
    version: ContractVersion,
    pickup: Place,
    delivery: Place | None,
    home_pickup: bool,
    weight_grams: int,
    fee_collected_on_behalf: bool,
) -> Quote:
    agency = procedure.agency
    units = agency_units(agency)
    lists = remote_lists_of(version)
    forward = placement(units, pickup.units, lists)
    back = placement(units, delivery.units, lists) if delivery is not None else forward
    itemised = itemise(
        Terms.of_version(version),
        forward_zone=forward.geographic_zone,
        return_zone=back.geographic_zone,
        weight_grams=weight_grams,
        home_pickup=home_pickup,
        home_delivery=delivery is not None,
        fee_vnd=procedure.fee_vnd,
        fee_collected_on_behalf=fee_collected_on_behalf,
    )
    agency_place = _agency_place(agency)
    distance = None
    if None not in (pickup.latitude, pickup.longitude, agency_place.latitude, agency_place.longitude):
        distance = distance_km((agency_place.latitude, agency_place.longitude), (pickup.latitude, pickup.longitude))
    return Quote(
        procedure_code=procedure.code,
        procedure_name=procedure.name,
        contract_number=version.contract.number,
        version_number=version.number,
        forward_zone=forward.zone,
        return_zone=back.zone,
        weight_grams=weight_grams,
        itemised=itemised,
        forward_trip_hours=_hours(session, version, Leg.forward, forward),
        return_trip_hours=_hours(session, version, Leg.return_, back),
        return_commitment_hours=min(24, version.return_commitment_hours),
        pickup_distance_km=distance,
        forward_remote=forward.remote,
        return_remote=back.remote,
        pickup_label=pickup.label,
        delivery_label=delivery.label if delivery is not None else "",
        notes=tuple(pickup.notes) + (tuple(delivery.notes) if delivery is not None else ()),
    )


def _hours(session: Session, version: ContractVersion, leg: Leg, where) -> int:
    if where.remote is not None:
        return where.remote.forward_hours if leg is Leg.forward else where.remote.return_hours
    return int(trip_time_of(session, version, leg, where.zone).total_seconds() // 3600)


def quote(
    session: Session,
    *,
    procedure_code: Any,
    pickup_address: Any = "",
    post_office_code: Any = "",
    delivery_address: Any = "",
    weight_grams: Any = DEFAULT_WEIGHT_GRAMS,
    fee_collected_on_behalf: Any = False,
    at: datetime,
) -> Quote:
    """A quote from values as received (API, form). Every bad field is named at once.

    The dossier is picked up at ``pickup_address`` (home pickup) or handed in at the post office
    ``post_office_code``; the result goes to ``delivery_address`` or, when empty, back to where the
    dossier was handed in.
    """
    errors: list[FieldError] = []
    code = normalise_procedure_code(clean_text(procedure_code, 64)) if isinstance(procedure_code, str) else ""
    procedure = session.scalars(select(Procedure).where(Procedure.code == code)).first() if code else None
    if procedure is None:
        errors.append(FieldError("procedure_code", N_("Không tìm thấy thủ tục %(code)s."), {"code": code or "?"}))
    elif not procedure.postal_eligible:
        errors.append(FieldError("procedure_code", N_("Thủ tục %(code)s không được nhận, trả qua bưu chính."), {"code": code}))

    pickup_text = clean_text(pickup_address, 500) if isinstance(pickup_address, str) else None
    office_text = clean_text(post_office_code, 16) if isinstance(post_office_code, str) else None
    delivery_text = clean_text(delivery_address, 500) if isinstance(delivery_address, str) else None
    pickup: Place | None = None
    delivery: Place | None = None
    if pickup_text is None:
        errors.append(FieldError("pickup_address", N_("Địa chỉ không hợp lệ.")))
    if office_text is None:
        errors.append(FieldError("post_office_code", N_("Mã bưu cục không hợp lệ.")))
    if delivery_text is None:
        errors.append(FieldError("delivery_address", N_("Địa chỉ không hợp lệ.")))
    if pickup_text is not None and office_text is not None:
        if pickup_text:
            pickup = _place(pickup_text, "pickup_address", errors)
        elif office_text:
            office = session.scalars(select(PostOffice).where(PostOffice.code == office_text)).first()
            if office is None:
                errors.append(FieldError("post_office_code", N_("Không có bưu cục mã %(code)s."), {"code": office_text}))
            else:
                pickup = _place(office, "post_office_code", errors)
        else:
            errors.append(FieldError("pickup_address", N_("Nhập địa chỉ nhận hồ sơ hoặc mã bưu cục nơi nộp.")))
    if delivery_text:
        delivery = _place(delivery_text, "delivery_address", errors)

    weight = parse_int(weight_grams)
    if weight is None or not 0 < weight <= MAX_WEIGHT_GRAMS:
        errors.append(FieldError("weight_grams", N_("Khối lượng phải là số gam nguyên từ 1 đến %(maximum)s."),
                                 {"maximum": MAX_WEIGHT_GRAMS}))
    if not isinstance(fee_collected_on_behalf, bool):
        errors.append(FieldError("fee_collected_on_behalf", N_("Giá trị phải là true hoặc false.")))

    version = None
    if procedure is not None and not errors:
        version = contract_in_force(session, agency_id=procedure.agency_id, procedure_id=procedure.id, at=at)
        if version is None:
            errors.append(FieldError("procedure_code", N_("Chưa có hợp đồng bưu chính đang hiệu lực cho thủ tục %(code)s."),
                                     {"code": procedure.code}))
        else:
            _settled(pickup, "pickup_address", procedure.agency, version, errors)
            _settled(delivery, "delivery_address", procedure.agency, version, errors)
    if errors:
        raise InvalidInput(N_("Không tính được cước: vui lòng sửa các mục được nêu."), field_errors=errors)
    return build_quote(
        session,
        procedure=procedure,
        version=version,
        pickup=pickup,
        delivery=delivery,
        home_pickup=bool(pickup_text),
        weight_grams=weight,
        fee_collected_on_behalf=fee_collected_on_behalf,
    )


def _place(value: Any, field: str, errors: list[FieldError]) -> Place | None:
    """The place, or None with the error naming the part that cannot be placed."""
    try:
        return place_of(value, field=field)
    except InvalidInput as error:
        errors.extend(error.field_errors)
        return None


def _settled(place: Place | None, field: str, agency: Agency, version: ContractVersion,
             errors: list[FieldError]) -> None:
    """An address that may mean several communes (a split commune, an old district alone) is quoted only when
    every one of them gives the same zone and time (e.g. all in another province); otherwise it asks which."""
    if place is None or not place.candidates or place.units.commune_code:
        return
    units, lists = agency_units(agency), remote_lists_of(version)
    outcomes = {placement(units, AdminUnits(place.units.province_code, code), lists) for code in place.candidates}
    if len(outcomes) > 1:
        names = ", ".join(catalogue().communes[code].name for code in place.candidates)
        errors.append(FieldError(field, N_("Địa chỉ có thể thuộc nhiều xã/phường (%(names)s): vui lòng ghi rõ "
                                           "hoặc chọn xã/phường."), {"names": names}))


@dataclass(frozen=True)
class IntakeQuote:
    """The quote shown during intake, or why there is none yet (a message id and its params)."""

    quote: Quote | None
    problem: str = ""
    params: dict | None = None
    #: no contract covers the procedure (or it may not go by post): nothing to show or recalculate
    no_contract: bool = False


def quote_for_intake(
    session: Session,
    *,
    procedure: Procedure,
    collection_place: str,
    post_office_id: int | None,
    pickup_address: str,
    delivery_address: str,
    fee_method: str = "",
    weight_grams: int = DEFAULT_WEIGHT_GRAMS,
    at: datetime,
) -> IntakeQuote:
    """The itemised quote for the intake wizard's collection step; never raises on the citizen's
    input, which the wizard itself checks: it says instead why no quote can be given yet."""
    office = session.get(PostOffice, post_office_id) if post_office_id else None
    at_home = collection_place == "citizen_address"
    try:
        result = quote(
            session,
            procedure_code=procedure.code,
            pickup_address=pickup_address if at_home else "",
            post_office_code=(office.code if office is not None else "") if not at_home else "",
            delivery_address=delivery_address or "",
            weight_grams=weight_grams,
            fee_collected_on_behalf=fee_method == "collection_on_behalf",
            at=at,
        )
    except InvalidInput as error:
        first = error.field_errors[0] if error.field_errors else FieldError("", error.message, error.params)
        return IntakeQuote(None, first.message, first.params, no_contract=first.field == "procedure_code")
    return IntakeQuote(result)


def offline_price_table(
    session: Session,
    *,
    procedure: Procedure,
    post_office_id: int | None,
    fee_method: str = "",
    weight_grams: int = DEFAULT_WEIGHT_GRAMS,
    at: datetime,
) -> dict | None:
    """What the intake page needs to quote with no signal once a province and commune are picked: the agency's
    units, the post office's, the remote communes, and the postage owed to the post (VAT included) for every
    pair of geographic zones, itemised by ``itemise`` here (the phone only looks the figure up). None when
    no contract covers the procedure."""
    version = contract_in_force(session, agency_id=procedure.agency_id, procedure_id=procedure.id, at=at)
    if version is None or not procedure.postal_eligible:
        return None
    units = agency_units(procedure.agency)
    office = session.get(PostOffice, post_office_id) if post_office_id else None
    office_units = place_of(office, field="post_office_code").units if office is not None else None
    terms = Terms.of_version(version)
    zones = [zone for zone in (Zone.same_commune, Zone.same_province, Zone.other_province)]
    prices = {}
    for forward in zones:
        for back in (*zones, None):
            for home_pickup in (False, True):
                try:
                    itemised = itemise(terms, forward_zone=forward, return_zone=back or forward,
                                       weight_grams=weight_grams, home_pickup=home_pickup,
                                       home_delivery=back is not None, fee_vnd=procedure.fee_vnd,
                                       fee_collected_on_behalf=fee_method == "collection_on_behalf")
                except InvalidInput:
                    continue
                key = f"{forward.value}|{back.value if back else 'none'}|{int(home_pickup)}"
                prices[key] = itemised.postage_total_vnd
    hours = {f"{leg.value}|{zone.value}": int(trip_time_of(session, version, leg, zone).total_seconds() // 3600)
             for leg in Leg for zone in zones}
    remote = {code: [area.name, area.forward_hours, area.return_hours]
              for area in remote_lists_of(version) for code in sorted(area.commune_codes)}
    return {
        "agency": [units.province_code, units.commune_code],
        "office": [office_units.province_code, office_units.commune_code] if office_units else None,
        "prices": prices,
        "hours": hours,
        "remote": remote,
        "contract": version.contract.number,
        "version": version.number,
        "weight": weight_grams,
    }
