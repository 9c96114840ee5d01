"""Payment URL (vnp_Command=pay), the browser return / IPN parameters, and IPN answers."""
from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from postal_gateway.core.domain import N_

from .config import VERSION, VnpayConfig
from .signing import SECURE_HASH, format_vnpay_datetime, parse_vnpay_datetime, php_urlencode, sign, verify

LOCALES = ("vn", "en")
ORDER_INFO_MAX = 255
#: vnp_Amount is Numeric[1,12] and carries amount × 100
MAX_AMOUNT_VND = (10**12 - 1) // 100

_TXN_REF = re.compile(r"[A-Za-z0-9._-]{1,100}")
_BANK_CODE = re.compile(r"[A-Za-z0-9]{3,20}")
_ORDER_TYPE = re.compile(r"[A-Za-z0-9_]{1,100}")
#: what survives in vnp_OrderInfo: "Tiếng Việt không dấu", no special characters
_ORDER_INFO_DROP = re.compile(r"[^A-Za-z0-9 .,:;()/_-]")

#: vnp_ResponseCode of a payment (return URL / IPN), from VNPay's error-code table
RESPONSE_MESSAGES = {
    "00": N_("Giao dịch thành công"),
    "07": N_("Trừ tiền thành công, giao dịch bị nghi ngờ (liên quan tới lừa đảo, giao dịch bất thường)"),
    "09": N_("Thẻ/Tài khoản chưa đăng ký dịch vụ InternetBanking tại ngân hàng"),
    "10": N_("Xác thực thông tin thẻ/tài khoản không đúng quá 3 lần"),
    "11": N_("Đã hết hạn chờ thanh toán"),
    "12": N_("Thẻ/Tài khoản bị khóa"),
    "13": N_("Nhập sai mật khẩu xác thực giao dịch (OTP)"),
    "24": N_("Khách hàng hủy giao dịch"),
    "51": N_("Tài khoản không đủ số dư để thực hiện giao dịch"),
    "65": N_("Tài khoản đã vượt quá hạn mức giao dịch trong ngày"),
    "75": N_("Ngân hàng thanh toán đang bảo trì"),
    "79": N_("Nhập sai mật khẩu thanh toán quá số lần quy định"),
    "99": N_("Lỗi khác"),
}
UNKNOWN_RESPONSE = N_("Giao dịch không thành công")

#: vnp_TransactionStatus, VNPay's view of the transaction
TRANSACTION_STATUSES = {
    "00": N_("Giao dịch thành công"),
    "01": N_("Giao dịch chưa hoàn tất"),
    "02": N_("Giao dịch bị lỗi"),
    "04": N_("Giao dịch đảo (khách đã bị trừ tiền tại ngân hàng nhưng giao dịch chưa thành công ở VNPAY)"),
    "05": N_("VNPAY đang xử lý giao dịch hoàn tiền"),
    "06": N_("VNPAY đã gửi yêu cầu hoàn tiền sang ngân hàng"),
    "07": N_("Giao dịch bị nghi ngờ gian lận"),
    "09": N_("Giao dịch hoàn trả bị từ chối"),
}

#: what the IPN URL answers VNPay, word for word as in VNPay's vnpay_ipn.php
IPN_RESPONSES = {
    "00": "Confirm Success",
    "01": "Order not found",
    "02": "Order already confirmed",
    "04": "invalid amount",
    "97": "Invalid signature",
    "99": "Unknow error",
}


def ipn_response(code: str) -> dict[str, str]:
    """The JSON body for VNPay's IPN call: ``{"RspCode": code, "Message": ...}``."""
    if code not in IPN_RESPONSES:
        raise ValueError(f"unknown IPN response code {code!r}")
    return {"RspCode": code, "Message": IPN_RESPONSES[code]}


def amount_field(amount_vnd: object) -> int:
    """vnp_Amount for a positive whole number of VND (VNPay wants amount × 100)."""
    if isinstance(amount_vnd, bool) or not isinstance(amount_vnd, int):
        raise ValueError("amount must be a whole number of VND")
    if amount_vnd <= 0 or amount_vnd > MAX_AMOUNT_VND:
        raise ValueError(f"amount must be between 1 and {MAX_AMOUNT_VND} VND")
    return amount_vnd * 100


def clean_order_info(text: str) -> str:
    """Vietnamese without diacritics, no special characters, at most 255 characters."""
    if not isinstance(text, str):
        raise ValueError("order info must be text")
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    folded = "".join(char for char in folded if not unicodedata.combining(char))
    folded = _ORDER_INFO_DROP.sub(" ", folded)
    cleaned = " ".join(folded.split())[:ORDER_INFO_MAX].rstrip()
    if not cleaned:
        raise ValueError("order info is empty once special characters are removed")
    return cleaned


def check_txn_ref(txn_ref: object) -> str:
    if not isinstance(txn_ref, str) or not _TXN_REF.fullmatch(txn_ref):
        raise ValueError("txn_ref must be 1-100 letters, digits, '.', '_' or '-'")
    return txn_ref


def check_ip_address(ip_address: object) -> str:
    if not isinstance(ip_address, str):
        raise ValueError("ip_address must be an IPv4 or IPv6 address")
    try:
        return str(ipaddress.ip_address(ip_address))
    except ValueError:
        raise ValueError("ip_address must be an IPv4 or IPv6 address") from None


