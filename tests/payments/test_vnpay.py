"""VNPay client: expected hashes are hand-rolled here from the documented algorithm over literal strings."""
from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import urllib.error
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest

from payments import vnpay
from payments.vnpay import (
    GMT7,
    IPN_RESPONSES,
    VnpayConfig,
    VnpayTransportError,
    build_payment_url,
    build_querydr_request,
    build_refund_request,
    canonical_query,
    clean_order_info,
    ipn_response,
    parse_return,
    query_transaction,
    refund_transaction,
    sign,
    verify,
    verify_querydr_response,
    verify_refund_response,
)

SECRET = "TESTSECRETKEYFORVNPAYSANDBOX0001"
UTC = timezone.utc


def hand_hmac(data: str, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), data.encode(), hashlib.sha512).hexdigest()


@pytest.fixture()
def config():
    return VnpayConfig(
        tmn_code="DEMOV210",
        hash_secret=SECRET,
        payment_url="https://sandbox.vnpayment.vn/paymentv2/vpcpay.html",
        api_url="https://sandbox.vnpayment.vn/merchant_webapi/api/transaction",
        return_url="https://buudien.example.vn/payments/vnpay/return",
    )


# --- secure hash --------------------------------------------------------------------------------

DOC_PARAMS = {  # the parameter set of the example URL in VNPay's integration guide
    "vnp_Version": "2.1.0",
    "vnp_Command": "pay",
    "vnp_TmnCode": "DEMOV210",
    "vnp_Amount": "1806000",
    "vnp_CreateDate": "20210801153333",
    "vnp_CurrCode": "VND",
    "vnp_IpAddr": "127.0.0.1",
    "vnp_Locale": "vn",
    "vnp_OrderInfo": "Thanh toan don hang :5",
    "vnp_OrderType": "other",
    "vnp_ReturnUrl": "https://domainmerchant.vn/ReturnUrl",
    "vnp_TxnRef": "5",
}
DOC_CANONICAL = (
    "vnp_Amount=1806000&vnp_Command=pay&vnp_CreateDate=20210801153333&vnp_CurrCode=VND"
    "&vnp_IpAddr=127.0.0.1&vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+don+hang+%3A5&vnp_OrderType=other"
    "&vnp_ReturnUrl=https%3A%2F%2Fdomainmerchant.vn%2FReturnUrl&vnp_TmnCode=DEMOV210&vnp_TxnRef=5"
    "&vnp_Version=2.1.0"
)


def test_canonical_string_matches_vnpay_guide_and_hash_is_hmac_sha512_of_it():
    assert canonical_query(DOC_PARAMS) == DOC_CANONICAL
    digest = sign(DOC_PARAMS, SECRET)
    assert digest == hand_hmac(DOC_CANONICAL)
    assert re.fullmatch(r"[0-9a-f]{128}", digest)


def test_sign_drops_empty_values():
    with_empty = dict(DOC_PARAMS, vnp_BankCode="")
    assert canonical_query(with_empty) == DOC_CANONICAL
    assert sign(with_empty, SECRET) == sign(DOC_PARAMS, SECRET)


def test_sign_encodes_space_as_plus_and_vietnamese_as_utf8_and_tilde_like_php():
    params = {"vnp_OrderInfo": "Thanh toán lệ phí ~ 50%", "vnp_TxnRef": "A 1"}
    expected = "vnp_OrderInfo=Thanh+to%C3%A1n+l%E1%BB%87+ph%C3%AD+%7E+50%25&vnp_TxnRef=A+1"
    assert canonical_query(params) == expected
    assert sign(params, SECRET) == hand_hmac(expected)


def test_sign_changes_with_secret_and_with_any_value():
    base = sign(DOC_PARAMS, SECRET)
    assert sign(DOC_PARAMS, SECRET + "x") != base
    assert sign(dict(DOC_PARAMS, vnp_Amount="1806100"), SECRET) != base


def signed(params: dict, secret: str = SECRET) -> dict:
    return dict(params, vnp_SecureHash=hand_hmac(canonical_query(params), secret))


