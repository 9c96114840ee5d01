"""Real-world addresses placed on the two-level map of 1 July 2025 (Nghị quyết 202/2025/QH15 merged 63
provinces into 34; the Standing Committee's resolutions of June 2025 rearranged the communes; districts
are gone). Old three-level addresses are converted with vietnamadminunits' 63→34 mapping; codes are the
statistics office's (vietnam-provinces)."""
from __future__ import annotations

import pytest

from contracts.places import units
from contracts.places.addresses import AddressNotPlaced, choose, place_address
from postal_gateway.core.domain import InvalidInput


def code_of(province_code: str, name: str) -> str:
    """The statistics office's code of a new commune, looked up by its name (no code typed by hand)."""
    found = [c.code for c in units.communes_of(province_code) if c.name == name]
    assert len(found) == 1, (province_code, name)
    return found[0]


# (address as people write it, province code, commune name on the new map, form)
PLACED = [
    # new two-level form, with accents, without, abbreviated, with typos
    ("Phường Đồng Xoài, tỉnh Đồng Nai", "75", "Phường Đồng Xoài", "new"),
    ("phuong dong xoai, dong nai", "75", "Phường Đồng Xoài", "new"),
    ("Phuong Dong Xoia, Dong Nai", "75", "Phường Đồng Xoài", "new"),            # typo in the commune
    ("phường Đồng Xoài , tỉnh Đồng Nai ", "75", "Phường Đồng Xoài", "new"),
    ("xã Phú Riềng, Đồng Nai", "75", "Xã Phú Riềng", "new"),
    ("xa bu dang, dong nai", "75", "Xã Bù Đăng", "new"),
    ("Phường Bình Long, Đồng Nai", "75", "Phường Bình Long", "new"),
    ("70 nguyễn sỹ sách, tan son, hcm", "79", "Phường Tân Sơn", "new"),
    ("Phường Bến Thành, TP.HCM", "79", "Phường Bến Thành", "new"),
    ("Phường Sài Gòn, Thành phố Hồ Chí Minh", "79", "Phường Sài Gòn", "new"),
    ("Phường Hoàn Kiếm Hà Nội", "01", "Phường Hoàn Kiếm", "new"),                 # no commas
    ("Phuong Hoan Kiem, Ha Noii", "01", "Phường Hoàn Kiếm", "new"),              # typo in the province
    ("12 Lý Thường Kiệt, phường Cửa Nam, thành phố Hà Nội", "01", "Phường Cửa Nam", "new"),
    ("Số 3 Trần Phú, Phường Hải Châu, TP Đà Nẵng", "48", "Phường Hải Châu", "new"),
    ("phường Thuận Hóa, thành phố Huế", "46", "Phường Thuận Hóa", "new"),
    ("Đặc khu Phú Quốc, tỉnh An Giang", "91", "Đặc khu Phú Quốc", "new"),
    ("Phường Ninh Kiều, TP Cần Thơ", "92", "Phường Ninh Kiều", "new"),
    ("Xã Ia Grai, Gia Lai", "52", "Xã Ia Grai", "new"),
    # old three-level form, converted
    ("Số 1 Trần Hưng Đạo, P. Tân Phú, TP. Đồng Xoài, Bình Phước", "75", "Phường Bình Phước", "old"),
    ("tổ 4, phường Tiến Thành, TP Đồng Xoài, Bình Phước", "75", "Phường Đồng Xoài", "old"),
    ("P. An Lộc, TX Bình Long, Bình Phước", "75", "Phường Bình Long", "old"),
    ("xã Minh Hưng, huyện Chơn Thành, tỉnh Bình Phước", "75", "Phường Minh Hưng", "old"),
    ("Ấp 5, Xã Lộc Tấn, Huyện Lộc Ninh, Tỉnh Bình Phước", "75", "Xã Lộc Tấn", "old"),
    ("ap 1 xa loc tan huyen loc ninh tinh binh phuoc", "75", "Xã Lộc Tấn", "old"),   # no accents, no commas
    ("Thôn 2, xã Đăk Ơ, huyện Bù Gia Mập, Bình Phước", "75", "Xã Đăk Ơ", "old"),
    ("thị trấn Đức Phong, huyện Bù Đăng, Bình Phước", "75", "Xã Bù Đăng", "old"),
    ("Tp. Hồ Chí Minh, Quận 1, P. Bến Nghé", "79", "Phường Sài Gòn", "old"),       # written from the top down
    ("phường Bến Thành, quận 1, TP.HCM", "79", "Phường Bến Thành", "old"),
    ("P. Phú Cường, TP. Thủ Dầu Một, Bình Dương", "79", "Phường Thủ Dầu Một", "old"),
    ("Phường 1, TP Vũng Tàu, tỉnh Bà Rịa - Vũng Tàu", "79", "Phường Vũng Tàu", "old"),
    ("phường Minh An, TP Hội An, Quảng Nam", "48", "Phường Hội An", "old"),
    ("phuong Thach Thang, quan Hai Chau, TP Da Nang", "48", "Phường Hải Châu", "old"),
    ("số 5 Lê Lợi, phường Phú Hội, TP Huế", "46", "Phường Thuận Hóa", "old"),       # not "Phú Hồ"
    ("phường Vĩnh Thanh Vân, TP Rạch Giá, Kiên Giang", "91", "Phường Rạch Giá", "old"),
    ("P. Trần Hưng Đạo, TP Hải Dương, Hải Dương", "31", "Phường Hải Dương", "old"),
]