def payment_params(
    config: VnpayConfig,
    *,
    txn_ref: str,
    amount_vnd: int,
    order_info: str,
    ip_address: str,
    created_at: datetime,
    expire_minutes: int = 15,
    locale: str = "vn",
    bank_code: str | None = None,
    order_type: str = "other",
) -> dict[str, str]:
    """The unsigned vnp_ fields of a payment request; every argument is checked."""
    if isinstance(expire_minutes, bool) or not isinstance(expire_minutes, int) or expire_minutes <= 0:
        raise ValueError("expire_minutes must be a positive whole number")
    if locale not in LOCALES:
        raise ValueError("locale must be 'vn' or 'en'")
    if bank_code is not None and not _BANK_CODE.fullmatch(bank_code):
        raise ValueError("bank_code must be 3-20 letters or digits")
    if not isinstance(order_type, str) or not _ORDER_TYPE.fullmatch(order_type):
        raise ValueError("order_type must be a VNPay category code")
    params = {
        "vnp_Version": VERSION,
        "vnp_Command": "pay",
        "vnp_TmnCode": config.tmn_code,
        "vnp_Amount": str(amount_field(amount_vnd)),
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": check_txn_ref(txn_ref),
        "vnp_OrderInfo": clean_order_info(order_info),
        "vnp_OrderType": order_type,
        "vnp_Locale": locale,
        "vnp_ReturnUrl": config.return_url,
        "vnp_IpAddr": check_ip_address(ip_address),
        "vnp_CreateDate": format_vnpay_datetime(created_at),
        "vnp_ExpireDate": format_vnpay_datetime(created_at + timedelta(minutes=expire_minutes)),
    }
    if bank_code:
        params["vnp_BankCode"] = bank_code
    return params


def build_payment_url(
    config: VnpayConfig,
    *,
    txn_ref: str,
    amount_vnd: int,
    order_info: str,
    ip_address: str,
    created_at: datetime,
    expire_minutes: int = 15,
    locale: str = "vn",
    bank_code: str | None = None,
    order_type: str = "other",
) -> str:
    """The vpcpay.html address the citizen's browser is sent to, vnp_SecureHash last."""
    params = payment_params(
        config,
        txn_ref=txn_ref,
        amount_vnd=amount_vnd,
        order_info=order_info,
        ip_address=ip_address,
        created_at=created_at,
        expire_minutes=expire_minutes,
        locale=locale,
        bank_code=bank_code,
        order_type=order_type,
    )
    query = "&".join(f"{php_urlencode(key)}={php_urlencode(params[key])}" for key in sorted(params))
    separator = "&" if "?" in config.payment_url else "?"
    return f"{config.payment_url}{separator}{query}&{SECURE_HASH}={sign(params, config.hash_secret)}"


@dataclass(frozen=True)
class ReturnResult:
    """What VNPay reported on the return URL or the IPN call."""

    #: vnp_SecureHash signs the other vnp_ fields with our secret
    verified: bool
    txn_ref: str
    #: whole VND (vnp_Amount ÷ 100); None when the field is missing or not a multiple of 100
    amount_vnd: int | None
    response_code: str
    transaction_status: str
    #: VNPay's own transaction number, needed later for refunds
    transaction_no: str
    bank_code: str
    bank_tran_no: str
    card_type: str
    tmn_code: str
    order_info: str
    #: when the bank settled it, aware UTC; None when missing or malformed
    pay_date: datetime | None

    @property
    def succeeded(self) -> bool:
        """Paid: the signature holds and both the response code and the status are "00"."""
        return (
            self.verified
            and self.amount_vnd is not None
            and self.response_code == "00"
            and self.transaction_status == "00"
        )

    @property
    def message(self) -> str:
        """Vietnamese message id describing vnp_ResponseCode (translate with gettext)."""
        return RESPONSE_MESSAGES.get(self.response_code, UNKNOWN_RESPONSE)


def _text(params: Mapping[str, object], key: str) -> str:
    value = params.get(key)
    return value if isinstance(value, str) else ("" if value is None else str(value))


def parse_amount(value: object) -> int | None:
    """Whole VND from a vnp_Amount (× 100); None unless it is digits and a multiple of 100."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not text.isdigit() or not text.isascii():
        return None
    amount = int(text)
    if amount % 100:
        return None
    return amount // 100


def parse_return(params: Mapping[str, str], secret: str) -> ReturnResult:
    """Read the query of VNPay's return redirect or IPN call. Never raises on bad input."""
    return ReturnResult(
        verified=verify(params, secret),
        txn_ref=_text(params, "vnp_TxnRef"),
        amount_vnd=parse_amount(params.get("vnp_Amount")),
        response_code=_text(params, "vnp_ResponseCode"),
        transaction_status=_text(params, "vnp_TransactionStatus"),
        transaction_no=_text(params, "vnp_TransactionNo"),
        bank_code=_text(params, "vnp_BankCode"),
        bank_tran_no=_text(params, "vnp_BankTranNo"),
        card_type=_text(params, "vnp_CardType"),
        tmn_code=_text(params, "vnp_TmnCode"),
        order_info=_text(params, "vnp_OrderInfo"),
        pay_date=parse_vnpay_datetime(params.get("vnp_PayDate")),
    )
