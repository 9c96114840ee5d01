"""Zones of a pickup or delivery place relative to the agency, distances, and the geocoding port.

Since 1 July 2025 Vietnam has two levels of local government (Nghị quyết 202/2025/QH15; Luật Tổ chức
chính quyền địa phương 2025): a place is in the agency's own commune (xã/phường), another commune of its
province, or another province; a commune on one of the contract's named remote lists (vùng sâu, vùng xa)
is "remote" and takes the list's own full-trip time (R-17) while its postage stays the geographic zone's.

Addresses in words reach the units through a ``Geocoder``: the default one parses the text with the
units of ``contracts.places`` (both forms, old addresses converted) and never leaves the machine; a
geopy Nominatim adapter can be chosen with ``POSTAL_GEOCODER=nominatim`` (never in tests). Records made
before the change (agencies and post offices with old province and district codes) are placed through
their written address, converted, or failing that through their province's new code.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Protocol

from geopy.distance import geodesic
from geopy.geocoders import Nominatim
from sqlalchemy.orm import Session

from contracts.models import Zone
from contracts.places import units as places
from contracts.places.addresses import AddressNotPlaced, PlacedAddress, place_address
from contracts.places.units import fold
from postal_gateway.catalogue.models import Agency, PostOffice
from postal_gateway.core.config import Settings, process_settings
from postal_gateway.core.domain import N_, FieldError, InvalidInput

__all__ = ["AdminUnits", "Place", "fold", "zone_between", "zone_for", "place_of", "distance_km"]


@dataclass(frozen=True)
class AdminUnits:
    """Codes of a province and (optionally) one of its communes, on the two-level map."""

    province_code: str
    commune_code: str = ""


@dataclass(frozen=True)
class Place:
    units: AdminUnits
    latitude: float | None = None
    longitude: float | None = None
    #: the name the place was recognised by, e.g. "Phường Đồng Xoài, Đồng Nai"
    label: str = ""
    #: communes the text may mean when it cannot tell (asks which); empty when placed
    candidates: tuple[str, ...] = ()
    #: conversions and corrections to show the person: (message id, params)
    notes: tuple[tuple[str, dict], ...] = ()


@dataclass(frozen=True)
class RemoteList:
    """A named list of remote communes and its full-trip times, as plain values."""

    name: str
    commune_codes: frozenset[str]
    forward_hours: int
    return_hours: int
    id: int | None = None


@dataclass(frozen=True)
class Placement:
    """The zone of a place and, for a remote commune, the list that made it remote."""

    zone: Zone
    #: the zone by geography alone (postage is priced by it)
    geographic_zone: Zone
    remote: RemoteList | None = None


def _place_of_units(units: AdminUnits, label: str = "", **extra: Any) -> Place:
    commune = places.commune_of(units.commune_code) if units.commune_code else None
    province = places.province_of(units.province_code)
    unit = commune or province
    return Place(units, unit.latitude if unit else None, unit.longitude if unit else None,
                 label or (f"{commune.name}, {province.name}" if commune else province.name), **extra)


def place_from_address(placed: PlacedAddress) -> Place:
    return _place_of_units(AdminUnits(placed.province_code, placed.commune_code), placed.label(),
                           candidates=placed.candidates, notes=placed.notes)


class Geocoder(Protocol):
    def locate(self, address: str) -> Place | None:
        """The place an address designates, or None when it cannot be placed."""


class OfflineGeocoder:
    """Parses the address with the bundled units (old or new form); no network."""

    def locate(self, address: str) -> Place | None:
        try:
            return place_from_address(place_address(address))
        except AddressNotPlaced:
            return None


class NominatimGeocoder:
    """geopy's Nominatim: finds the position, then the nearest commune gives the codes.

    Only used when configured; it needs the network and a descriptive user agent.
    """

    def __init__(self, user_agent: str = "postal-gateway", timeout: float = 5.0) -> None:
        self._geocoder = Nominatim(user_agent=user_agent, timeout=timeout)

    def locate(self, address: str) -> Place | None:  # pragma: no cover - network
        found = self._geocoder.geocode(f"{address}, Việt Nam", country_codes="vn")
        if found is None:
            return None
        return nearest_place(found.latitude, found.longitude)


def nearest_place(latitude: float, longitude: float) -> Place:
    """The commune whose centroid is nearest a position (provinces first, to keep it quick)."""
    point = (latitude, longitude)
    positioned = [p for p in places.provinces().values() if p.latitude is not None]
    nearby = sorted(positioned, key=lambda p: geodesic(point, (p.latitude, p.longitude)).km)[:3]
    communes = [c for p in nearby for c in places.communes_of(p.code) if c.latitude is not None]
    commune = min(communes, key=lambda c: geodesic(point, (c.latitude, c.longitude)).km)
    place = _place_of_units(AdminUnits(commune.province_code, commune.code))
    return Place(place.units, latitude, longitude, place.label)


_geocoder: Geocoder | None = None


def set_geocoder(geocoder: Geocoder | None) -> None:
    """Swap the adapter (tests, or an operator's choice); None goes back to the configured default."""
    global _geocoder
    _geocoder = geocoder


def geocoder_for(settings: Settings) -> Geocoder:
    """Nominatim (over the network) when POSTAL_GEOCODER=nominatim, else the bundled offline one."""
    if settings.postal_geocoder == "nominatim":
        return NominatimGeocoder(settings.postal_geocoder_user_agent)
    return OfflineGeocoder()


def active_geocoder() -> Geocoder:
    global _geocoder
    if _geocoder is None:
        _geocoder = geocoder_for(process_settings())
    return _geocoder


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic (WGS-84) distance in kilometres (geopy)."""
    return geodesic(a, b).km


def units_of_record(province_code: str, district_code: str = "", address: str = "") -> AdminUnits:
    """The two-level units of a record that may predate 1 July 2025 (an agency, a post office).

    Its written address is parsed first (an old one is converted), unless it falls outside the record's own
    old district; failing that, an old district stands
    for the new commune that carries its name or is nearest its centre (``seat_commune``), and an old
    province code becomes the province it was merged into, the commune unknown.
    """
    if address:
        try:
            placed = place_address(address)
        except AddressNotPlaced:
            placed = None
        district = places.catalogue().legacy_districts.get(district_code) if district_code else None
        replacing = places.communes_replacing_district(district_code) if district else ()
        # an address that contradicts the record's own district code is not trusted over it
        if placed is not None and placed.commune_code and (not replacing or placed.commune_code in replacing):
            return AdminUnits(placed.province_code, placed.commune_code)
    if district_code:
        district = places.catalogue().legacy_districts.get(district_code)
        seat = places.seat_commune(district_code) if district and district.province_code == province_code else None
        if seat:
            return AdminUnits(places.commune_of(seat).province_code, seat)
    if province_code in places.provinces():
        return AdminUnits(province_code)
    return AdminUnits(places.new_province_for_legacy(province_code) or province_code)


def _checked_units(units: AdminUnits, field: str) -> AdminUnits:
    province_code = units.province_code
    if province_code not in places.provinces():
        merged = places.new_province_for_legacy(province_code)
        if merged is None:
            raise InvalidInput.on_field(
                field, N_("Mã tỉnh %(code)s không có trong danh mục đơn vị hành chính."), code=province_code[:8])
        province_code = merged  # a province that no longer exists: the one it was merged into
    if units.commune_code:
        commune = places.commune_of(units.commune_code)
        if commune is None:
            raise InvalidInput.on_field(
                field, N_("Mã xã/phường %(code)s không có trong danh mục đơn vị hành chính."),
                code=units.commune_code[:8])
        if commune.province_code != province_code:
            raise InvalidInput.on_field(
                field, N_("Xã/phường %(code)s không thuộc tỉnh đã chọn."), code=units.commune_code[:8])
    return AdminUnits(province_code, units.commune_code)


def place_of(value: Any, *, field: str = "address") -> Place:
    """A Place from an address, AdminUnits, a post office, or a mapping with province/commune codes.

    Raises InvalidInput naming ``field`` when it cannot be placed.
    """
    if isinstance(value, Place):
        return value
    if isinstance(value, (PostOffice, Agency)):
        if not value.province_code:
            raise InvalidInput.on_field(field, N_("Bưu cục chưa có mã tỉnh, không xác định được vùng.")
                                        if isinstance(value, PostOffice)
                                        else N_("Cơ quan chưa có mã tỉnh, không xác định được vùng."))
        units = units_of_record(value.province_code, value.district_code or "", value.address or "")
        place = _place_of_units(units, value.name)
        latitude = getattr(value, "latitude", None)
        longitude = getattr(value, "longitude", None)
        if latitude is not None and longitude is not None:
            return Place(units, latitude, longitude, value.name)
        return place
    if isinstance(value, Mapping):
        value = AdminUnits(str(value.get("province_code") or ""), str(value.get("commune_code") or ""))
    if isinstance(value, AdminUnits):
        return _place_of_units(_checked_units(value, field))
    if isinstance(value, str):
        if not value.strip():
            raise InvalidInput.on_field(field, N_("Vui lòng nhập địa chỉ."))
        geocoder = active_geocoder()
        if isinstance(geocoder, OfflineGeocoder):
            try:
                place = place_from_address(place_address(value, field=field))
            except AddressNotPlaced as error:
                raise InvalidInput(error.message, field_errors=[FieldError(field, error.message, error.params)],
                                   params=error.params) from None
        else:
            place = geocoder.locate(value)
        if place is None:
            raise InvalidInput.on_field(
                field, N_("Không xác định được tỉnh, xã/phường của địa chỉ này. Vui lòng ghi rõ xã/phường và tỉnh."),
            )
        return place
    raise InvalidInput.on_field(field, N_("Địa chỉ không hợp lệ."))


def zone_between(agency_units: AdminUnits, place: AdminUnits) -> Zone:
    """Same commune, same province or other province (two-level map). A place known only to its province
    is another commune of it: the same commune is never assumed."""
    if place.province_code != agency_units.province_code:
        return Zone.other_province
    if place.commune_code and place.commune_code == agency_units.commune_code:
        return Zone.same_commune
    return Zone.same_province


def placement(agency_units: AdminUnits, place: AdminUnits, remote_lists: Iterable[RemoteList] = ()) -> Placement:
    """The zone of a place, "remote" when its commune is on one of the contract's remote lists (the list
    with the longest forward time wins when two name it)."""
    geographic = zone_between(agency_units, place)
    matching = [item for item in remote_lists if place.commune_code and place.commune_code in item.commune_codes]
    if matching:
        chosen = max(matching, key=lambda item: (item.forward_hours, item.return_hours, item.name))
        return Placement(Zone.remote, geographic, chosen)
    return Placement(geographic, geographic)


def remote_lists_of(version) -> tuple[RemoteList, ...]:
    return tuple(RemoteList(area.name, frozenset(area.commune_codes or ()), area.forward_hours, area.return_hours,
                            area.id) for area in getattr(version, "remote_areas", ()) or ())


def agency_units(agency: Agency) -> AdminUnits:
    if not agency.province_code:
        raise InvalidInput.on_field(
            "agency", N_("Cơ quan chưa có mã tỉnh, không xác định được vùng."),
        )
    return units_of_record(agency.province_code, agency.district_code or "", agency.address or "")


def zone_for(session: Session, *, agency: Agency | int, address_or_admin_units: Any, field: str = "address",
             version=None) -> str:
    """The zone ("same_commune", "same_province", "other_province", or "remote" on a remote list of
    ``version``) of a place relative to the agency.

    ``address_or_admin_units`` is an address in words, AdminUnits, a {"province_code", "commune_code"}
    mapping or a PostOffice. An address that cannot be placed raises InvalidInput naming ``field``.
    """
    if isinstance(agency, int):
        row = session.get(Agency, agency)
        if row is None:
            raise InvalidInput.on_field("agency", N_("Không tìm thấy cơ quan."))
        agency = row
    place = place_of(address_or_admin_units, field=field)
    lists = remote_lists_of(version) if version is not None else ()
    return placement(agency_units(agency), place.units, lists).zone.value


def check_remote_lists(lists: Iterable[tuple[str, Iterable[str]]], *, field: str = "remote_areas") -> list[FieldError]:
    """Errors for remote lists naming units that do not exist: one per unknown code, naming list and code."""
    errors = []
    for index, (name, codes) in enumerate(lists, start=1):
        if not (name or "").strip():
            errors.append(FieldError(f"{field}.{index}", N_("Danh sách vùng sâu, vùng xa thứ %(index)s chưa có tên."),
                                     {"index": index}))
        codes = list(codes)
        if not codes:
            errors.append(FieldError(f"{field}.{index}", N_("Danh sách %(name)s không có xã/phường nào."),
                                     {"name": name}))
        for code in codes:
            if places.commune_of(str(code)) is None:
                errors.append(FieldError(
                    f"{field}.{index}", N_("Danh sách %(name)s: không có xã/phường mã %(code)s."),
                    {"name": name, "code": str(code)[:8]}))
    return errors

