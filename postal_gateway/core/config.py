"""Settings read from the environment, with defaults that are safe on a fresh machine.

This is the only module that reads the environment (``tests/core/test_settings_one_place.py`` walks the
packages to keep it so): ``Settings.from_environment`` reads every variable once, when the app or the
worker is built, and the rest of the code is handed the ``Settings`` object it was built with.
Every variable is listed, with its default, in the README's configuration table.

Nothing secret is committed: the secret key is generated on first run and kept under
``instance/``, which git ignores.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_INSTANCE_DIR = PROJECT_ROOT / "instance"
#: the share of a clock's time after which it is "at risk" when TRACKING_AT_RISK_SHARE says nothing usable
DEFAULT_AT_RISK_SHARE = 0.75


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _at_risk_share(value: str) -> float:
    """A share strictly between 0 and 1; anything else falls back to the default."""
    try:
        share = float(value)
    except ValueError:
        return DEFAULT_AT_RISK_SHARE
    return share if 0 < share < 1 else DEFAULT_AT_RISK_SHARE


#: Điều 18.2.d as the seed writes it; operators set PROVINCE_PORTAL_ADDRESSES when the province changes
DEFAULT_PORTAL_ADDRESSES = "http://www.binhphuoc.gov.vn; dichvucong.binhphuoc.gov.vn"
#: Điều 18.2.đ as the seed writes it
DEFAULT_ZALO_LOOKUP_NAME = "BP-công dân và công vụ"


def shipment_prefix(value: str) -> str:
    """The two letters that open every shipment number (UPU S10 service indicator); refused unless two
    letters A-Z, since a wrong prefix would print unreadable numbers on every consignment slip."""
    prefix = value.strip().upper()
    if len(prefix) != 2 or not prefix.isascii() or not prefix.isalpha():
        raise ValueError(f"SHIPMENT_PREFIX must be two letters A-Z, not {value!r}")
    return prefix


def load_or_create_secret_key(instance_dir: Path) -> str:
    """Keep one random key per installation so sessions survive restarts."""
    key_file = instance_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: two processes starting at once must agree on one key, not overwrite each other.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


@dataclass
class Settings:
    instance_dir: Path = DEFAULT_INSTANCE_DIR
    database_url: str = ""
    broker_url: str = ""
    secret_key: str = ""
    #: public base address printed in QR codes and messages
    public_base_url: str = "http://127.0.0.1:8000"
    #: largest accepted scan, in bytes
    max_upload_bytes: int = 10 * 1024 * 1024
    #: session cookies only over HTTPS in production
    secure_cookies: bool = False
    #: bearer token a Prometheus scraper sends to /metrics; empty: only an operator's session
    metrics_token: str = ""
    #: an empty directory where each gunicorn worker writes its metrics, summed on /metrics; empty: one
    #: process. prometheus_client also reads the variable itself, to know where each process writes.
    prometheus_multiproc_dir: str = ""
    #: where rate-limit counts live: memory:// for one process, redis://host:6379/0 shared by every worker
    ratelimit_storage_uri: str = "memory://"
    #: reverse proxies in front of the app whose X-Forwarded-For is trusted (0: none, use the peer address)
    trusted_proxy_count: int = 0
    #: run Celery tasks inline; only ever set by unit tests that say so
    task_always_eager: bool = False
    testing: bool = False
    #: serve the local VNPay sandbox (a development tool: `make run` and the tests turn it on)
    vnpay_sandbox: bool = False
    #: the development outbox writes delivered messages, one-time codes included, to the worker's log
    #: (`make run` turns it on; refused beside a real SMS or e-mail gateway)
    development_messages: bool = False
    #: every VNPAY_HASH_SECRET* variable by name; a merchant terminal names the one holding its secret
    vnpay_hash_secrets: dict[str, str] = field(default_factory=dict, repr=False)
    #: where VNPay sends the citizen's browser back; empty means PUBLIC_BASE_URL + /payments/vnpay/return
    vnpay_return_url: str = ""
    #: single-terminal variables of earlier versions that are set: terminals are per agency now
    vnpay_retired_variables: tuple[str, ...] = ()
    #: the sandbox calls the IPN over HTTP at this address; empty: in-process
    payments_sandbox_ipn_url: str = ""
    #: "json": one JSON object per log line; anything else leaves Python's logging as it is
    log_format: str = "json"
    log_level: str = "INFO"
    #: RabbitMQ of the integration events; empty: CELERY_BROKER_URL when that is RabbitMQ
    #: (``integration.relay.amqp_url``)
    integration_amqp_url: str = ""
    #: HTTP SMS gateway; empty: text messages stay in the development outbox
    notify_sms_url: str = ""
    notify_sms_token: str = field(default="", repr=False)
    notify_sms_sender: str = "BUUDIEN"
    notify_sms_timeout: float = 10.0
    #: SMTP server; empty: e-mails stay in the development outbox
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = "no-reply@localhost"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_starttls: bool = False
    #: the provincial one-stop system's address; empty: the development connector only logs
    onestop_url: str = ""
    onestop_token: str = field(default="", repr=False)
    onestop_timeout: float = 10.0
    #: share of an SLA clock's time after which it is shown "at risk"
    tracking_at_risk_share: float = DEFAULT_AT_RISK_SHARE
    #: the two letters of every shipment number (UPU S10), e.g. RA for a registered letter
    shipment_prefix: str = "RA"
    #: Điều 18.2.d: where citizens look procedures and dossiers up on the province's portal (back of form 01)
    province_portal_addresses: str = DEFAULT_PORTAL_ADDRESSES
    #: Điều 18.2.đ: the Zalo account that answers dossier lookups (back of form 01)
    zalo_lookup_name: str = DEFAULT_ZALO_LOOKUP_NAME
    #: Điều 18.2.b: phone of the Phòng Tổng hợp, Văn phòng UBND tỉnh; empty prints a dotted line
    province_office_phone: str = ""
    #: Điều 18.2.c: phone of the Thường trực Tổ Kiểm tra Cải cách hành chính; empty prints a dotted line
    inspection_team_phone: str = ""
    #: serve the local Zalo sandbox and send Zalo notices to it (`make run` and the tests turn it on; refused
    #: beside a real ZALO_APP_ID)
    zalo_sandbox: bool = False
    #: the Zalo app linked to the province's Official Account (developers.zalo.me); empty: no Zalo channel
    #: unless the sandbox is on
    zalo_app_id: str = ""
    zalo_app_secret: str = field(default="", repr=False)
    #: the OA secret key of the webhook (signs X-ZEvent-Signature)
    zalo_oa_secret_key: str = field(default="", repr=False)
    #: the first refresh token (from the OA's authorisation); later ones are rotated in the database
    zalo_refresh_token: str = field(default="", repr=False)
    #: Zalo's endpoints; the sandbox replaces them with its own under PUBLIC_BASE_URL
    zalo_oauth_url: str = "https://oauth.zaloapp.com/v4/oa/access_token"
    zalo_zns_url: str = "https://business.openapi.zalo.me/message/template"
    zalo_oa_message_url: str = "https://openapi.zalo.me/v3.0/oa/message/cs"
    zalo_timeout: float = 10.0
    #: our template name -> the ZNS template id Zalo approved (ZALO_TEMPLATE_<NAME>, e.g. ZALO_TEMPLATE_RECEIVED)
    zalo_template_ids: dict[str, str] = field(default_factory=dict)
    #: "offline" (bundled administrative units) or "nominatim" (OpenStreetMap, over the network)
    postal_geocoder: str = "offline"
    postal_geocoder_user_agent: str = "postal-gateway"
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_environment(cls, **overrides) -> "Settings":
        instance_dir = Path(os.environ.get("INSTANCE_DIR", DEFAULT_INSTANCE_DIR))
        settings = cls(
            instance_dir=instance_dir,
            database_url=os.environ.get(
                "DATABASE_URL", f"sqlite:///{instance_dir / 'postal_gateway.sqlite'}"
            ),
            broker_url=os.environ.get(
                "CELERY_BROKER_URL", f"sqla+sqlite:///{instance_dir / 'broker.sqlite'}"
            ),
            secret_key=os.environ.get("SECRET_KEY", ""),
            public_base_url=os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
            max_upload_bytes=int(os.environ.get("MAX_UPLOAD_BYTES", 10 * 1024 * 1024)),
            secure_cookies=_env_bool("SECURE_COOKIES", False),
            metrics_token=os.environ.get("METRICS_TOKEN", ""),
            prometheus_multiproc_dir=os.environ.get("PROMETHEUS_MULTIPROC_DIR", ""),
            ratelimit_storage_uri=os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
            trusted_proxy_count=int(os.environ.get("TRUSTED_PROXY_COUNT", 0)),
            vnpay_sandbox=_env_bool("VNPAY_SANDBOX", False),
            development_messages=_env_bool("DEVELOPMENT_MESSAGES", False),
            vnpay_hash_secrets={
                name: value for name, value in os.environ.items() if name.startswith("VNPAY_HASH_SECRET")
            },
            vnpay_return_url=os.environ.get("VNPAY_RETURN_URL", "").strip(),
            vnpay_retired_variables=tuple(
                name for name in ("VNPAY_TMN_CODE", "VNPAY_PAYMENT_URL", "VNPAY_API_URL") if os.environ.get(name)
            ),
            payments_sandbox_ipn_url=os.environ.get("PAYMENTS_SANDBOX_IPN_URL", ""),
            log_format=os.environ.get("LOG_FORMAT", "json"),
            log_level=os.environ.get("LOG_LEVEL", "INFO"),
            integration_amqp_url=os.environ.get("INTEGRATION_AMQP_URL", ""),
            notify_sms_url=os.environ.get("NOTIFY_SMS_URL", ""),
            notify_sms_token=os.environ.get("NOTIFY_SMS_TOKEN", ""),
            notify_sms_sender=os.environ.get("NOTIFY_SMS_SENDER", "BUUDIEN"),
            notify_sms_timeout=float(os.environ.get("NOTIFY_SMS_TIMEOUT", "10")),
            smtp_host=os.environ.get("SMTP_HOST", ""),
            smtp_port=int(os.environ.get("SMTP_PORT", "25")),
            smtp_from=os.environ.get("SMTP_FROM", "no-reply@localhost"),
            smtp_user=os.environ.get("SMTP_USER", ""),
            smtp_password=os.environ.get("SMTP_PASSWORD", ""),
            smtp_starttls=_env_bool("SMTP_STARTTLS", False),
            onestop_url=os.environ.get("ONESTOP_URL", ""),
            onestop_token=os.environ.get("ONESTOP_TOKEN", ""),
            onestop_timeout=float(os.environ.get("ONESTOP_TIMEOUT", "10")),
            tracking_at_risk_share=_at_risk_share(os.environ.get("TRACKING_AT_RISK_SHARE", "0.75")),
            shipment_prefix=shipment_prefix(os.environ.get("SHIPMENT_PREFIX", "RA")),
            province_portal_addresses=os.environ.get("PROVINCE_PORTAL_ADDRESSES", DEFAULT_PORTAL_ADDRESSES).strip(),
            zalo_lookup_name=os.environ.get("ZALO_LOOKUP_NAME", DEFAULT_ZALO_LOOKUP_NAME).strip(),
            province_office_phone=os.environ.get("PROVINCE_OFFICE_PHONE", "").strip(),
            inspection_team_phone=os.environ.get("INSPECTION_TEAM_PHONE", "").strip(),
            zalo_sandbox=_env_bool("ZALO_SANDBOX", False),
            zalo_app_id=os.environ.get("ZALO_APP_ID", "").strip(),
            zalo_app_secret=os.environ.get("ZALO_APP_SECRET", ""),
            zalo_oa_secret_key=os.environ.get("ZALO_OA_SECRET_KEY", ""),
            zalo_refresh_token=os.environ.get("ZALO_REFRESH_TOKEN", ""),
            zalo_oauth_url=os.environ.get("ZALO_OAUTH_URL", "https://oauth.zaloapp.com/v4/oa/access_token"),
            zalo_zns_url=os.environ.get("ZALO_ZNS_URL", "https://business.openapi.zalo.me/message/template"),
            zalo_oa_message_url=os.environ.get("ZALO_OA_MESSAGE_URL", "https://openapi.zalo.me/v3.0/oa/message/cs"),
            zalo_timeout=float(os.environ.get("ZALO_TIMEOUT", "10")),
            zalo_template_ids={
                name[len("ZALO_TEMPLATE_"):].lower(): value.strip() for name, value in os.environ.items()
                if name.startswith("ZALO_TEMPLATE_") and value.strip()
            },
            postal_geocoder=os.environ.get("POSTAL_GEOCODER", "offline").lower(),
            postal_geocoder_user_agent=os.environ.get("POSTAL_GEOCODER_USER_AGENT", "postal-gateway"),
        )
        for name, value in overrides.items():
            setattr(settings, name, value)
        if not settings.secret_key:
            settings.secret_key = load_or_create_secret_key(settings.instance_dir)
        return settings


# --- the settings this process was built with ----------------------------------------------------

_built_with: Settings | None = None


def use_settings(settings: Settings) -> Settings:
    """Make ``settings`` the ones code outside a request reads (``create_app`` calls this)."""
    global _built_with
    _built_with = settings
    return settings


def process_settings() -> Settings:
    """The settings the app of this process was built with, for code that runs outside a request
    (Celery tasks, consumers, threads). A process that built no app (the Celery worker, alembic)
    reads the environment here, once."""
    global _built_with
    if _built_with is None:
        _built_with = Settings.from_environment()
    return _built_with
