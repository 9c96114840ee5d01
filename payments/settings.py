"""Which VNPay terminal we talk to: read from the environment, the local sandbox by default.

The secret is never logged: VnpayConfig keeps it out of its repr, and nothing here prints it.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

from payments.vnpay import VnpayConfig

#: the local sandbox's demo terminal; only ever valid against the sandbox served by this app
DEMO_TMN_CODE = "BPDEMO01"
DEMO_HASH_SECRET = "sandbox-demo-secret-not-for-production"
SANDBOX_PREFIX = "/payments/sandbox"
PAYMENT_PATH = SANDBOX_PREFIX + "/paymentv2/vpcpay.html"
API_PATH = SANDBOX_PREFIX + "/merchant_webapi/api/transaction"
RETURN_PATH = "/payments/vnpay/return"
IPN_PATH = "/payments/vnpay/ipn"


def vnpay_config(base_url: str, environ: Mapping[str, str] | None = None) -> VnpayConfig:
    """Settings from VNPAY_* variables; any left unset point at the local sandbox under ``base_url``."""
    env = os.environ if environ is None else environ
    base = base_url.rstrip("/")
    return VnpayConfig(
        tmn_code=env.get("VNPAY_TMN_CODE") or DEMO_TMN_CODE,
        hash_secret=env.get("VNPAY_HASH_SECRET") or DEMO_HASH_SECRET,
        payment_url=env.get("VNPAY_PAYMENT_URL") or base + PAYMENT_PATH,
        api_url=env.get("VNPAY_API_URL") or base + API_PATH,
        return_url=env.get("VNPAY_RETURN_URL") or base + RETURN_PATH,
    )


def is_local_sandbox(config: VnpayConfig, base_url: str) -> bool:
    """True when the merchant API is the sandbox served by this very app (called in-process)."""
    return config.api_url == base_url.rstrip("/") + API_PATH
