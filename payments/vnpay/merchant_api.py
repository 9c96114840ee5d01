"""Merchant API (JSON POST to api_url): querydr and refund, with their pipe-joined checksums.

Field orders are those of sandbox.vnpayment.vn/apis/docs/truy-van-hoan-tien/querydr&refund.html.
"""
from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .config import VERSION, VnpayConfig
from .payment import amount_field, check_ip_address, check_txn_ref, clean_order_info, parse_amount
from .signing import SECURE_HASH, format_vnpay_datetime, hashes_match, hmac_sha512, parse_vnpay_datetime, pipe_joined

QUERYDR_REQUEST_FIELDS = (
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef",
    "vnp_TransactionDate", "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
)
REFUND_REQUEST_FIELDS = (
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TransactionType",
    "vnp_TxnRef", "vnp_Amount", "vnp_TransactionNo", "vnp_TransactionDate", "vnp_CreateBy",
    "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo",
)
REFUND_RESPONSE_FIELDS = (
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
    "vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
    "vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo",
)
QUERYDR_RESPONSE_FIELDS = REFUND_RESPONSE_FIELDS + ("vnp_PromotionCode", "vnp_PromotionAmount")

FULL_REFUND = "02"
PARTIAL_REFUND = "03"
#: VNPay's demo sends "0" when the merchant never learnt VNPay's transaction number
UNKNOWN_TRANSACTION_NO = "0"

_REQUEST_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_CREATED_BY = re.compile(r"[^\x00-\x1f\x7f|]{1,255}")

Transport = Callable[[str, dict, float], dict]


class VnpayTransportError(Exception):
    """The merchant API could not be reached or answered something that is not a JSON object."""


def post_json(url: str, payload: Mapping[str, Any], timeout: float) -> dict:
    """POST ``payload`` as JSON and return the decoded JSON object; raises VnpayTransportError."""
    body = json.dumps(dict(payload)).encode("utf-8")
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (https url from settings)
            raw = response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise VnpayTransportError(f"VNPay merchant API unreachable: {error}") from error
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise VnpayTransportError("VNPay merchant API answered something that is not JSON") from error
    if not isinstance(data, dict):
        raise VnpayTransportError("VNPay merchant API answered JSON that is not an object")
    return data


def _request_id(request_id: str | None) -> str:
    if request_id is None:
        return uuid.uuid4().hex
    if not isinstance(request_id, str) or not _REQUEST_ID.fullmatch(request_id):
        raise ValueError("request_id must be 1-32 letters or digits")
    return request_id


def build_querydr_request(
    config: VnpayConfig,
    *,
    txn_ref: str,
    transaction_date: datetime,
    ip_address: str,
    now: datetime,
    request_id: str | None = None,
    order_info: str | None = None,
) -> dict[str, str]:
    """Signed body asking VNPay for the state of payment ``txn_ref`` created at ``transaction_date``."""
    data = {
        "vnp_RequestId": _request_id(request_id),
        "vnp_Version": VERSION,
        "vnp_Command": "querydr",
        "vnp_TmnCode": config.tmn_code,
        "vnp_TxnRef": check_txn_ref(txn_ref),
        "vnp_OrderInfo": clean_order_info(order_info or f"Truy van giao dich {txn_ref}"),
        "vnp_TransactionDate": format_vnpay_datetime(transaction_date),
        "vnp_CreateDate": format_vnpay_datetime(now),
        "vnp_IpAddr": check_ip_address(ip_address),
    }
    data[SECURE_HASH] = hmac_sha512(config.hash_secret, pipe_joined(data[f] for f in QUERYDR_REQUEST_FIELDS))
    return data


def build_refund_request(
    config: VnpayConfig,
    *,
    txn_ref: str,
    amount_vnd: int,
    transaction_type: str,
    transaction_date: datetime,
    created_by: str,
    ip_address: str,
    order_info: str,
    now: datetime,
    transaction_no: str = "",
    request_id: str | None = None,
) -> dict[str, Any]:
    """Signed body asking VNPay to refund ``amount_vnd`` of payment ``txn_ref`` ("02" full, "03" partial)."""
    if transaction_type not in (FULL_REFUND, PARTIAL_REFUND):
        raise ValueError("transaction_type must be '02' (full) or '03' (partial)")
    if not isinstance(created_by, str) or not _CREATED_BY.fullmatch(created_by.strip()):
        raise ValueError("created_by must name who asks for the refund")
    if not isinstance(transaction_no, str) or not (transaction_no == "" or transaction_no.isdigit()):
        raise ValueError("transaction_no must be VNPay's numeric transaction number")
    data: dict[str, Any] = {
        "vnp_RequestId": _request_id(request_id),
        "vnp_Version": VERSION,
        "vnp_Command": "refund",
        "vnp_TmnCode": config.tmn_code,
        "vnp_TransactionType": transaction_type,
        "vnp_TxnRef": check_txn_ref(txn_ref),
        "vnp_Amount": amount_field(amount_vnd),
        "vnp_OrderInfo": clean_order_info(order_info),
        "vnp_TransactionNo": transaction_no or UNKNOWN_TRANSACTION_NO,
        "vnp_TransactionDate": format_vnpay_datetime(transaction_date),
        "vnp_CreateBy": created_by.strip(),
        "vnp_CreateDate": format_vnpay_datetime(now),
        "vnp_IpAddr": check_ip_address(ip_address),
    }
    data[SECURE_HASH] = hmac_sha512(config.hash_secret, pipe_joined(data[f] for f in REFUND_REQUEST_FIELDS))
    return data