def test_verify_accepts_own_signature_in_any_case_and_ignores_foreign_fields():
    params = signed(DOC_PARAMS)
    assert verify(params, SECRET)
    assert verify(dict(params, vnp_SecureHash=params["vnp_SecureHash"].upper()), SECRET)
    # vnp_SecureHashType and non-vnp_ keys (our own query string) are outside the signature
    assert verify(dict(params, vnp_SecureHashType="HmacSHA512", session="abc"), SECRET)


@pytest.mark.parametrize(
    "field, value",
    [("vnp_Amount", "180600000"), ("vnp_TxnRef", "6"), ("vnp_ResponseCode", "00"), ("vnp_OrderInfo", "x")],
)
def test_verify_detects_tampering(field, value):
    params = signed(DOC_PARAMS)
    params[field] = value
    assert not verify(params, SECRET)


def test_verify_refuses_missing_wrong_or_junk_hash_without_raising():
    params = dict(DOC_PARAMS)
    assert not verify(params, SECRET)
    assert not verify(dict(params, vnp_SecureHash=""), SECRET)
    assert not verify(dict(params, vnp_SecureHash="0" * 128), SECRET)
    assert not verify(dict(params, vnp_SecureHash="ữ" * 128), SECRET)
    assert not verify(signed(DOC_PARAMS, secret="other-secret"), SECRET)


def test_verify_accepts_a_signature_that_kept_empty_values():
    params = dict(DOC_PARAMS, vnp_BankTranNo="")
    kept = canonical_query(params, drop_empty=False)
    assert "vnp_BankTranNo=&" in kept
    assert verify(dict(params, vnp_SecureHash=hand_hmac(kept)), SECRET)
    assert verify(dict(params, vnp_SecureHash=hand_hmac(DOC_CANONICAL)), SECRET)


# --- payment URL --------------------------------------------------------------------------------

def url_params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def make_url(config, **overrides):
    arguments = dict(
        txn_ref="000.00.20.H10-240315-0007",
        amount_vnd=150_000,
        order_info="Lệ phí cấp giấy phép Đài PT-TH: 150.000đ",
        ip_address="113.160.92.202",
        created_at=datetime(2024, 3, 15, 2, 30, 0, tzinfo=UTC),
    )
    arguments.update(overrides)
    return build_payment_url(config, **arguments)


def test_payment_url_carries_documented_fields(config):
    url = make_url(config, bank_code="NCB")
    assert url.startswith("https://sandbox.vnpayment.vn/paymentv2/vpcpay.html?")
    params = url_params(url)
    assert params == {
        "vnp_Version": "2.1.0",
        "vnp_Command": "pay",
        "vnp_TmnCode": "DEMOV210",
        "vnp_Amount": "15000000",
        "vnp_CurrCode": "VND",
        "vnp_TxnRef": "000.00.20.H10-240315-0007",
        "vnp_OrderInfo": "Le phi cap giay phep Dai PT-TH: 150.000d",
        "vnp_OrderType": "other",
        "vnp_Locale": "vn",
        "vnp_ReturnUrl": "https://buudien.example.vn/payments/vnpay/return",
        "vnp_IpAddr": "113.160.92.202",
        "vnp_CreateDate": "20240315093000",
        "vnp_ExpireDate": "20240315094500",
        "vnp_BankCode": "NCB",
        "vnp_SecureHash": params["vnp_SecureHash"],
    }
    assert "vnp_SecureHashType" not in params
    assert SECRET not in url


def test_payment_url_query_is_the_canonical_string_then_its_hash(config):
    url = make_url(config)
    query = urlsplit(url).query
    body, _, digest = query.rpartition("&vnp_SecureHash=")
    expected_body = (
        "vnp_Amount=15000000&vnp_Command=pay&vnp_CreateDate=20240315093000&vnp_CurrCode=VND"
        "&vnp_ExpireDate=20240315094500&vnp_IpAddr=113.160.92.202&vnp_Locale=vn"
        "&vnp_OrderInfo=Le+phi+cap+giay+phep+Dai+PT-TH%3A+150.000d&vnp_OrderType=other"
        "&vnp_ReturnUrl=https%3A%2F%2Fbuudien.example.vn%2Fpayments%2Fvnpay%2Freturn"
        "&vnp_TmnCode=DEMOV210&vnp_TxnRef=000.00.20.H10-240315-0007&vnp_Version=2.1.0"
    )
    assert body == expected_body
    assert digest == hand_hmac(expected_body)
    assert verify(url_params(url), SECRET)


