"""Zone placement on the two-level map (1 July 2025): same commune, same province, other province, and
the contract's remote lists (vùng sâu, vùng xa, R-17 full-trip time); the offline geocoder; geodesic distances."""
from __future__ import annotations

import pytest

from contracts import zones
from contracts.models import Zone
from contracts.places import units
from contracts.zones import AdminUnits, OfflineGeocoder, Place, RemoteList, distance_km, placement, zone_for
from postal_gateway.core.domain import InvalidInput
from tests import factories

DONG_XOAI = "25210"      # Phường Đồng Xoài, Đồng Nai
BINH_PHUOC_WARD = "25195"  # Phường Bình Phước, Đồng Nai (old phường Tân Phú, TP Đồng Xoài)


@pytest.fixture()
def agency(session):
    """The demo agency as recorded before the change: old codes 70/689 and its old written address."""
    return factories.agency(session, province_code="70", district_code="689",
                            address="Trung tâm Hành chính tỉnh, phường Tân Phú, thành phố Đồng Xoài, tỉnh Bình Phước")


@pytest.mark.parametrize(
    "address, zone",
    [
        ("Số 5 Trần Hưng Đạo, phường Tân Phú, thành phố Đồng Xoài, tỉnh Bình Phước", "same_commune"),  # old form
        ("Số 5 Trần Hưng Đạo, phường Bình Phước, tỉnh Đồng Nai", "same_commune"),                       # new form
        ("Phường Đồng Xoài, Đồng Nai", "same_province"),
        ("ấp 3, xã Lộc Hưng, huyện Lộc Ninh, Bình Phước", "same_province"),
        ("Thị xã Bình Long, tinh Binh Phuoc", "same_province"),
        ("tỉnh Bình Phước", "same_province"),     # a province only is never taken for the same commune
        ("Phường Trấn Biên, Đồng Nai", "same_province"),  # old Đồng Nai and old Bình Phước are one province now
        ("12 Lê Lợi, Phường Bến Thành, TP HCM", "other_province"),
        ("Phường Phú Hội, TP Huế, Thừa Thiên Huế", "other_province"),
    ],
)
def test_addresses_placed_in_zones(session, agency, address, zone):
    assert zone_for(session, agency=agency, address_or_admin_units=address) == zone


def test_admin_units_and_post_offices(session, agency):
    assert zone_for(session, agency=agency, address_or_admin_units=AdminUnits("75", BINH_PHUOC_WARD)) == "same_commune"
    assert zone_for(session, agency=agency.id,
                    address_or_admin_units={"province_code": "75", "commune_code": DONG_XOAI}) == "same_province"
    # an old province code is converted (Bình Phước 70 -> Đồng Nai 75)
    assert zone_for(session, agency=agency, address_or_admin_units=AdminUnits("70")) == "same_province"
    office = factories.post_office(session, province_code="79", district_code="760", address="")
    assert zone_for(session, agency=agency, address_or_admin_units=office) == "other_province"


def test_a_record_known_only_by_its_old_district_stands_for_the_commune_named_after_it(session):
    bare = factories.agency(session, province_code="70", district_code="689")
    assert zones.agency_units(bare) == AdminUnits("75", DONG_XOAI)
    assert zone_for(session, agency=bare, address_or_admin_units="Phường Đồng Xoài, Đồng Nai") == "same_commune"


@pytest.mark.parametrize("bad", ["", "   ", "không rõ ở đâu", 42, AdminUnits("99"), AdminUnits("75", "26740"),
                                 AdminUnits("75", "99999"), "59 Nguyễn Sỹ Sách, P15, Tân Bình, TP HCM"])
def test_places_that_cannot_be_placed_name_the_field(session, agency, bad):
    if isinstance(bad, str) and "P15" in bad:  # a split commune: placed in its province, candidates offered
        place = zones.place_of(bad, field="delivery_address")
        assert place.candidates and place.units.commune_code == ""
        return
    with pytest.raises(InvalidInput) as caught:
        zone_for(session, agency=agency, address_or_admin_units=bad, field="delivery_address")
    assert [e.field for e in caught.value.field_errors] == ["delivery_address"]


def test_unknown_codes_are_named(session, agency):
    with pytest.raises(InvalidInput) as caught:
        zones.place_of(AdminUnits("75", "99999"), field="pickup")
    assert caught.value.field_errors[0].params == {"code": "99999"}
    with pytest.raises(InvalidInput) as caught:
        zones.place_of(AdminUnits("99"), field="pickup")
    assert caught.value.field_errors[0].params == {"code": "99"}


def test_agency_without_province_is_refused(session):
    bare = factories.agency(session)
    with pytest.raises(InvalidInput) as caught:
        zone_for(session, agency=bare, address_or_admin_units="tỉnh Bình Phước")
    assert caught.value.field_errors[0].field == "agency"


def test_remote_lists_give_the_remote_zone_and_keep_the_geographic_one():
    """R-17: a commune on a remote list takes the list's own time; postage follows geography."""
    agency_units = AdminUnits("75", BINH_PHUOC_WARD)
    border = RemoteList("Biên giới", frozenset({"25222", "25225"}), 72, 60)
    longer = RemoteList("Rất xa", frozenset({"25225"}), 96, 96)
    near = placement(agency_units, AdminUnits("75", DONG_XOAI), [border, longer])
    assert (near.zone, near.remote) == (Zone.same_province, None)
    far = placement(agency_units, AdminUnits("75", "25222"), [border, longer])
    assert (far.zone, far.geographic_zone, far.remote) == (Zone.remote, Zone.same_province, border)
    both = placement(agency_units, AdminUnits("75", "25225"), [border, longer])
    assert both.remote == longer


def test_remote_lists_naming_units_that_do_not_exist_are_refused():
    errors = zones.check_remote_lists([("Biên giới", ["25222", "99999"]), ("", ["25225"]), ("Trống", [])])
    assert [(e.field, e.params) for e in errors] == [
        ("remote_areas.1", {"name": "Biên giới", "code": "99999"}),
        ("remote_areas.2", {"index": 2}),
        ("remote_areas.3", {"name": "Trống"}),
    ]


def test_geodesic_distance_between_package_centroids():
    dong_xoai = units.commune_of(DONG_XOAI)
    ben_thanh = next(c for c in units.communes_of("79") if c.name == "Phường Bến Thành")
    km = distance_km((dong_xoai.latitude, dong_xoai.longitude), (ben_thanh.latitude, ben_thanh.longitude))
    assert 80 < km < 110
    assert distance_km((11.5, 106.9), (11.5, 106.9)) == 0


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
    assert place.units.province_code == "75"
    assert units.commune_of(place.units.commune_code).name in {"Xã Lộc Ninh", "Xã Lộc Thạnh", "Xã Lộc Hưng",
                                                                "Xã Lộc Quang", "Xã Lộc Tấn", "Xã Tân Tiến"}
