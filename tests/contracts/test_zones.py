"""Zone placement relative to the agency, the offline geocoder and geodesic distances."""
from __future__ import annotations

import pytest

from contracts import zones
from contracts.zones import AdminUnits, OfflineGeocoder, Place, distance_km, zone_for
from postal_gateway.core.domain import InvalidInput
from tests import factories


@pytest.fixture()
def agency(session):
    return factories.agency(session, province_code="70", district_code="689")


@pytest.mark.parametrize(
    "address, zone",
    [
        ("Số 5 Trần Hưng Đạo, phường Tân Phú, thành phố Đồng Xoài, tỉnh Bình Phước", "same_district"),
        ("ấp 3, xã Lộc Hưng, huyện Lộc Ninh, Bình Phước", "same_province"),
        ("Thị xã Bình Long, tinh Binh Phuoc", "same_province"),   # typed without accents
        ("tỉnh Bình Phước", "same_province"),                   # province only: another district
        ("12 Lê Lợi, Quận 1, TP HCM", "other_province"),
        ("Phường Phú Hội, TP Huế, Thừa Thiên Huế", "other_province"),
        ("Số 1, huyện Đồng Phú, tỉnh Đồng Nai", "other_province"),  # province named last wins
    ],
)
def test_addresses_placed_in_zones(session, agency, address, zone):
    assert zone_for(session, agency=agency, address_or_admin_units=address) == zone


def test_admin_units_and_post_offices(session, agency):
    assert zone_for(session, agency=agency, address_or_admin_units=AdminUnits("70", "689")) == "same_district"
    assert zone_for(session, agency=agency.id, address_or_admin_units={"province_code": "70", "district_code": "696"}) == "same_province"
    office = factories.post_office(session, province_code="79", district_code="760")
    assert zone_for(session, agency=agency, address_or_admin_units=office) == "other_province"


@pytest.mark.parametrize("bad", ["", "   ", "không rõ ở đâu", 42, AdminUnits("99"), AdminUnits("70", "760")])
def test_places_that_cannot_be_placed_name_the_field(session, agency, bad):
    with pytest.raises(InvalidInput) as caught:
        zone_for(session, agency=agency, address_or_admin_units=bad, field="delivery_address")
    assert [e.field for e in caught.value.field_errors] == ["delivery_address"]


def test_agency_without_province_is_refused(session):
    bare = factories.agency(session)
    with pytest.raises(InvalidInput) as caught:
        zone_for(session, agency=bare, address_or_admin_units="tỉnh Bình Phước")
    assert caught.value.field_errors[0].field == "agency"


def test_geodesic_distance():
    dong_xoai = zones.districts()["689"]
    hcmc = zones.provinces()["79"]
    km = distance_km((dong_xoai.latitude, dong_xoai.longitude), (hcmc.latitude, hcmc.longitude))
    assert 85 < km < 110
    assert distance_km((11.5, 106.9), (11.5, 106.9)) == 0


def test_bundled_table_is_complete():
    assert len(zones.provinces()) == 63
    assert {d.province_code for d in zones.districts().values()} == {"70"}
    assert len(zones.districts()) == 11
    for unit in (*zones.provinces().values(), *zones.districts().values()):
        assert 8 < unit.latitude < 24 and 102 < unit.longitude < 110


def test_geocoder_port_can_be_swapped(session, agency):
    class Fixed:
        def locate(self, address):
            return Place(AdminUnits("79"), 10.77, 106.70, "fixed")

    zones.set_geocoder(Fixed())
    try:
        assert zone_for(session, agency=agency, address_or_admin_units="Đồng Xoài, Bình Phước") == "other_province"
    finally:
        zones.set_geocoder(None)
    assert isinstance(zones.active_geocoder(), OfflineGeocoder)


def test_nearest_place_from_a_position():
    place = zones.nearest_place(11.84, 106.59)  # Lộc Ninh
    assert place.units == AdminUnits("70", "692")