def test_dates_are_gmt7_whatever_the_zone_of_created_at(config):
    new_york = datetime(2024, 3, 14, 22, 30, 0, tzinfo=ZoneInfo("America/New_York"))  # EDT, = 02:30 UTC
    params = url_params(make_url(config, created_at=new_york))
    assert params["vnp_CreateDate"] == "20240315093000"
    winter = datetime(2024, 1, 14, 22, 30, 0, tzinfo=ZoneInfo("America/New_York"))  # EST, = 03:30 UTC
    assert url_params(make_url(config, created_at=winter))["vnp_CreateDate"] == "20240115103000"
    late = datetime(2024, 12, 31, 20, 0, 0, tzinfo=UTC)  # the day already changed in Hà Nội
    assert url_params(make_url(config, created_at=late))["vnp_CreateDate"] == "20250101030000"


def test_expiry_follows_expire_minutes(config):
    params = url_params(make_url(config, expire_minutes=60 * 24))
    assert params["vnp_ExpireDate"] == "20240316093000"
    for bad in (0, -5, 1.5, True):
        with pytest.raises(ValueError):
            make_url(config, expire_minutes=bad)


def test_naive_datetime_is_refused(config):
    with pytest.raises(ValueError):
        make_url(config, created_at=datetime(2024, 3, 15, 9, 30))


@pytest.mark.parametrize("amount", [0, -1000, 1500.0, True, "150000", None, 10**10])
def test_amount_must_be_a_positive_int(config, amount):
    with pytest.raises(ValueError):
        make_url(config, amount_vnd=amount)


def test_amount_is_multiplied_by_100(config):
    assert url_params(make_url(config, amount_vnd=1))["vnp_Amount"] == "100"
    assert url_params(make_url(config, amount_vnd=9_999_999_999))["vnp_Amount"] == "999999999900"


def test_locale_bank_code_txn_ref_and_ip_are_checked(config):
    assert url_params(make_url(config, locale="en"))["vnp_Locale"] == "en"
    assert "vnp_BankCode" not in url_params(make_url(config, bank_code=None))
    for bad in [dict(locale="vi"), dict(bank_code="N C B"), dict(txn_ref=""), dict(txn_ref="a&b"),
                dict(txn_ref="x" * 101), dict(ip_address="localhost"), dict(ip_address=16909060), dict(order_type="a b"),
                dict(order_info="!!!"), dict(order_info="")]:
        with pytest.raises(ValueError):
            make_url(config, **bad)
    assert url_params(make_url(config, ip_address="2001:db8::1"))["vnp_IpAddr"] == "2001:db8::1"


def test_order_info_is_folded_to_ascii_and_capped():
    assert clean_order_info("Đơn hàng số 5 — phí: 30.000đ (bưu chính)") == "Don hang so 5 phi: 30.000d (buu chinh)"
    assert clean_order_info("  Ứng   dụng\nmới & <script>  ") == "Ung dung moi script"
    assert clean_order_info("ƯỚC ĐỊNH ữ") == "UOC DINH u"
    long = clean_order_info("Thanh toán " * 60)
    assert len(long) <= 255 and long.isascii() and not long.endswith(" ")


def test_config_repr_and_str_never_show_the_secret(config):
    assert SECRET not in repr(config)
    assert SECRET not in str(config)
    assert "DEMOV210" in repr(config)
    with pytest.raises(ValueError):
        VnpayConfig(tmn_code="X", hash_secret="", payment_url="u", api_url="u", return_url="u")


# --- return URL / IPN ---------------------------------------------------------------------------

