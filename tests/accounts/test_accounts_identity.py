"""R-01: what citizens type is normalised to one stored form, or refused with a message on the field."""
import pytest

from postal_gateway.accounts.identity import (
    mask_phone,
    normalise_email,
    normalise_id_number,
    normalise_phone,
)
from postal_gateway.accounts.models import IdKind
from postal_gateway.core.domain import InvalidInput


@pytest.mark.parametrize(
    ("raw", "kind", "number"),
    [
        ("070085001234", IdKind.citizen_id, "070085001234"),
        ("001 190 012 345", IdKind.citizen_id, "001190012345"),
        ("079.203.004.567", IdKind.citizen_id, "079203004567"),
        ("096300000001", IdKind.citizen_id, "096300000001"),
        ("285123456", IdKind.legacy_id, "285123456"),
        (" 285 123 456 ", IdKind.legacy_id, "285123456"),
        ("C1234567", IdKind.passport, "C1234567"),
        ("c1234567", IdKind.passport, "C1234567"),
        ("N 1234567", IdKind.passport, "N1234567"),
        ("AB123456", IdKind.passport, "AB123456"),  # foreign passport, letters and digits
        ("X12345", IdKind.passport, "X12345"),
    ],
)
def test_valid_id_numbers(raw, kind, number):
    assert normalise_id_number(raw) == (kind, number)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "003085001234",  # 003 is not a province code
        "097085001234",  # beyond 096
        "000085001234",
        "070485001234",  # 4th digit 4: born in the 2100s
        "07008500123",  # 11 digits
        "0700850012345",  # 13 digits
        "12345678",  # 8 digits: neither ID kind, and a passport needs a letter
        "12345",
        "ABCDEFGHIJ",  # 10 characters
        "C123-4567",
        "Nguyễn",
    ],
)
def test_invalid_id_numbers_name_the_field(raw):
    with pytest.raises(InvalidInput) as caught:
        normalise_id_number(raw)
    assert [error.field for error in caught.value.field_errors] == ["id_number"]
    assert caught.value.field_errors[0].message  # a Vietnamese message to show beside the box


def test_all_digit_foreign_passport_needs_the_kind_said():
    assert normalise_id_number("12345678", IdKind.passport) == (IdKind.passport, "12345678")
    with pytest.raises(InvalidInput):
        normalise_id_number("12345678")


@pytest.mark.parametrize(
    "raw",
    ["0912 345 678", "+84 912345678", "84912345678", "0912.345.678", "(+84) 912-345-678", "+84912345678"],
)
def test_valid_mobile_numbers_become_e164(raw):
    assert normalise_phone(raw) == "+84912345678"


@pytest.mark.parametrize("raw", ["0866123456", "0326123456", "0707123456", "0587123456"])
def test_other_vietnamese_mobile_prefixes(raw):
    assert normalise_phone(raw) == "+84" + raw[1:]


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "0912",
        "0283 822 1234",  # Hồ Chí Minh City landline: cannot receive the code by SMS
        "+1 650 253 0000",  # not Vietnamese
        "abc",
        "09123456789012",
    ],
)
def test_invalid_phones(raw):
    with pytest.raises(InvalidInput) as caught:
        normalise_phone(raw)
    assert [error.field for error in caught.value.field_errors] == ["phone"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("an.nguyen@example.vn", "an.nguyen@example.vn"),
        ("  An.Nguyen@Example.VN ", "an.nguyen@example.vn"),
        ("ngoc+dvc@gmail.com", "ngoc+dvc@gmail.com"),
    ],
)
def test_valid_emails_are_lower_cased(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw", ["", "an", "an@", "@example.vn", "an@@example.vn", "an@example", "a b@example.vn", "an@site.test"])
def test_invalid_emails(raw):
    with pytest.raises(InvalidInput) as caught:
        normalise_email(raw)
    assert [error.field for error in caught.value.field_errors] == ["email"]


def test_phone_mask_hides_the_middle():
    masked = mask_phone("+84912345678")
    assert masked.startswith("+849") and masked.endswith("678")
    assert "12345" not in masked
