"""Tariff arithmetic: bands, surcharges, the collection fee with its minimum, VAT and rounding."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.models import Zone
from contracts.quotes import quote
from contracts.tariff import Band, Terms, itemise, percent_of
from postal_gateway.core.domain import InvalidInput
from tests import factories

BANDS = (
    Band(Zone.same_commune, 100, 10_000), Band(Zone.same_commune, 500, 15_000),
    Band(Zone.same_province, 500, 18_000), Band(Zone.other_province, 500, 25_000),
    Band(Zone.other_province, 2_000, 50_000),
)
TERMS = Terms(BANDS, home_pickup_vnd=10_000, home_delivery_vnd=10_000,
              collection_fee_basis_points=150, collection_fee_min_vnd=5_000, vat_basis_points=1000)
NOW = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)


def test_percent_rounds_half_up_to_the_dong():
    assert percent_of(1_005, 1000) == 101  # 100.5 -> 101
    assert percent_of(1_004, 1000) == 100  # 100.4 -> 100
    assert percent_of(333, 150) == 5       # 4.995 -> 5
    assert percent_of(0, 1000) == 0
    with pytest.raises(ValueError):
        percent_of(-1, 100)


def test_full_itemisation():
    result = itemise(TERMS, forward_zone=Zone.same_commune, return_zone=Zone.other_province, weight_grams=120,
                     home_pickup=True, home_delivery=True, fee_vnd=500_000, fee_collected_on_behalf=True)
    amounts = {line.code: line.amount_vnd for line in result.lines}
    assert amounts == {
        "postage_forward": 15_000,      # 120 g falls in the 500 g band
        "postage_return": 25_000,
        "home_pickup": 10_000,
        "home_delivery": 10_000,
        "collection_fee": 7_500,        # 1.5 % of 500 000
        "vat": 6_750,                   # 10 % of 67 500, once on the sum
        "fee": 500_000,
    }
    assert result.postage_total_vnd == 74_250
    assert result.fee_vnd == 500_000 and result.total_vnd == 574_250


def test_collection_fee_minimum_and_vat_rounding():
    result = itemise(TERMS, forward_zone=Zone.same_commune, return_zone=Zone.same_commune, weight_grams=100,
                     home_pickup=False, home_delivery=False, fee_vnd=50_000, fee_collected_on_behalf=True)
    assert result.amount("collection_fee") == 5_000  # 750 raised to the minimum
    terms = Terms(BANDS, vat_basis_points=800)
    odd = itemise(terms, forward_zone=Zone.same_commune, return_zone=None, weight_grams=50,
                  home_pickup=False, home_delivery=False, fee_vnd=0, fee_collected_on_behalf=False)
    assert odd.amount("vat") == 800 and odd.amount("postage_return") == 0 and odd.fee_vnd == 0


def test_weight_above_the_heaviest_band_is_refused():
    with pytest.raises(InvalidInput) as caught:
        itemise(TERMS, forward_zone=Zone.same_province, return_zone=None, weight_grams=501,
                home_pickup=False, home_delivery=False, fee_vnd=0, fee_collected_on_behalf=False)
    assert caught.value.field_errors[0].field == "weight_grams"
    for bad in (0, -5, 1.5, True):
        with pytest.raises(InvalidInput):
            itemise(TERMS, forward_zone=Zone.same_commune, return_zone=None, weight_grams=bad,
                    home_pickup=False, home_delivery=False, fee_vnd=0, fee_collected_on_behalf=False)


@given(
    weight=st.integers(1, 2_000), fee=st.integers(0, 5_000_000), on_behalf=st.booleans(),
    pickup=st.booleans(), delivery=st.booleans(), vat=st.integers(0, 2_000),
)
def test_lines_always_add_up(weight, fee, on_behalf, pickup, delivery, vat):
    terms = Terms(BANDS, 10_000, 12_345, 175, 4_999, vat)
    result = itemise(terms, forward_zone=Zone.other_province, return_zone=Zone.other_province, weight_grams=weight,
                     home_pickup=pickup, home_delivery=delivery, fee_vnd=fee, fee_collected_on_behalf=on_behalf)
    assert all(isinstance(line.amount_vnd, int) and line.amount_vnd >= 0 for line in result.lines)
    assert result.total_vnd == sum(line.amount_vnd for line in result.lines)
    taxable = sum(line.amount_vnd for line in result.lines if line.code not in ("vat", "fee"))
    assert result.amount("vat") == percent_of(taxable, vat)
    assert abs(result.amount("vat") * 10_000 - taxable * vat) <= 5_000


@pytest.fixture()
def contracted(session):
    agency = factories.agency(session, province_code="70", district_code="689")
    procedure = factories.procedure(session, agency, fee_vnd=200_000)
    office = factories.post_office(session, code="830000", province_code="70", district_code="689")
    factories.contract(session, agency)
    return agency, procedure, office


def test_quote_from_addresses(session, contracted):
    _, procedure, _ = contracted
    result = quote(session, procedure_code=procedure.code, pickup_address="xã Lộc Hưng, huyện Lộc Ninh, tỉnh Bình Phước",
                   delivery_address="Phường Bến Thành, TP HCM", weight_grams=400, fee_collected_on_behalf=True, at=NOW)
    assert (result.forward_zone, result.return_zone) == (Zone.same_province, Zone.other_province)
    amounts = {line.code: line.amount_vnd for line in result.lines}
    # demo tariff: 18 000 + 25 000 + 10 000 + 10 000 + max(1 % of 200 000, 5 000) = 68 000, VAT 6 800
    assert amounts["collection_fee"] == 5_000 and amounts["vat"] == 6_800
    assert result.postage_total_vnd == 74_800 and result.total_vnd == 274_800
    assert (result.forward_trip_hours, result.return_trip_hours) == (48, 96)
    assert 30 < result.pickup_distance_km < 60  # Đồng Xoài to Lộc Ninh


def test_quote_at_the_post_office(session, contracted):
    _, procedure, office = contracted
    result = quote(session, procedure_code=procedure.code, post_office_code=office.code, weight_grams="100", at=NOW)
    assert [line.code for line in result.lines] == ["postage_forward", "postage_return", "vat", "fee"]
    assert result.postage_total_vnd == 22_000  # (10 000 + 10 000) + 10 %


def test_quote_names_every_bad_field(session, contracted):
    with pytest.raises(InvalidInput) as caught:
        quote(session, procedure_code="T-KHONG-CO", pickup_address="đâu đó không rõ", delivery_address="???",
              weight_grams="nặng", fee_collected_on_behalf="yes", at=NOW)
    assert {e.field for e in caught.value.field_errors} == {
        "procedure_code", "pickup_address", "delivery_address", "weight_grams", "fee_collected_on_behalf"}
    with pytest.raises(InvalidInput) as caught:
        quote(session, procedure_code=contracted[1].code, post_office_code="000000", at=NOW)
    assert {e.field for e in caught.value.field_errors} == {"post_office_code"}
    with pytest.raises(InvalidInput) as caught:
        quote(session, procedure_code=contracted[1].code, post_office_code="830000",
              at=datetime(2025, 1, 1, tzinfo=timezone.utc))
    assert {e.field for e in caught.value.field_errors} == {"procedure_code"}