def vnpay_return(response_code="00", transaction_status="00", **extra):
    params = {
        "vnp_Amount": "15000000",
        "vnp_BankCode": "NCB",
        "vnp_BankTranNo": "VNP14422574",
        "vnp_CardType": "ATM",
        "vnp_OrderInfo": "Le phi cap giay phep",
        "vnp_PayDate": "20240315094102",
        "vnp_ResponseCode": response_code,
        "vnp_TmnCode": "DEMOV210",
        "vnp_TransactionNo": "14422574",
        "vnp_TransactionStatus": transaction_status,
        "vnp_TxnRef": "000.00.20.H10-240315-0007",
    }
    params.update(extra)
    return signed(params)


def test_parse_return_success():
    result = parse_return(vnpay_return(), SECRET)
    assert result.verified and result.succeeded
    assert result.txn_ref == "000.00.20.H10-240315-0007"
    assert result.amount_vnd == 150_000
    assert result.transaction_no == "14422574"
    assert result.bank_code == "NCB"
    assert result.pay_date == datetime(2024, 3, 15, 9, 41, 2, tzinfo=GMT7)
    assert result.pay_date == datetime(2024, 3, 15, 2, 41, 2, tzinfo=UTC)
    assert result.pay_date.utcoffset() == timedelta(0)
    assert result.message == "Giao dịch thành công"


@pytest.mark.parametrize(
    "code, status, message",
    [
        ("24", "02", "Khách hàng hủy giao dịch"),
        ("51", "02", "Tài khoản không đủ số dư để thực hiện giao dịch"),
        ("11", "02", "Đã hết hạn chờ thanh toán"),
        ("00", "01", "Giao dịch thành công"),  # response ok but VNPay's status not final: not paid
    ],
)
def test_parse_return_failures_are_verified_but_not_succeeded(code, status, message):
    result = parse_return(vnpay_return(code, status), SECRET)
    assert result.verified
    assert not result.succeeded
    assert result.response_code == code
    assert result.message == message


def test_parse_return_tampered_or_malformed_never_succeeds():
    tampered = vnpay_return()
    tampered["vnp_Amount"] = "100"
    result = parse_return(tampered, SECRET)
    assert not result.verified and not result.succeeded
    odd = parse_return(vnpay_return(vnp_Amount="15000050", vnp_PayDate="2024-03-15"), SECRET)
    assert odd.verified and odd.amount_vnd is None and odd.pay_date is None and not odd.succeeded
    empty = parse_return({}, SECRET)
    assert not empty.verified and empty.txn_ref == "" and empty.amount_vnd is None


def test_ipn_responses_use_vnpay_messages():
    assert ipn_response("00") == {"RspCode": "00", "Message": "Confirm Success"}
    assert ipn_response("97") == {"RspCode": "97", "Message": "Invalid signature"}
    assert IPN_RESPONSES == {
        "00": "Confirm Success",
        "01": "Order not found",
        "02": "Order already confirmed",
        "04": "invalid amount",
        "97": "Invalid signature",
        "99": "Unknow error",
    }
    with pytest.raises(ValueError):
        ipn_response("42")


# --- merchant API: querydr and refund -----------------------------------------------------------

PAID_AT = datetime(2024, 3, 15, 2, 30, 0, tzinfo=UTC)  # vnp_CreateDate of the payment: 20240315093000
NOW = datetime(2024, 3, 16, 1, 0, 0, tzinfo=UTC)  # 20240316080000 in GMT+7


def test_querydr_request_signature_field_by_field(config):
    body = build_querydr_request(
        config, txn_ref="000.00.20.H10-240315-0007", transaction_date=PAID_AT,
        ip_address="10.1.2.3", request_id="abc123", order_info="Truy vấn giao dịch", now=NOW,
    )
    expected = "abc123|2.1.0|querydr|DEMOV210|000.00.20.H10-240315-0007|20240315093000|20240316080000|10.1.2.3|Truy van giao dich"
    assert body == {
        "vnp_RequestId": "abc123",
        "vnp_Version": "2.1.0",
        "vnp_Command": "querydr",
        "vnp_TmnCode": "DEMOV210",
        "vnp_TxnRef": "000.00.20.H10-240315-0007",
        "vnp_OrderInfo": "Truy van giao dich",
        "vnp_TransactionDate": "20240315093000",
        "vnp_CreateDate": "20240316080000",
        "vnp_IpAddr": "10.1.2.3",
        "vnp_SecureHash": hand_hmac(expected),
    }


