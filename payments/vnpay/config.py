"""Merchant settings for one VNPay terminal."""
from __future__ import annotations

from dataclasses import dataclass, field

SANDBOX_PAYMENT_URL = "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html"
SANDBOX_API_URL = "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction"

#: the protocol version this client speaks (HMAC-SHA512, no vnp_SecureHashType sent)
VERSION = "2.1.0"


@dataclass(frozen=True)
class VnpayConfig:
    #: terminal code VNPay issued to the merchant (vnp_TmnCode, 8 characters)
    tmn_code: str
    #: shared secret for vnp_SecureHash; kept out of repr so it never lands in a log
    hash_secret: str = field(repr=False)
    #: where the citizen's browser is sent to pay (vpcpay.html)
    payment_url: str
    #: merchant API endpoint for querydr and refund (JSON POST)
    api_url: str
    #: our page VNPay redirects the browser back to (vnp_ReturnUrl)
    return_url: str

    def __post_init__(self) -> None:
        missing = [
            name
            for name in ("tmn_code", "hash_secret", "payment_url", "api_url", "return_url")
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip()
        ]
        if missing:
            raise ValueError("VNPay settings missing: " + ", ".join(missing))
