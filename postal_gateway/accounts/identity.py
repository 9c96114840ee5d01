"""Normalising what citizens type: ID document numbers, Vietnamese mobile numbers, e-mail addresses.

Each function returns the one canonical form we store and search by, or raises InvalidInput
naming the field, so a form can show the message beside the box the person typed into.

ID numbers (decided here, documented for the lead):
- only digits -> a Vietnamese ID: 12 digits is a citizen ID (CCCD), 9 digits a legacy ID (CMND);
  any other count of digits is refused rather than guessed to be a passport;
- a letter followed by 7 digits (C1234567, N1234567) is a Vietnamese passport;
- otherwise 6-9 letters and digits with at least one letter is accepted as a foreign passport.
  A foreign passport made only of digits can be entered by passing ``kind=IdKind.passport``.
"""
from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from postal_gateway.accounts.models import IdKind
from postal_gateway.core.domain import N_, FieldError, InvalidInput

# Province codes of the citizen ID (Thông tư 07/2016/TT-BCA, Phụ lục): 63 provinces, 001-096 with gaps.
PROVINCE_CODES = frozenset(
    """001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035
    036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074
    075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096""".split()
)
_SEPARATORS = re.compile(r"[\s.]+")
_VN_PASSPORT = re.compile(r"^[A-Z]\d{7}$")
_FOREIGN_PASSPORT = re.compile(r"^(?=.*[A-Z])[A-Z0-9]{6,9}$")


def _invalid(field: str, message: str, **params) -> InvalidInput:
    return InvalidInput(message, params=params, field_errors=[FieldError(field, message, params)])


def normalise_id_number(raw: str, kind: IdKind | None = None, *, field: str = "id_number") -> tuple[IdKind, str]:
    """(kind, canonical number): digits for Vietnamese IDs, upper case for passports."""
    value = _SEPARATORS.sub("", raw or "").upper()
    if not value:
        raise _invalid(field, N_("Vui lòng nhập số định danh cá nhân, CMND hoặc hộ chiếu."))
    if kind == IdKind.passport:
        if re.fullmatch(r"[A-Z0-9]{6,9}", value):
            return IdKind.passport, value
        raise _invalid(field, N_("Số hộ chiếu gồm 6 đến 9 chữ cái hoặc chữ số."))
    if value.isdigit():
        if len(value) == 12 and kind in (None, IdKind.citizen_id):
            if value[:3] not in PROVINCE_CODES:
                raise _invalid(field, N_("Ba chữ số đầu của số định danh cá nhân không phải mã tỉnh, thành phố."))
            # 4th digit: century and sex; 0-3 cover births 1900-2099, 4-9 are centuries still to come.
            if value[3] not in "0123":
                raise _invalid(field, N_("Chữ số thứ tư của số định danh cá nhân không hợp lệ."))
            return IdKind.citizen_id, value
        if len(value) == 9 and kind in (None, IdKind.legacy_id):
            return IdKind.legacy_id, value
        raise _invalid(field, N_("Số định danh cá nhân gồm 12 chữ số; chứng minh nhân dân cũ gồm 9 chữ số."))
    if kind in (None, IdKind.passport) and (_VN_PASSPORT.match(value) or _FOREIGN_PASSPORT.match(value)):
        return IdKind.passport, value
    raise _invalid(
        field,
        N_("Số giấy tờ không hợp lệ: nhập 12 chữ số định danh cá nhân, 9 chữ số CMND hoặc số hộ chiếu (ví dụ C1234567)."),
    )


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """E.164 of a Vietnamese mobile number: 0912 345 678, +84 912345678 and 84912345678 all give +84912345678."""
    value = (raw or "").strip()
    if not value:
        raise _invalid(field, N_("Vui lòng nhập số điện thoại di động."))
    compact = re.sub(r"[\s.()-]", "", value)
    if compact.isdigit() and compact.startswith("84") and len(compact) == 11:
        compact = "+" + compact  # typed with the country code but without the plus
    try:
        number = phonenumbers.parse(compact, "VN")
    except phonenumbers.NumberParseException:
        raise _invalid(field, N_("Số điện thoại không hợp lệ.")) from None
    if not phonenumbers.is_valid_number(number) or phonenumbers.region_code_for_number(number) != "VN":
        raise _invalid(field, N_("Số điện thoại không hợp lệ: cần số di động Việt Nam, ví dụ 0912 345 678."))
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise _invalid(field, N_("Cần số điện thoại di động để nhận mã xác thực qua tin nhắn."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str, *, field: str = "email") -> str:
    value = (raw or "").strip()
    if not value:
        raise _invalid(field, N_("Vui lòng nhập địa chỉ thư điện tử."))
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise _invalid(field, N_("Địa chỉ thư điện tử không hợp lệ.")) from None


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def has_control_characters(value: str) -> bool:
    """NUL and other control characters: PostgreSQL refuses NUL in text, and no name contains them."""
    return bool(_CONTROL.search(value or ""))


def strip_control_characters(value: str) -> str:
    return _CONTROL.sub("", value or "")


def normalise_identifier(raw: str) -> str:
    """A login identifier as stored: e-mail lower-cased, an ID number without spaces or dots."""
    value = strip_control_characters(raw).strip()[:255]
    if "@" in value:
        return value.lower()
    return _SEPARATORS.sub("", value).upper()


def mask_phone(phone: str) -> str:
    """+84912345678 -> +849*****678: enough to tell messages apart in a log, not to call anyone."""
    if len(phone) <= 6:
        return "*" * len(phone)
    return phone[:4] + "*" * (len(phone) - 7) + phone[-3:]


def mask_id_number(number: str | None) -> str:
    """070190001111 -> 070******111: enough for the worker to check the card in hand, not to copy an identity."""
    number = number or ""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 6) + number[-3:]


def mask_recipient(recipient: str) -> str:
    if "@" in recipient:
        local, _, domain = recipient.partition("@")
        return (local[:1] + "***@" + domain) if local else "***@" + domain
    return mask_phone(recipient)