def test_request_ids_are_unique_uuid_hex(config):
    ids = {
        build_querydr_request(config, txn_ref="T1", transaction_date=PAID_AT, ip_address="10.1.2.3", now=NOW)[
            "vnp_RequestId"
        ]
        for _ in range(50)
    }
    assert len(ids) == 50
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    for bad in ("", "x" * 33, "a-b"):
        with pytest.raises(ValueError):
            build_querydr_request(config, txn_ref="T1", transaction_date=PAID_AT, ip_address="10.1.2.3",
                                  now=NOW, request_id=bad)
    with pytest.raises(ValueError):
        build_querydr_request(config, txn_ref="T1", transaction_date=datetime(2024, 3, 15), ip_address="10.1.2.3",
                              now=NOW)


def refund_body(config, **overrides):
    arguments = dict(
        txn_ref="000.00.20.H10-240315-0007", amount_vnd=50_000, transaction_type="03",
        transaction_date=PAID_AT, created_by="nv.hanoi01", ip_address="10.1.2.3",
        transaction_no="14422574", order_info="Hoàn lệ phí một phần", request_id="r42", now=NOW,
    )
    arguments.update(overrides)
    return build_refund_request(config, **arguments)


def test_refund_request_signature_field_by_field(config):
    body = refund_body(config)
    expected = (
        "r42|2.1.0|refund|DEMOV210|03|000.00.20.H10-240315-0007|5000000|14422574|20240315093000"
        "|nv.hanoi01|20240316080000|10.1.2.3|Hoan le phi mot phan"
    )
    assert body["vnp_SecureHash"] == hand_hmac(expected)
    assert body["vnp_Amount"] == 5_000_000
    assert body["vnp_Command"] == "refund"
    assert body["vnp_TransactionType"] == "03"
    assert body["vnp_CreateBy"] == "nv.hanoi01"


def test_refund_without_transaction_no_sends_zero_like_vnpay_demo(config):
    body = refund_body(config, transaction_no="", transaction_type="02", amount_vnd=150_000)
    assert body["vnp_TransactionNo"] == "0"
    assert body["vnp_SecureHash"] == hand_hmac(
        "r42|2.1.0|refund|DEMOV210|02|000.00.20.H10-240315-0007|15000000|0|20240315093000"
        "|nv.hanoi01|20240316080000|10.1.2.3|Hoan le phi mot phan"
    )


@pytest.mark.parametrize(
    "override",
    [dict(transaction_type="01"), dict(amount_vnd=0), dict(amount_vnd=1.0), dict(created_by=""),
     dict(created_by="a|b"), dict(transaction_no="12a"), dict(now=datetime(2024, 3, 16))],
)
def test_refund_request_refuses_bad_input(config, override):
    with pytest.raises(ValueError):
        refund_body(config, **override)


def querydr_answer(**overrides):
    data = {
        "vnp_ResponseId": "4f0c3bb0b1a6",
        "vnp_Command": "querydr",
        "vnp_ResponseCode": "00",
        "vnp_Message": "QueryDR Success",
        "vnp_TmnCode": "DEMOV210",
        "vnp_TxnRef": "000.00.20.H10-240315-0007",
        "vnp_Amount": "15000000",
        "vnp_BankCode": "NCB",
        "vnp_PayDate": "20240315094102",
        "vnp_TransactionNo": "14422574",
        "vnp_TransactionType": "01",
        "vnp_TransactionStatus": "00",
        "vnp_OrderInfo": "Le phi cap giay phep",
        "vnp_PromotionCode": "",
        "vnp_PromotionAmount": "",
    }
    data.update(overrides)
    line = (
        f"{data['vnp_ResponseId']}|{data['vnp_Command']}|{data['vnp_ResponseCode']}|{data['vnp_Message']}"
        f"|{data['vnp_TmnCode']}|{data['vnp_TxnRef']}|{data['vnp_Amount']}|{data['vnp_BankCode']}"
        f"|{data['vnp_PayDate']}|{data['vnp_TransactionNo']}|{data['vnp_TransactionType']}"
        f"|{data['vnp_TransactionStatus']}|{data['vnp_OrderInfo']}|{data['vnp_PromotionCode']}"
        f"|{data['vnp_PromotionAmount']}"
    )
    data["vnp_SecureHash"] = hand_hmac(line)
    return data


