"""VNPay merchant integration, version 2.1.0: pure protocol code, no Flask and no database.

See docs/vnpay.md for the sources each rule comes from.
"""
from .config import SANDBOX_API_URL, SANDBOX_PAYMENT_URL, VERSION, VnpayConfig
from .merchant_api import (
    FULL_REFUND,
    PARTIAL_REFUND,
    QUERYDR_REQUEST_FIELDS,
    QUERYDR_RESPONSE_FIELDS,
    REFUND_REQUEST_FIELDS,
    REFUND_RESPONSE_FIELDS,
    ApiResult,
    VnpayTransportError,
    build_querydr_request,
    build_refund_request,
    post_json,
    query_transaction,
    refund_transaction,
    verify_querydr_response,
    verify_refund_response,
)
from .payment import (
    IPN_RESPONSES,
    RESPONSE_MESSAGES,
    TRANSACTION_STATUSES,
    ReturnResult,
    build_payment_url,
    clean_order_info,
    ipn_response,
    parse_return,
)
from .signing import GMT7, canonical_query, format_vnpay_datetime, parse_vnpay_datetime, sign, verify

__all__ = [
    "ApiResult", "FULL_REFUND", "GMT7", "IPN_RESPONSES", "PARTIAL_REFUND", "QUERYDR_REQUEST_FIELDS",
    "QUERYDR_RESPONSE_FIELDS", "REFUND_REQUEST_FIELDS", "REFUND_RESPONSE_FIELDS", "RESPONSE_MESSAGES",
    "ReturnResult", "SANDBOX_API_URL", "SANDBOX_PAYMENT_URL", "TRANSACTION_STATUSES", "VERSION",
    "VnpayConfig", "VnpayTransportError", "build_payment_url", "build_querydr_request",
    "build_refund_request", "canonical_query", "clean_order_info", "format_vnpay_datetime",
    "ipn_response", "parse_return", "parse_vnpay_datetime", "post_json", "query_transaction",
    "refund_transaction", "sign", "verify", "verify_querydr_response", "verify_refund_response",
]