def _verify_response(data: Mapping[str, Any], secret: str, fields: tuple[str, ...]) -> bool:
    if not isinstance(data, Mapping):
        return False
    return hashes_match(hmac_sha512(secret, pipe_joined(data.get(f) for f in fields)), data.get(SECURE_HASH))


def verify_querydr_response(data: Mapping[str, Any], secret: str) -> bool:
    """True when the querydr answer's vnp_SecureHash signs its documented fields."""
    return _verify_response(data, secret, QUERYDR_RESPONSE_FIELDS)


def verify_refund_response(data: Mapping[str, Any], secret: str) -> bool:
    """True when the refund answer's vnp_SecureHash signs its documented fields."""
    return _verify_response(data, secret, REFUND_RESPONSE_FIELDS)


@dataclass(frozen=True)
class ApiResult:
    """VNPay's answer to querydr or refund."""

    #: signed with our secret and about the terminal, command and txn_ref we asked for
    verified: bool
    #: "00" request accepted; 91 not found, 94 duplicate, 95 refused, 97 bad checksum, 99 other
    response_code: str
    message: str
    txn_ref: str
    amount_vnd: int | None
    transaction_no: str
    #: 01 payment, 02 full refund, 03 partial refund
    transaction_type: str
    transaction_status: str
    pay_date: datetime | None
    #: the decoded JSON exactly as VNPay sent it
    raw: dict

    @property
    def succeeded(self) -> bool:
        """VNPay accepted the request (for querydr: it found the transaction)."""
        return self.verified and self.response_code == "00"

    @property
    def paid(self) -> bool:
        """querydr only: the payment itself went through."""
        return self.succeeded and self.transaction_status == "00"


def _result(data: dict, request: Mapping[str, Any], verified_signature: bool, config: VnpayConfig) -> ApiResult:
    def text(key: str) -> str:
        value = data.get(key)
        return "" if value is None else str(value)

    about_our_request = (
        text("vnp_TmnCode") == config.tmn_code
        and text("vnp_TxnRef") == request["vnp_TxnRef"]
        and text("vnp_Command") == request["vnp_Command"]
    )
    return ApiResult(
        verified=verified_signature and about_our_request,
        response_code=text("vnp_ResponseCode"),
        message=text("vnp_Message"),
        txn_ref=text("vnp_TxnRef"),
        amount_vnd=parse_amount(data.get("vnp_Amount")),
        transaction_no=text("vnp_TransactionNo"),
        transaction_type=text("vnp_TransactionType"),
        transaction_status=text("vnp_TransactionStatus"),
        pay_date=parse_vnpay_datetime(data.get("vnp_PayDate")),
        raw=data,
    )


def query_transaction(
    config: VnpayConfig,
    *,
    txn_ref: str,
    transaction_date: datetime,
    ip_address: str,
    now: datetime,
    request_id: str | None = None,
    order_info: str | None = None,
    transport: Transport = post_json,
    timeout: float = 30.0,
) -> ApiResult:
    """Ask VNPay what became of payment ``txn_ref`` (querydr). Raises VnpayTransportError."""
    request = build_querydr_request(
        config, txn_ref=txn_ref, transaction_date=transaction_date, ip_address=ip_address,
        now=now, request_id=request_id, order_info=order_info,
    )
    data = transport(config.api_url, request, timeout)
    if not isinstance(data, dict):
        raise VnpayTransportError("VNPay merchant API answered JSON that is not an object")
    return _result(data, request, verify_querydr_response(data, config.hash_secret), config)


def refund_transaction(
    config: VnpayConfig,
    *,
    txn_ref: str,
    amount_vnd: int,
    transaction_type: str,
    transaction_date: datetime,
    created_by: str,
    ip_address: str,
    order_info: str,
    now: datetime,
    transaction_no: str = "",
    request_id: str | None = None,
    transport: Transport = post_json,
    timeout: float = 30.0,
) -> ApiResult:
    """Ask VNPay to refund payment ``txn_ref``. Raises VnpayTransportError."""
    request = build_refund_request(
        config, txn_ref=txn_ref, amount_vnd=amount_vnd, transaction_type=transaction_type,
        transaction_date=transaction_date, created_by=created_by, ip_address=ip_address,
        order_info=order_info, now=now, transaction_no=transaction_no, request_id=request_id,
    )
    data = transport(config.api_url, request, timeout)
    if not isinstance(data, dict):
        raise VnpayTransportError("VNPay merchant API answered JSON that is not an object")
    return _result(data, request, verify_refund_response(data, config.hash_secret), config)