def refund_answer(**overrides):
    data = {
        "vnp_ResponseId": "9a1e", "vnp_Command": "refund", "vnp_ResponseCode": "00",
        "vnp_Message": "Refund success", "vnp_TmnCode": "DEMOV210", "vnp_TxnRef": "000.00.20.H10-240315-0007",
        "vnp_Amount": "5000000", "vnp_BankCode": "NCB", "vnp_PayDate": "20240316080012",
        "vnp_TransactionNo": "14422999", "vnp_TransactionType": "03", "vnp_TransactionStatus": "05",
        "vnp_OrderInfo": "Hoan le phi mot phan",
    }
    data.update(overrides)
    line = "|".join(data[k] for k in (
        "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode", "vnp_TxnRef",
        "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType",
        "vnp_TransactionStatus", "vnp_OrderInfo"))
    data["vnp_SecureHash"] = hand_hmac(line)
    return data


def test_response_verification_over_documented_field_order():
    assert verify_querydr_response(querydr_answer(), SECRET)
    assert verify_refund_response(refund_answer(), SECRET)
    assert not verify_querydr_response(refund_answer(), SECRET)
    for field in ("vnp_Amount", "vnp_TransactionStatus", "vnp_PromotionAmount"):
        tampered = querydr_answer()
        tampered[field] = "1"
        assert not verify_querydr_response(tampered, SECRET), field
    no_hash = refund_answer()
    del no_hash["vnp_SecureHash"]
    assert not verify_refund_response(no_hash, SECRET)
    assert not verify_refund_response(refund_answer(), "other-secret")


def test_response_verification_accepts_numbers_and_missing_fields():
    data = querydr_answer()
    del data["vnp_PromotionCode"], data["vnp_PromotionAmount"]  # absent fields sign as empty
    assert verify_querydr_response(data, SECRET)
    as_number = dict(data, vnp_Amount=15000000)
    assert verify_querydr_response(as_number, SECRET)


class FakeTransport:
    def __init__(self, answer):
        self.answer = answer
        self.calls = []

    def __call__(self, url, payload, timeout):
        self.calls.append((url, payload, timeout))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_query_transaction_through_fake_transport(config):
    transport = FakeTransport(querydr_answer())
    result = query_transaction(
        config, txn_ref="000.00.20.H10-240315-0007", transaction_date=PAID_AT, ip_address="10.1.2.3",
        now=NOW, transport=transport, timeout=5,
    )
    (url, payload, timeout), = transport.calls
    assert url == config.api_url and timeout == 5
    assert payload["vnp_Command"] == "querydr" and payload["vnp_TransactionDate"] == "20240315093000"
    assert result.verified and result.succeeded and result.paid
    assert result.amount_vnd == 150_000
    assert result.transaction_no == "14422574"
    assert result.pay_date == datetime(2024, 3, 15, 2, 41, 2, tzinfo=UTC)


def test_query_transaction_distrusts_answers_about_something_else(config):
    for answer in (querydr_answer(vnp_TxnRef="OTHER"), querydr_answer(vnp_TmnCode="OTHER123"),
                   dict(querydr_answer(), vnp_SecureHash="00")):
        result = query_transaction(config, txn_ref="000.00.20.H10-240315-0007", transaction_date=PAID_AT,
                                   ip_address="10.1.2.3", now=NOW, transport=FakeTransport(answer))
        assert not result.verified and not result.succeeded and not result.paid
    not_found = query_transaction(config, txn_ref="000.00.20.H10-240315-0007", transaction_date=PAID_AT,
                                  ip_address="10.1.2.3", now=NOW,
                                  transport=FakeTransport(querydr_answer(vnp_ResponseCode="91",
                                                                         vnp_TransactionStatus="")))
    assert not_found.verified and not not_found.succeeded and not_found.response_code == "91"


