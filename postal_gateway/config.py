"""Settings read from the environment, with defaults that are safe on a fresh machine.

Nothing secret is committed: the secret key is generated on first run and kept under
``instance/``, which git ignores.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE_DIR = PROJECT_ROOT / "instance"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


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
        )
        for name, value in overrides.items():
            setattr(settings, name, value)
        if not settings.secret_key:
            settings.secret_key = load_or_create_secret_key(settings.instance_dir)
        return settings
