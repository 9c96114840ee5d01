"""VNPay's secure hash (HMAC-SHA512) and its GMT+7 timestamps: the bytes both sides must agree on.

The canonical string follows VNPay's own PHP demo (vnpay_create_payment.php / vnpay_ipn.php):
keys sorted, ``urlencode($key) . "=" . urlencode($value)`` joined with ``&``. PHP's urlencode is
Python's quote_plus except for ``~``, which PHP (and Java's URLEncoder) write as ``%7E``.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from urllib.parse import quote_plus

#: VNPay reads and writes every date as yyyyMMddHHmmss in GMT+7, whatever the merchant's zone.
GMT7 = timezone(timedelta(hours=7), "GMT+7")
VNPAY_DATE_FORMAT = "%Y%m%d%H%M%S"

SECURE_HASH = "vnp_SecureHash"
SECURE_HASH_TYPE = "vnp_SecureHashType"


def php_urlencode(text: str) -> str:
    """PHP ``urlencode``: UTF-8 bytes, space as ``+``, only ``A-Za-z0-9-_.`` left as they are."""
    return quote_plus(text, safe="").replace("~", "%7E")


def canonical_query(params: Mapping[str, object], *, drop_empty: bool = True) -> str:
    """The string VNPay signs: sorted ``key=value`` pairs, both form-encoded, joined with ``&``."""
    pairs = []
    for key in sorted(params):
        value = "" if params[key] is None else str(params[key])
        if drop_empty and value == "":
            continue
        pairs.append(f"{php_urlencode(str(key))}={php_urlencode(value)}")
    return "&".join(pairs)


def hmac_sha512(secret: str, data: str) -> str:
    """Lowercase hex HMAC-SHA512 of UTF-8 ``data`` keyed with the UTF-8 ``secret``."""
    return hmac.new(secret.encode("utf-8"), data.encode("utf-8"), hashlib.sha512).hexdigest()


def sign(params: Mapping[str, str], secret: str) -> str:
    """vnp_SecureHash over ``params`` (empty values dropped, as VNPay's Java demo does)."""
    return hmac_sha512(secret, canonical_query(params))


def hashes_match(expected: str, given: object) -> bool:
    """Constant-time, case-insensitive comparison of two hex digests; junk never raises."""
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.lower().encode("utf-8"), given.strip().lower().encode("utf-8"))


def _signed_fields(params: Mapping[str, object]) -> dict[str, object]:
    return {
        key: value
        for key, value in params.items()
        if isinstance(key, str) and key.startswith("vnp_") and key not in (SECURE_HASH, SECURE_HASH_TYPE)
    }


def verify(params: Mapping[str, str], secret: str) -> bool:
    """True when ``vnp_SecureHash`` signs the other ``vnp_`` fields of ``params``.

    VNPay's own demos disagree on empty values (Java drops them, PHP keeps ``key=``); both forms
    are HMACs under our secret, so either one proves the values came from VNPay.
    """
    given = params.get(SECURE_HASH)
    fields = _signed_fields(params)
    if hashes_match(hmac_sha512(secret, canonical_query(fields)), given):
        return True
    if any(value in ("", None) for value in fields.values()):
        return hashes_match(hmac_sha512(secret, canonical_query(fields, drop_empty=False)), given)
    return False


def pipe_joined(values: Iterable[object]) -> str:
    """The merchant API's checksum data: values in the documented order, ``|`` between them."""
    return "|".join("" if value is None else str(value) for value in values)


def format_vnpay_datetime(moment: datetime) -> str:
    """yyyyMMddHHmmss in GMT+7; a naive datetime is refused because its zone is a guess."""
    if not isinstance(moment, datetime):
        raise ValueError("expected a datetime")
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError("datetime must be timezone-aware")
    return moment.astimezone(GMT7).strftime(VNPAY_DATE_FORMAT)


def parse_vnpay_datetime(text: object) -> datetime | None:
    """The aware UTC moment of a VNPay yyyyMMddHHmmss (GMT+7) string; None when malformed."""
    if not isinstance(text, (str, int)) or isinstance(text, bool):
        return None
    text = str(text).strip()
    if len(text) != 14 or not text.isdigit():
        return None
    try:
        local = datetime.strptime(text, VNPAY_DATE_FORMAT)
    except ValueError:
        return None
    return local.replace(tzinfo=GMT7).astimezone(timezone.utc)