def test_refund_transaction_through_fake_transport(config):
    transport = FakeTransport(refund_answer())
    result = refund_transaction(
        config, txn_ref="000.00.20.H10-240315-0007", amount_vnd=50_000, transaction_type="03",
        transaction_date=PAID_AT, created_by="nv.hanoi01", ip_address="10.1.2.3",
        order_info="Hoàn lệ phí một phần", transaction_no="14422574", now=NOW, transport=transport,
    )
    payload = transport.calls[0][1]
    assert payload["vnp_Command"] == "refund" and payload["vnp_Amount"] == 5_000_000
    assert result.verified and result.succeeded
    assert result.amount_vnd == 50_000 and result.transaction_type == "03"


def test_transport_failure_propagates(config):
    with pytest.raises(VnpayTransportError):
        query_transaction(config, txn_ref="T1", transaction_date=PAID_AT, ip_address="10.1.2.3", now=NOW,
                          transport=FakeTransport(VnpayTransportError("down")))


def test_post_json_sends_json_and_reports_failures(monkeypatch):
    seen = {}

    class Response(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(request, timeout):
        seen.update(url=request.full_url, body=json.loads(request.data), timeout=timeout,
                    content_type=request.get_header("Content-type"), method=request.get_method())
        return Response(seen.get("answer", b'{"vnp_ResponseCode": "00"}'))

    monkeypatch.setattr(vnpay.merchant_api.urllib.request, "urlopen", fake_urlopen)
    assert vnpay.post_json("https://api.example/x", {"a": "1"}, 7) == {"vnp_ResponseCode": "00"}
    assert seen["body"] == {"a": "1"} and seen["timeout"] == 7
    assert seen["content_type"] == "application/json" and seen["method"] == "POST"

    for answer in (b"<html>", b"[1, 2]", b"\xff\xfe"):
        seen["answer"] = answer
        with pytest.raises(VnpayTransportError):
            vnpay.post_json("https://api.example/x", {}, 7)

    def unreachable(request, timeout):
        raise urllib.error.URLError("connection refused")

    monkeypatch.setattr(vnpay.merchant_api.urllib.request, "urlopen", unreachable)
    with pytest.raises(VnpayTransportError):
        vnpay.post_json("https://api.example/x", {}, 7)


# --- properties ---------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_vnp_keys = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12).map(
    lambda name: "vnp_" + name
)


@settings(deadline=None)  # examples: the profile chosen in tests/conftest.py
@given(st.dictionaries(_vnp_keys, st.text(max_size=40), max_size=8))
def test_any_signed_parameter_set_verifies_and_any_change_is_caught(params):
    params.pop("vnp_SecureHash", None)
    params.pop("vnp_SecureHashType", None)
    signed_params = dict(params, vnp_SecureHash=sign(params, SECRET))
    assert verify(signed_params, SECRET)
    non_empty = [key for key, value in params.items() if value]
    if non_empty:
        signed_params[non_empty[0]] += "x"
        assert not verify(signed_params, SECRET)


@settings(deadline=None)  # examples: the profile chosen in tests/conftest.py
@given(st.dictionaries(st.text(max_size=15), st.text(max_size=30), max_size=10))
def test_parse_return_never_raises_on_arbitrary_query(params):
    result = parse_return(params, SECRET)
    assert not result.succeeded


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_cleaned_order_info_is_always_safe(text):
    try:
        cleaned = clean_order_info(text)
    except ValueError:
        return
    assert 1 <= len(cleaned) <= 255
    assert re.fullmatch(r"[A-Za-z0-9 .,:;()/_-]+", cleaned)
    assert cleaned == cleaned.strip() and "  " not in cleaned
