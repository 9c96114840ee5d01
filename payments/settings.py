"""Where the local VNPay sandbox lives and what its demo terminal is.

The demo terminal and its secret are public (they are in this file): they are only ever valid against
the sandbox served by this app, and only while VNPAY_SANDBOX is on. Real terminals are data, one per
agency (payments.terminal_models), and their secrets come from the environment (payments.terminals).
The secret is never logged: VnpayConfig keeps it out of its repr, and nothing here prints it.
"""
from __future__ import annotations

from payments.vnpay import VnpayConfig

#: the local sandbox's demo terminal; only ever valid against the sandbox served by this app
DEMO_TMN_CODE = "BPDEMO01"
DEMO_HASH_SECRET = "sandbox-demo-secret-not-for-production"
SANDBOX_PREFIX = "/payments/sandbox"
PAYMENT_PATH = SANDBOX_PREFIX + "/paymentv2/vpcpay.html"
API_PATH = SANDBOX_PREFIX + "/merchant_webapi/api/transaction"
RETURN_PATH = "/payments/vnpay/return"
IPN_PATH = "/payments/vnpay/ipn"


def return_url(base_url: str, configured: str = "") -> str:
    """Our return page: VNPAY_RETURN_URL when set, else the one under PUBLIC_BASE_URL."""
    return configured or base_url.rstrip("/") + RETURN_PATH


def demo_config(base_url: str, *, tmn_code: str = DEMO_TMN_CODE, configured_return_url: str = "") -> VnpayConfig:
    """A demo terminal of the local sandbox served under ``base_url``."""
    base = base_url.rstrip("/")
    return VnpayConfig(
        tmn_code=tmn_code,
        hash_secret=DEMO_HASH_SECRET,
        payment_url=base + PAYMENT_PATH,
        api_url=base + API_PATH,
        return_url=return_url(base, configured_return_url),
    )