@pytest.mark.parametrize("address, province_code, commune_name, form", PLACED)
def test_real_addresses_are_placed_in_province_and_commune_codes(address, province_code, commune_name, form):
    placed = place_address(address)
    assert (placed.province_code, placed.commune_code, placed.form) == (
        province_code, code_of(province_code, commune_name), form)


def test_there_are_at_least_thirty_real_addresses():
    assert len(PLACED) >= 30
    assert {form for *_, form in PLACED} == {"old", "new"}


def test_the_street_is_kept_before_the_commune():
    placed = place_address("Số 1 Trần Hưng Đạo, P. Tân Phú, TP. Đồng Xoài, Bình Phước")
    assert placed.street == "Số 1 Trần Hưng Đạo"
    assert placed.label() == "Phường Bình Phước, Đồng Nai"


@pytest.mark.parametrize("address", [
    "xa Duc Lieu, huyen Bu Dang, tinh Binh Phuoc",
    "TT. Thanh Bình, H. Bù Đốp, Bình Phước",
    "Khu phố 3, Phường Long Phước, Thị xã Phước Long, Bình Phước",
    "xã Tân Lập, huyện Đồng Phú, tỉnh Bình Phước",
])
def test_old_binh_phuoc_addresses_become_dong_nai_communes_of_their_old_district(address):
    """Bình Phước (70) was merged into Đồng Nai (75): the commune found is one of those that replaced
    the old district, and the note says the province was converted."""
    placed = place_address(address)
    assert placed.province_code == "75" and placed.form == "old"
    district = next(d for d in units.catalogue().legacy_districts.values()
                    if d.province_code == "70" and units.fold(d.name).split()[-2:] == units.fold(
                        address.split(",")[-2]).split()[-2:])
    assert placed.commune_code in units.communes_replacing_district(district.code)
    assert any(params.get("old") == "Tỉnh Bình Phước" and params.get("new") == "Đồng Nai"
               for _message, params in placed.notes)


def test_a_province_that_no_longer_exists_is_converted_with_a_note():
    placed = place_address("tinh Binh Phuoc")
    assert (placed.province_code, placed.commune_code) == ("75", "")
    assert placed.notes[0][1] == {"old": "Tỉnh Bình Phước", "new": "Đồng Nai"}


def test_a_split_commune_asks_which():
    """Phường 15 of old Tân Bình district was divided between two new wards: both are offered, none guessed."""
    placed = place_address("59 Nguyễn Sỹ Sách, P15, Tân Bình, TP HCM")
    assert placed.ambiguous and placed.commune_code == ""
    assert set(placed.candidates) == {code_of("79", "Phường Tân Bình"), code_of("79", "Phường Tân Sơn")}
    chosen = choose(placed, code_of("79", "Phường Tân Sơn"))
    assert chosen.commune_code == code_of("79", "Phường Tân Sơn") and not chosen.ambiguous
    with pytest.raises(InvalidInput) as caught:
        choose(placed, code_of("79", "Phường Sài Gòn"))
    assert caught.value.field_errors[0].field == "commune_code"


def test_an_old_district_alone_lists_the_communes_that_replaced_it():
    placed = place_address("huyện Bù Đăng, tỉnh Bình Phước")
    assert placed.ambiguous
    assert set(placed.candidates) == set(units.communes_replacing_district("696"))
    assert code_of("75", "Xã Bù Đăng") in placed.candidates


@pytest.mark.parametrize("address, part", [
    ("Xóm 3, xã Xyz, tỉnh Nghệ An", "xã Xyz"),
    ("abc def", "abc def"),
    ("12 phố Huế, quận Hai Bà", "quận Hai Bà"),
])
def test_an_address_that_cannot_be_placed_names_the_failing_part(address, part):
    with pytest.raises(AddressNotPlaced) as caught:
        place_address(address, field="pickup_address")
    assert caught.value.part == part
    assert caught.value.field_errors[0].field == "pickup_address"


def test_units_come_from_the_packages_with_codes_and_positions():
    catalogue = units.catalogue()
    assert len(catalogue.provinces) == 34
    assert 3000 < len(catalogue.communes) < 3500
    assert "70" not in catalogue.provinces and units.new_province_for_legacy("70") == "75"
    assert units.province_of("75").name == "Đồng Nai"
    for unit in (*catalogue.provinces.values(), *catalogue.communes.values()):
        assert 8 < unit.latitude < 24 and 102 < unit.longitude < 118, unit
    assert all(len(code) == 5 for code in catalogue.communes)
