"""Zones of a pickup or delivery place relative to the agency, distances, and the geocoding port.

A place is put in a zone from its administrative units (R-17 full-trip times and the tariff are
per zone): the agency's own district, another district of its province, or another province.
Addresses in words reach administrative units through a ``Geocoder``: the default one reads the
bundled table in ``contracts/data/admin_units.json`` and never leaves the machine; a geopy
Nominatim adapter can be chosen with ``POSTAL_GEOCODER=nominatim`` (never in tests).
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Protocol

from geopy.distance import geodesic
from geopy.geocoders import Nominatim
from sqlalchemy.orm import Session

from contracts.models import Zone
from postal_gateway.catalogue.models import Agency, PostOffice
from postal_gateway.core.config import Settings, process_settings
from postal_gateway.core.domain import N_, InvalidInput

DATA_FILE = Path(__file__).parent / "data" / "admin_units.json"


@dataclass(frozen=True)
class AdminUnits:
    """GSO codes of a province and (optionally) one of its districts."""

    province_code: str
    district_code: str = ""


@dataclass(frozen=True)
class Place:
    units: AdminUnits
    latitude: float | None = None
    longitude: float | None = None
    #: the name the place was recognised by, e.g. "Đồng Xoài, Bình Phước"
    label: str = ""


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    latitude: float
    longitude: float
    province_code: str = ""


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, Unit], dict[str, Unit]]:
    raw = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    provinces = {
        row["code"]: Unit(row["code"], row["name"], row["latitude"], row["longitude"])
        for row in raw["provinces"]
    }
    districts = {
        row["code"]: Unit(row["code"], row["name"], row["latitude"], row["longitude"], row["province_code"])
        for row in raw["districts"]
    }
    return provinces, districts


def provinces() -> dict[str, Unit]:
    return _table()[0]


def districts() -> dict[str, Unit]:
    return _table()[1]


def fold(text: str) -> str:
    """Lower-case ASCII words: "Đồng Xoài" -> "dong xoai"."""
    text = text.replace("Đ", "D").replace("đ", "d")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


#: other names people write for a province
PROVINCE_ALIASES = {
    "79": ("tp hcm", "hcm", "tphcm", "sai gon", "thanh pho ho chi minh"),
    "46": ("hue",),
    "77": ("vung tau", "ba ria", "brvt"),
    "01": ("ha noi", "hanoi"),
}


def _last_match(folded: str, names: Mapping[str, tuple[str, ...]]) -> str | None:
    """The code whose name ends last in the text (addresses end with the province), longest first."""
    best: tuple[int, int, str] | None = None
    padded = f" {folded} "
    for code, candidates in names.items():
        for name in candidates:
            position = padded.rfind(f" {name} ")
            if position < 0:
                continue
            key = (position + len(name), len(name), code)
            if best is None or key[:2] > best[:2]:
                best = key
    return best[2] if best else None


class Geocoder(Protocol):
    def locate(self, address: str) -> Place | None:
        """The place an address designates, or None when it cannot be placed."""


class OfflineGeocoder:
    """Recognises province and (demo-province) district names in the address; no network."""

    def locate(self, address: str) -> Place | None:
        folded = fold(address or "")
        if not folded:
            return None
        province_names = {
            code: (fold(unit.name), *PROVINCE_ALIASES.get(code, ())) for code, unit in provinces().items()
        }
        province_code = _last_match(folded, province_names)
        candidates = {
            code: (fold(unit.name),)
            for code, unit in districts().items()
            if province_code is None or unit.province_code == province_code
        }
        district_code = _last_match(folded, candidates)
        if district_code is not None:
            district = districts()[district_code]
            province = provinces()[district.province_code]
            return Place(
                AdminUnits(district.province_code, district_code),
                district.latitude,
                district.longitude,
                f"{district.name}, {province.name}",
            )
        if province_code is None:
            return None
        province = provinces()[province_code]
        return Place(AdminUnits(province_code), province.latitude, province.longitude, province.name)


class NominatimGeocoder:
    """geopy's Nominatim: finds the position, then the nearest bundled unit gives the codes.

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
    """The bundled unit nearest a position: a district of the demo province, else a province."""
    point = (latitude, longitude)
    province = min(provinces().values(), key=lambda u: geodesic(point, (u.latitude, u.longitude)).km)
    in_province = [d for d in districts().values() if d.province_code == province.code]
    if in_province:
        district = min(in_province, key=lambda u: geodesic(point, (u.latitude, u.longitude)).km)
        return Place(AdminUnits(province.code, district.code), latitude, longitude, district.name)
    return Place(AdminUnits(province.code), latitude, longitude, province.name)


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
    """Geodesic (WGS-84) distance in kilometres."""
    return geodesic(a, b).km


