"""The sandbox gateway's behaviour, without Flask: pay requests, outcomes, IPN deliveries with
faults, the merchant API (querydr, refund) and the daily transaction file."""
from __future__ import annotations

import csv
import io
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from payments.sandbox.models import SandboxIpnDelivery, SandboxRequestId, SandboxTransaction
from payments.vnpay import (
    GMT7,
    QUERYDR_REQUEST_FIELDS,
    QUERYDR_RESPONSE_FIELDS,
    REFUND_REQUEST_FIELDS,
    REFUND_RESPONSE_FIELDS,
    VnpayConfig,
    format_vnpay_datetime,
    parse_vnpay_datetime,
    sign,
    verify,
)
from payments.vnpay.signing import SECURE_HASH, hashes_match, hmac_sha512, pipe_joined
from postal_gateway.core.domain import N_, InvalidInput, NotFound

log = logging.getLogger(__name__)

#: outcomes the pay page offers: vnp_ResponseCode → label
OUTCOMES = {
    "00": N_("Thành công"),
    "24": N_("Khách hàng hủy giao dịch (24)"),
    "51": N_("Tài khoản không đủ số dư (51)"),
    "11": N_("Hết hạn chờ thanh toán (11)"),
    "12": N_("Thẻ/Tài khoản bị khóa (12)"),
    "79": N_("Nhập sai mật khẩu quá số lần quy định (79)"),
}
#: faults injectable on the IPN
FAULTS = {
    "": N_("Không có lỗi: gửi IPN một lần, ngay"),
    "duplicate": N_("Gửi IPN hai lần"),
    "delayed": N_("Gửi IPN chậm 2 phút"),
    "lost": N_("Mất IPN (chỉ truy vấn querydr mới biết)"),
    "reordered": N_("Gửi IPN sau khi trình duyệt đã quay về"),
    "retried": N_("Coi như hết thời gian chờ: gửi lại IPN như cổng thật"),
}
#: VNPay retries an unanswered IPN this many times, this far apart
MAX_IPN_ATTEMPTS = 10
RETRY_EVERY = timedelta(minutes=5)
FILE_COLUMNS = ("TmnCode", "TxnRef", "TransactionNo", "TransactionType", "TransactionStatus", "Amount", "PayDate", "BankCode")

IpnSender = Callable[[dict], dict]


def _now_gmt7_str(now: datetime) -> str:
    return format_vnpay_datetime(now)


# --- the pay page --------------------------------------------------------------------------------


def open_payment(session: Session, params: Mapping[str, str], *, config: VnpayConfig, now: datetime) -> SandboxTransaction:
    """Check a vpcpay.html request as VNPay does and keep the transaction; the same request twice
    (the customer reloading the page) finds the same row."""
    problems = []
    if not verify(params, config.hash_secret):
        raise InvalidInput(N_("Sai chữ ký (mã lỗi 97)."))
    if params.get("vnp_TmnCode") != config.tmn_code:
        problems.append(N_("Website chưa được phê duyệt (mã website sai)."))
    if params.get("vnp_Command") != "pay" or params.get("vnp_Version") != "2.1.0":
        problems.append(N_("Yêu cầu không đúng phiên bản 2.1.0 hoặc lệnh pay."))
    amount = params.get("vnp_Amount", "")
    if not amount.isdigit() or int(amount) % 100 or int(amount) <= 0:
        problems.append(N_("Số tiền không hợp lệ."))
    created = parse_vnpay_datetime(params.get("vnp_CreateDate"))
    expires = parse_vnpay_datetime(params.get("vnp_ExpireDate"))
    if created is None or expires is None:
        problems.append(N_("Thời gian tạo hoặc hết hạn không hợp lệ."))
    if problems:
        raise InvalidInput(problems[0])
    if expires < now:
        raise InvalidInput(N_("Giao dịch đã quá thời gian chờ thanh toán (mã lỗi 11)."))
    existing = session.scalar(select(SandboxTransaction).where(
        SandboxTransaction.tmn_code == config.tmn_code, SandboxTransaction.txn_ref == params["vnp_TxnRef"],
        SandboxTransaction.transaction_type == "01",
    ))
    if existing is not None:
        if existing.create_date != params["vnp_CreateDate"] or existing.amount_vnd * 100 != int(amount):
            raise InvalidInput(N_("Mã giao dịch đã tồn tại với nội dung khác (mã lỗi 94)."))
        return existing
    number = (session.scalar(select(func.count()).select_from(SandboxTransaction)) or 0) + 14_000_001
    row = SandboxTransaction(
        tmn_code=config.tmn_code, txn_ref=params["vnp_TxnRef"], transaction_no=str(number), transaction_type="01",
        amount_vnd=int(amount) // 100, order_info=params.get("vnp_OrderInfo", "")[:255],
        # VNPay sends the browser back to the merchant's registered address: ours, never the request's
        return_url=config.return_url[:500], create_date=params["vnp_CreateDate"],
        expires_at=expires, bank_code=params.get("vnp_BankCode") or "NCB", created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _ipn_params(row: SandboxTransaction, config: VnpayConfig) -> dict[str, str]:
    params = {
        "vnp_TmnCode": row.tmn_code,
        "vnp_Amount": str(row.amount_vnd * 100),
        "vnp_BankCode": row.bank_code,
        "vnp_BankTranNo": f"VNP{row.transaction_no}" if row.response_code == "00" else "",
        "vnp_CardType": "ATM",
        "vnp_PayDate": format_vnpay_datetime(row.pay_date) if row.pay_date else "",
        "vnp_OrderInfo": row.order_info,
        "vnp_TransactionNo": row.transaction_no if row.response_code == "00" else "0",
        "vnp_ResponseCode": row.response_code,
        "vnp_TransactionStatus": row.transaction_status,
        "vnp_TxnRef": row.txn_ref,
    }
    params = {key: value for key, value in params.items() if value != ""}
    params[SECURE_HASH] = sign(params, config.hash_secret)
    return params


def find_payment(session: Session, transaction_id: Any) -> SandboxTransaction:
    """A payment (type 01) of the sandbox by id; NotFound otherwise."""
    row = session.get(SandboxTransaction, transaction_id) if isinstance(transaction_id, int) else None
    if row is None or row.transaction_type != "01":
        raise NotFound(N_("Không tìm thấy giao dịch."))
    return row


def complete_payment(
    session: Session, transaction_id: Any, *, outcome: str, fault: str, config: VnpayConfig, now: datetime
) -> tuple[SandboxTransaction, str]:
    """The customer's choice on the pay page: record it, queue the IPN calls the fault calls for, and
    return the signed address to send the browser back to (the terminal's configured return page)."""
    row = find_payment(session, transaction_id)
    errors = []
    if outcome not in OUTCOMES:
        errors.append(N_("Chọn một kết quả thanh toán."))
    if fault not in FAULTS:
        errors.append(N_("Chọn một kiểu lỗi IPN có trong danh sách."))
    if errors:
        raise InvalidInput(errors[0])
    if row.response_code == "":
        if row.expires_at is not None and row.expires_at < now:
            outcome = "11"
        row.response_code = outcome
        row.transaction_status = "00" if outcome == "00" else "02"
        row.pay_date = now.replace(microsecond=0)
        row.fault = fault
        params = _ipn_params(row, config)
        due = {"": [now], "duplicate": [now, now], "delayed": [now + timedelta(minutes=2)], "lost": [],
               "reordered": [now], "retried": [now]}[fault]
        for when in due:
            session.add(SandboxIpnDelivery(
                transaction_id=row.id, params=params, due_at=when, drop_answers=2 if fault == "retried" else 0,
            ))
    params = _ipn_params(row, config)
    separator = "&" if "?" in config.return_url else "?"
    session.flush()
    return row, config.return_url + separator + urllib.parse.urlencode(params)


# --- IPN delivery --------------------------------------------------------------------------------


def http_ipn_sender(url: str, timeout: float = 10.0) -> IpnSender:
    """Call the merchant's IPN URL over HTTP GET, as VNPay does."""

    def send(params: dict) -> dict:
        separator = "&" if "?" in url else "?"
        try:
            with urllib.request.urlopen(url + separator + urllib.parse.urlencode(params), timeout=timeout) as response:  # noqa: S310
                return json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            return {"RspCode": "", "Message": f"unreachable: {type(error).__name__}"}

    return send


def due_deliveries(session: Session, *, now: datetime, skip_reordered: bool = False, limit: int = 50) -> list[int]:
    query = (
        select(SandboxIpnDelivery.id)
        .join(SandboxTransaction, SandboxTransaction.id == SandboxIpnDelivery.transaction_id)
        .where(SandboxIpnDelivery.delivered_at.is_(None), SandboxIpnDelivery.due_at <= now)
        .order_by(SandboxIpnDelivery.due_at, SandboxIpnDelivery.id)
        .limit(limit)
    )
    if skip_reordered:
        query = query.where(SandboxTransaction.fault != "reordered")
    return list(session.scalars(query))


def deliver(session: Session, delivery_id: int, *, send: IpnSender, now: datetime) -> str:
    """Make one IPN call; keep retrying later (up to 10 calls) until the merchant answers 00 or 02."""
    delivery = session.get(SandboxIpnDelivery, delivery_id)
    if delivery is None or delivery.delivered_at is not None:
        return ""
    answer = send(dict(delivery.params)) or {}
    code = str(answer.get("RspCode", ""))
    delivery.attempts += 1
    delivery.last_answer = f"{code} {answer.get('Message', '')}"[:120]
    if delivery.drop_answers > 0:  # the answer "timed out": the real gateway calls again later
        delivery.drop_answers -= 1
        code = ""
    if code in ("00", "02") or delivery.attempts >= MAX_IPN_ATTEMPTS:
        delivery.delivered_at = now
    else:
        delivery.due_at = now + RETRY_EVERY
    return code


# --- merchant API --------------------------------------------------------------------------------


def _text(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    return "" if value is None else str(value)


def _answer(payload: Mapping[str, Any], fields: tuple[str, ...], config: VnpayConfig, **values: Any) -> dict:
    data = {"vnp_ResponseId": uuid.uuid4().hex, "vnp_Command": _text(payload, "vnp_Command"),
            "vnp_TmnCode": config.tmn_code, "vnp_TxnRef": _text(payload, "vnp_TxnRef"), **values}
    data[SECURE_HASH] = hmac_sha512(config.hash_secret, pipe_joined(data.get(f, "") for f in fields))
    return data


def _error(payload: Mapping[str, Any], code: str, message: str) -> dict:
    return {"vnp_ResponseCode": code, "vnp_Message": message, "vnp_Command": _text(payload, "vnp_Command"),
            "vnp_TxnRef": _text(payload, "vnp_TxnRef")}


def _transaction_fields(row: SandboxTransaction, *, amount_vnd: int | None = None) -> dict:
    return {
        "vnp_Amount": str((amount_vnd if amount_vnd is not None else row.amount_vnd) * 100),
        "vnp_BankCode": row.bank_code,
        "vnp_PayDate": format_vnpay_datetime(row.pay_date) if row.pay_date else "",
        "vnp_TransactionNo": row.transaction_no,
        "vnp_TransactionType": row.transaction_type,
        "vnp_TransactionStatus": row.transaction_status,
        "vnp_OrderInfo": row.order_info,
    }


def handle_api(session: Session, payload: Mapping[str, Any], *, config: VnpayConfig, now: datetime) -> dict:
    """The merchant API (querydr and refund) as VNPay answers it."""
    if not isinstance(payload, Mapping):
        return _error({}, "03", "Invalid request format")
    command = _text(payload, "vnp_Command")
    fields = {"querydr": QUERYDR_REQUEST_FIELDS, "refund": REFUND_REQUEST_FIELDS}.get(command)
    if fields is None:
        return _error(payload, "03", "Invalid command")
    expected = hmac_sha512(config.hash_secret, pipe_joined(_text(payload, f) for f in fields))
    if not hashes_match(expected, payload.get(SECURE_HASH)):
        return _error(payload, "97", "Invalid Checksum")
    if _text(payload, "vnp_TmnCode") != config.tmn_code:
        return _error(payload, "02", "Merchant is not valid")
    request_id = _text(payload, "vnp_RequestId")
    if not request_id.isalnum() or len(request_id) > 32 or parse_vnpay_datetime(payload.get("vnp_TransactionDate")) is None:
        return _error(payload, "03", "Invalid request format")
    try:
        with session.begin_nested():
            session.add(SandboxRequestId(request_id=request_id, seen_at=now))
    except IntegrityError:
        return _error(payload, "94", "Duplicate request")
    payment = session.scalar(select(SandboxTransaction).where(
        SandboxTransaction.tmn_code == config.tmn_code, SandboxTransaction.txn_ref == _text(payload, "vnp_TxnRef"),
        SandboxTransaction.transaction_type == "01", SandboxTransaction.create_date == _text(payload, "vnp_TransactionDate"),
    ))
    if payment is None:  # a signed answer, so the merchant may act on it (expire its attempt)
        fields = QUERYDR_RESPONSE_FIELDS if command == "querydr" else REFUND_RESPONSE_FIELDS
        return _answer(payload, fields, config, vnp_ResponseCode="91", vnp_Message="Transaction not found")
    if command == "querydr":
        if payment.response_code == "" and payment.expires_at is not None and payment.expires_at < now:
            payment.response_code, payment.transaction_status = "11", "02"  # the window closed unpaid
        return _answer(payload, QUERYDR_RESPONSE_FIELDS, config, vnp_ResponseCode="00", vnp_Message="QueryDR Success",
                       **_transaction_fields(payment), vnp_PromotionCode="", vnp_PromotionAmount="")
    return _refund(session, payload, payment, config=config, now=now)


def _refund(session: Session, payload: Mapping[str, Any], payment: SandboxTransaction, *, config: VnpayConfig, now: datetime) -> dict:
    kind = _text(payload, "vnp_TransactionType")
    amount_text = _text(payload, "vnp_Amount")
    if kind not in ("02", "03") or not amount_text.isdigit() or int(amount_text) % 100 or int(amount_text) <= 0:
        return _error(payload, "03", "Invalid request format")
    amount = int(amount_text) // 100
    if payment.transaction_status != "00":
        return _error(payload, "95", "Transaction is not successful, cannot refund")
    refunded = session.scalar(select(func.coalesce(func.sum(SandboxTransaction.amount_vnd), 0)).where(
        SandboxTransaction.tmn_code == payment.tmn_code, SandboxTransaction.txn_ref == payment.txn_ref,
        SandboxTransaction.transaction_type.in_(("02", "03")),
    )) or 0
    remaining = payment.amount_vnd - refunded
    if amount > remaining or (kind == "02" and amount != remaining):
        return _error(payload, "95", "Refund amount exceeds what can be refunded")
    number = (session.scalar(select(func.count()).select_from(SandboxTransaction)) or 0) + 14_000_001
    refund = SandboxTransaction(
        tmn_code=payment.tmn_code, txn_ref=payment.txn_ref, transaction_no=str(number), transaction_type=kind,
        amount_vnd=amount, order_info=_text(payload, "vnp_OrderInfo")[:255], create_date=_text(payload, "vnp_CreateDate"),
        response_code="00", transaction_status="00", bank_code=payment.bank_code, pay_date=now.replace(microsecond=0),
        created_at=now,
    )
    session.add(refund)
    session.flush()
    return _answer(payload, REFUND_RESPONSE_FIELDS, config, vnp_ResponseCode="00", vnp_Message="Refund success",
                   **_transaction_fields(refund))


# --- daily transaction file ----------------------------------------------------------------------


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=GMT7)
    return start, start + timedelta(days=1)


def daily_file(session: Session, day: date, *, config: VnpayConfig, agency_code: str | None = None) -> Iterator[str]:
    """The terminal's successful payments and refunds of the day (by PayDate in GMT+7) as CSV lines.

    Agencies without a terminal of their own share the demo terminal in the sandbox; ``agency_code``
    keeps each one's file to its own transactions, as a terminal of its own would.
    """
    start, end = day_bounds(day)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FILE_COLUMNS)
    yield buffer.getvalue()
    query = select(SandboxTransaction).where(
        SandboxTransaction.tmn_code == config.tmn_code, SandboxTransaction.transaction_status == "00",
        SandboxTransaction.pay_date >= start, SandboxTransaction.pay_date < end,
    ).order_by(SandboxTransaction.pay_date, SandboxTransaction.id)
    if agency_code is not None:  # our vnp_TxnRef starts with the dossier code, which starts with the agency's
        query = query.where(SandboxTransaction.txn_ref.startswith(agency_code + "-", autoescape=True))
    rows = session.scalars(query)
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow((row.tmn_code, row.txn_ref, row.transaction_no, row.transaction_type, row.transaction_status,
                         row.amount_vnd, format_vnpay_datetime(row.pay_date), row.bank_code))
        yield buffer.getvalue()