def place_of(value: Any, *, field: str = "address") -> Place:
    """A Place from an address, AdminUnits, a post office, or a mapping with province/district codes.

    Raises InvalidInput naming ``field`` when it cannot be placed.
    """
    if isinstance(value, Place):
        return value
    if isinstance(value, PostOffice):
        if not value.province_code:
            raise InvalidInput.on_field(field, N_("Bưu cục chưa có mã tỉnh, không xác định được vùng."))
        return Place(
            AdminUnits(value.province_code, value.district_code or ""),
            value.latitude,
            value.longitude,
            value.name,
        )
    if isinstance(value, Mapping):
        value = AdminUnits(str(value.get("province_code") or ""), str(value.get("district_code") or ""))
    if isinstance(value, AdminUnits):
        province = provinces().get(value.province_code)
        if province is None:
            raise InvalidInput.on_field(
                field, N_("Mã tỉnh %(code)s không có trong danh mục đơn vị hành chính."), code=value.province_code
            )
        district = districts().get(value.district_code) if value.district_code else None
        known = any(unit.province_code == value.province_code for unit in districts().values())
        # Districts are bundled for some provinces only: elsewhere any district code is taken as given.
        if value.district_code and (
            (district is not None and district.province_code != value.province_code)
            or (district is None and known)
        ):
            raise InvalidInput.on_field(field, N_("Huyện %(code)s không thuộc tỉnh đã chọn."), code=value.district_code)
        unit = district or province
        return Place(value, unit.latitude, unit.longitude, unit.name)
    if isinstance(value, str):
        if not value.strip():
            raise InvalidInput.on_field(field, N_("Vui lòng nhập địa chỉ."))
        place = active_geocoder().locate(value)
        if place is None:
            raise InvalidInput.on_field(
                field,
                N_("Không xác định được tỉnh, huyện của địa chỉ này. Vui lòng ghi rõ huyện và tỉnh."),
            )
        return place
    raise InvalidInput.on_field(field, N_("Địa chỉ không hợp lệ."))


def zone_between(agency_units: AdminUnits, place: AdminUnits) -> Zone:
    if place.province_code != agency_units.province_code:
        return Zone.other_province
    if place.district_code and place.district_code == agency_units.district_code:
        return Zone.same_district
    return Zone.same_province


def agency_units(agency: Agency) -> AdminUnits:
    if not agency.province_code:
        raise InvalidInput.on_field(
            "agency", N_("Cơ quan chưa có mã tỉnh, không xác định được vùng."),
        )
    return AdminUnits(agency.province_code, agency.district_code or "")


def zone_for(session: Session, *, agency: Agency | int, address_or_admin_units: Any, field: str = "address") -> str:
    """The zone ("same_district", "same_province", "other_province") of a place relative to the agency.

    ``address_or_admin_units`` is an address in words, AdminUnits, a {"province_code",
    "district_code"} mapping or a PostOffice. An address that cannot be placed raises InvalidInput
    naming ``field``; a place known only to its province counts as another district of it.
    """
    if isinstance(agency, int):
        row = session.get(Agency, agency)
        if row is None:
            raise InvalidInput.on_field("agency", N_("Không tìm thấy cơ quan."))
        agency = row
    place = place_of(address_or_admin_units, field=field)
    return zone_between(agency_units(agency), place.units).value
