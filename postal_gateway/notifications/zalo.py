"""The Zalo channel: notices as Zalo Notification Service (ZNS) templates to the citizen's phone, OA messages
to the followers of the province's Official Account, and the OA's access token. No Flask here.

What this follows of Zalo's published API (developers.zalo.me; see docs/operations.md, "Zalo"):

* **Access token** (OAuth v4): ``POST https://oauth.zaloapp.com/v4/oa/access_token``, header ``secret_key``
  (the app secret), form ``app_id``, ``grant_type=refresh_token``, ``refresh_token``. The answer gives
  ``access_token``, a *new* ``refresh_token`` (the old one stops working) and ``expires_in`` in seconds (a
  string, 90000). The newest pair is kept in the database (``ZaloToken``); the beat refreshes it early.
* **ZNS**: ``POST https://business.openapi.zalo.me/message/template``, header ``access_token``, JSON
  ``{"phone": "84…", "template_id", "template_data": {field: value}, "tracking_id"}``. The answer is
  ``{"error": 0, "message": "Success", "data": {"msg_id", "sent_time", "quota": {"dailyQuota",
  "remainingQuota"}}}``, or a negative ``error`` (``ZNS_ERRORS``). ``tracking_id`` is the outbox id
  (``adapters.idempotency_key``): the same for every attempt at one message.
* **OA message** (consultation, to a follower who wrote in the last days): ``POST
  https://openapi.zalo.me/v3.0/oa/message/cs``, header ``access_token``, JSON ``{"recipient": {"user_id"},
  "message": {"text"}}``.
* **Parameter limits** of a ZNS template (the type chosen when the template is registered): customer name
  30 characters, code 30, custom label 30, status 30, address 200, free text 200, quantity/amount 20, time 20.
  Free text is shortened with an ellipsis; a code, an amount, a date or a link that does not fit is refused
  (a cut code or amount would be a wrong one) and the notice goes by SMS.
"""
from __future__ import annotations

import hashlib
import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.core import metrics
from postal_gateway.core.config import Settings
from postal_gateway.core.db import SessionFactory, utcnow
from postal_gateway.core.unit_of_work import unit_of_work
from postal_gateway.notifications.adapters import DeliveryError, PermanentDeliveryError, idempotency_key
from postal_gateway.notifications.zalo_models import ZaloToken

log = logging.getLogger(__name__)

#: the outbox recipient of an OA message to a follower (a ZNS goes to a phone number)
FOLLOWER_PREFIX = "zalo-user:"
#: refresh the access token this long before it expires
REFRESH_MARGIN = timedelta(hours=2)
#: an OA text message's longest text
OA_TEXT_LIMIT = 2000

ZNS_ERRORS_COUNTER = Counter(
    "zalo_zns_errors", "ZNS and OA answers other than success, by Zalo error code and what was done",
    ["code", "action"], registry=metrics.REGISTRY,
)
ZNS_QUOTA_EXCEEDED = Counter(
    "zalo_zns_quota_exceeded", "ZNS sends refused because the OA's daily quota or balance ran out",
    registry=metrics.REGISTRY,
)
ZNS_QUOTA_USED = Counter(
    "zalo_zns_quota_used", "ZNS messages Zalo accepted and counted against the OA's daily quota",
    registry=metrics.REGISTRY,
)
TOKEN_REFRESHES = Counter(
    "zalo_token_refreshes", "Refreshes of the OA access token, by outcome", ["outcome"], registry=metrics.REGISTRY,
)


# --- ZNS templates ------------------------------------------------------------------------------------

#: parameter type -> Zalo's longest value, and whether a longer value may be shortened (free text) or must be
#: refused (a code, an amount, a date, a link)
FIELD_LIMITS: dict[str, tuple[int, bool]] = {
    "name": (30, True), "label": (30, True), "status": (30, True), "text": (200, True), "address": (200, True),
    "code": (30, False), "amount": (20, False), "time": (20, False), "url": (200, False),
}


class TemplateDataRefused(ValueError):
    """A value does not fit its ZNS parameter and cannot be shortened: the notice goes by SMS."""


@dataclass(frozen=True)
class ZnsTemplate:
    """One template as registered with Zalo: its key (ZALO_TEMPLATE_<KEY> names its id), wording, and its
    parameters as (ZNS name, type, context key of our message)."""

    key: str
    title: str
    body: str
    fields: tuple[tuple[str, str, str], ...]
    button: str = ""

    def data(self, context: Mapping) -> dict[str, str]:
        values = {}
        for name, kind, source in self.fields:
            values[name] = fit(name, kind, str(context.get(source, "") or ""))
        return values


#: our message template -> the ZNS template carrying it (legal notices among them fall back to SMS)
ZNS_TEMPLATES: dict[str, ZnsTemplate] = {
    "dossier_submitted": ZnsTemplate(
        "submitted", "Bưu chính đã nộp hồ sơ",
        "Hồ sơ của bạn đã được bưu chính nộp trực tuyến đến <co_quan> lúc <thoi_gian>, số hiệu bưu gửi "
        "<so_hieu>. Cơ quan sẽ kiểm tra và báo mã hồ sơ, ngày hẹn trả kết quả.",
        (("so_hieu", "code", "shipment_number"), ("co_quan", "text", "agency_name"), ("thoi_gian", "time", "at"),
         ("tra_cuu", "url", "lookup_url")), "Tra cứu hồ sơ",
    ),
    "dossier_received": ZnsTemplate(
        "received", "Đã tiếp nhận hồ sơ",
        "<co_quan> đã tiếp nhận hồ sơ <ma_ho_so> lúc <thoi_gian>. Ngày hẹn trả kết quả: <ngay_hen>.",
        (("ma_ho_so", "code", "code"), ("co_quan", "text", "agency_name"), ("thoi_gian", "time", "received_at"),
         ("ngay_hen", "time", "appointment_date"), ("tra_cuu", "url", "lookup_url")), "Tra cứu hồ sơ",
    ),
    "completion_requested": ZnsTemplate(
        "supplement", "Hồ sơ cần bổ sung",
        "Hồ sơ <ma_ho_so> cần bổ sung: <noi_dung>. Xem phiếu yêu cầu bổ sung trên trang tra cứu.",
        (("ma_ho_so", "code", "shipment_number"), ("noi_dung", "text", "items"), ("tra_cuu", "url", "lookup_url")),
        "Tra cứu hồ sơ",
    ),
    "supplement_requested": ZnsTemplate(
        "supplement", "Hồ sơ cần bổ sung",
        "Hồ sơ <ma_ho_so> cần bổ sung: <noi_dung>. Xem phiếu yêu cầu bổ sung trên trang tra cứu.",
        (("ma_ho_so", "code", "code"), ("noi_dung", "text", "reasons"), ("tra_cuu", "url", "lookup_url")),
        "Tra cứu hồ sơ",
    ),
    "apology": ZnsTemplate(
        "apology", "Xin lỗi vì hồ sơ trễ hẹn",
        "<co_quan> xin lỗi vì hồ sơ <ma_ho_so> trễ hẹn. Lý do: <ly_do>. Ngày hẹn trả mới: <ngay_hen_moi>.",
        (("ma_ho_so", "code", "code"), ("co_quan", "text", "issuer_name"), ("ly_do", "text", "reason"),
         ("ngay_hen_moi", "time", "new_date"), ("tra_cuu", "url", "form_url")), "Xem phiếu xin lỗi",
    ),
    "result_ready": ZnsTemplate(
        "result_ready", "Hồ sơ đã có kết quả",
        "Hồ sơ <ma_ho_so> (<thu_tuc>) đã có kết quả.",
        (("ma_ho_so", "code", "code"), ("thu_tuc", "text", "procedure_name"), ("tra_cuu", "url", "lookup_url")),
        "Tra cứu hồ sơ",
    ),
    "delivery_scheduled": ZnsTemplate(
        "out_for_delivery", "Kết quả đang được phát",
        "Kết quả hồ sơ <ma_ho_so> đã giao cho bưu chính và sẽ được phát ngày <ngay_phat> tại <dia_chi>.",
        (("ma_ho_so", "code", "code"), ("ngay_phat", "time", "date"), ("dia_chi", "address", "place"),
         ("tra_cuu", "url", "lookup_url")), "Tra cứu hồ sơ",
    ),
    "result_delivered": ZnsTemplate(
        "delivered", "Đã phát kết quả",
        "Kết quả hồ sơ <ma_ho_so> đã được phát thành công lúc <thoi_gian>.",
        (("ma_ho_so", "code", "code"), ("thoi_gian", "time", "at"), ("tra_cuu", "url", "lookup_url")),
        "Tra cứu hồ sơ",
    ),
    "fee_due": ZnsTemplate(
        "fee_due", "Lệ phí hồ sơ chờ thanh toán",
        "Hồ sơ <ma_ho_so> còn <so_tien> lệ phí chưa thanh toán. Bạn có thể thanh toán trực tuyến.",
        (("ma_ho_so", "code", "ref"), ("so_tien", "amount", "amount"), ("thanh_toan", "url", "pay_url")),
        "Thanh toán lệ phí",
    ),
}


def fit(name: str, kind: str, value: str) -> str:
    """``value`` within the limit of a ``kind`` parameter: free text shortened with an ellipsis, anything else
    refused (TemplateDataRefused)."""
    limit, may_shorten = FIELD_LIMITS[kind]
    value = " ".join(value.split())
    if len(value) <= limit:
        return value
    if not may_shorten:
        raise TemplateDataRefused(f"ZNS parameter {name} ({kind}) is {len(value)} characters, Zalo takes {limit}")
    return value[: limit - 1].rstrip() + "…"


def template_id_for(settings: Settings, template: str) -> str:
    """The approved ZNS template id carrying our ``template``, or "" (the message goes by SMS)."""
    zns = ZNS_TEMPLATES.get(template)
    if zns is None or not channel_enabled(settings):
        return ""
    if settings.zalo_sandbox and not settings.zalo_app_id:
        return f"sandbox-{zns.key}"
    return settings.zalo_template_ids.get(zns.key, "")


def channel_enabled(settings: Settings) -> bool:
    """Whether Zalo notices can be sent at all: a real app with its secret, or the local sandbox."""
    return bool((settings.zalo_app_id and settings.zalo_app_secret) or settings.zalo_sandbox)


def zns_phone(phone: str) -> str:
    """A Vietnamese number as ZNS wants it: 84 and the digits, no plus sign ("+84912…" or "0912…" → "84912…")."""
    digits = "".join(char for char in phone if char.isdigit())
    if digits.startswith("0"):
        digits = "84" + digits[1:]
    return digits


# --- error codes ----------------------------------------------------------------------------------------

RETRY, GIVE_UP, REFRESH, QUOTA, NO_ZALO = "retry", "give_up", "refresh_token", "quota", "no_zalo"

#: Zalo's error code -> (what we do, what it means). Codes not listed are retried (bounded by MAX_ATTEMPTS).
ZNS_ERRORS: dict[int, tuple[str, str]] = {
    -100: (RETRY, "unknown error"),
    -101: (GIVE_UP, "application invalid"),
    -102: (GIVE_UP, "application does not exist"),
    -103: (GIVE_UP, "application not activated"),
    -104: (GIVE_UP, "application secret key invalid"),
    -105: (GIVE_UP, "application not linked with an OA"),
    -108: (NO_ZALO, "phone number invalid"),
    -109: (GIVE_UP, "template id invalid"),
    -111: (GIVE_UP, "template has no content"),
    -112: (GIVE_UP, "template data invalid"),
    -114: (NO_ZALO, "user inactive, or does not take ZNS on this device"),
    -115: (QUOTA, "ZNS balance insufficient"),
    -117: (GIVE_UP, "OA or application has no permission for this template"),
    -118: (NO_ZALO, "no Zalo account, or a disabled one, for this number"),
    -119: (NO_ZALO, "this account cannot receive ZNS"),
    -124: (REFRESH, "access token invalid"),
    -130: (GIVE_UP, "content exceeds the template's character limit"),
    -131: (GIVE_UP, "template not approved"),
    -132: (GIVE_UP, "parameter invalid"),
    -133: (RETRY, "this template may not be sent at night (22:00-06:00)"),
    -139: (NO_ZALO, "the user refused this kind of ZNS"),
    -144: (QUOTA, "OA exceeded its daily ZNS quota"),
    -147: (QUOTA, "template exceeded its daily quota"),
    # the OA message API (openapi.zalo.me v3)
    -216: (REFRESH, "access token invalid"),
    -213: (NO_ZALO, "the user does not follow the OA"),
    -230: (NO_ZALO, "the user has not written to the OA in the last 7 days"),
}


class ZaloRefused(PermanentDeliveryError):
    """Zalo will not deliver this message (no Zalo account, quota, template not approved): no retry; a legal
    notice goes by SMS. ``reason`` is one of NO_ZALO, QUOTA, GIVE_UP."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(text)
        self.reason = reason


# --- HTTP ---------------------------------------------------------------------------------------------

#: (url, headers, body) -> (HTTP status, answer body); the default speaks HTTP, the tests hand in the sandbox
Transport = Callable[[str, Mapping[str, str], bytes, float], tuple[int, bytes]]


def http_transport(url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> tuple[int, bytes]:
    if not url.startswith(("http://", "https://")):
        raise ValueError("Zalo addresses must be http(s)")
    request = urllib.request.Request(url, data=body, method="POST", headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) checked
            return response.status, response.read(65536)
    except urllib.error.HTTPError as error:
        return error.code, error.read(65536) if error.fp else b""


@dataclass
class ZaloApi:
    """Calls to Zalo for one app and its OA; the token lives in the database (``session_factory``)."""

    app_id: str
    app_secret: str = field(repr=False)
    oauth_url: str
    zns_url: str
    oa_message_url: str
    initial_refresh_token: str = field(default="", repr=False)
    timeout: float = 10.0
    transport: Transport = http_transport
    session_factory: Callable[[], Session] = SessionFactory
    #: also send ``secret_key`` and ``access_token`` as ``secret-key`` and ``access-token``: gunicorn and werkzeug
    #: drop header names with underscores, so the sandbox served by our own app reads the hyphenated copies
    also_hyphenated: bool = False

    # -- token --

    def refresh(self, session: Session, *, now: datetime | None = None) -> ZaloToken:
        """Trade the stored refresh token for a new pair and keep it; the caller commits. The row is locked
        first, so two workers never spend the same refresh token (Zalo accepts it once)."""
        now = now or utcnow()
        token = session.scalar(select(ZaloToken).order_by(ZaloToken.id).limit(1).with_for_update())
        refresh_token = token.refresh_token if token is not None else self.initial_refresh_token
        if token is None:
            # written only after Zalo answers: no write lock is held while waiting for it (SQLite in `make run`
            # would otherwise keep the sandbox, served by the web app, from recording the new pair)
            token = ZaloToken(access_token="", refresh_token=refresh_token, last_error="")
            pending = True
        else:
            pending = False
        if not refresh_token:
            token.last_error = "no refresh token: authorise the OA and set ZALO_REFRESH_TOKEN"
            session.add(token)
            TOKEN_REFRESHES.labels(outcome="no_refresh_token").inc()
            raise DeliveryError("Zalo: no refresh token to get an access token")
        body = urllib.parse.urlencode({
            "app_id": self.app_id, "grant_type": "refresh_token", "refresh_token": refresh_token,
        }).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "secret_key": self.app_secret}
        answer = self._post(self.oauth_url, headers, body, what="token refresh")
        if pending:
            session.add(token)
        if not answer.get("access_token"):
            code = answer.get("error", "?")
            token.last_error = f"Zalo refused the refresh token: error {code}"[:1000]
            TOKEN_REFRESHES.labels(outcome="refused").inc()
            log.error("zalo: token refresh refused, error %s", code)
            raise DeliveryError(f"Zalo refused the token refresh: error {code}")
        try:
            lifetime = int(answer.get("expires_in") or 90000)
        except (TypeError, ValueError):
            lifetime = 90000
        token.access_token = str(answer["access_token"])
        token.refresh_token = str(answer.get("refresh_token") or token.refresh_token)
        token.expires_at, token.refreshed_at, token.last_error = now + timedelta(seconds=lifetime), now, ""
        session.flush()
        TOKEN_REFRESHES.labels(outcome="ok").inc()
        log.info("zalo: access token refreshed, valid for %d s", lifetime)
        return token

    def access_token(self, *, now: datetime | None = None, force: bool = False) -> str:
        """A valid access token, refreshed (in a transaction of its own) when missing, close to expiry or
        ``force``d (Zalo said the one we had is invalid)."""
        now = now or utcnow()
        failed = None
        with self.session_factory() as session, unit_of_work(session):  # the new pair, or why the refresh failed
            token = session.scalar(select(ZaloToken).order_by(ZaloToken.id).limit(1))
            if not force and _fresh(token, now):
                return token.access_token
            try:
                value = self.refresh(session, now=now).access_token
            except DeliveryError as error:
                failed = error
        if failed is not None:
            raise failed
        return value

    def refresh_if_due(self, *, now: datetime | None = None) -> bool:
        """The beat's job: refresh when the token is missing or within REFRESH_MARGIN of its end."""
        now = now or utcnow()
        failed = None
        with self.session_factory() as session, unit_of_work(session):
            token = session.scalar(select(ZaloToken).order_by(ZaloToken.id).limit(1).with_for_update())
            if _fresh(token, now):
                return False
            try:
                self.refresh(session, now=now)
            except DeliveryError as error:
                failed = error  # raised once last_error is committed
        if failed is not None:
            raise failed
        return True

    # -- messages --

    def send_zns(self, *, phone: str, template_id: str, template_data: Mapping[str, str], tracking_id: str) -> str:
        """Send one ZNS; Zalo's msg_id, or DeliveryError (retry) / ZaloRefused (give up)."""
        payload = {"phone": zns_phone(phone), "template_id": template_id, "template_data": dict(template_data),
                   "tracking_id": tracking_id}
        answer = self._authorised(self.zns_url, payload, what="ZNS")
        data = answer.get("data") or {}
        ZNS_QUOTA_USED.inc()
        remaining = (data.get("quota") or {}).get("remainingQuota")
        if str(remaining).isdigit() and int(remaining) < 50:
            log.warning("zalo: %s ZNS left in today's quota", remaining)
        return str(data.get("msg_id", ""))[:128]

    def send_oa_text(self, *, user_id: str, text: str) -> str:
        payload = {"recipient": {"user_id": user_id}, "message": {"text": text[:OA_TEXT_LIMIT]}}
        answer = self._authorised(self.oa_message_url, payload, what="OA message")
        return str((answer.get("data") or {}).get("message_id", ""))[:128]

    def _authorised(self, url: str, payload: dict, *, what: str) -> dict:
        body = json.dumps(payload, ensure_ascii=False).encode()
        for attempt in (1, 2):
            headers = {"Content-Type": "application/json", "access_token": self.access_token(force=attempt == 2)}
            answer = self._post(url, headers, body, what=what)
            code = _error_code(answer)
            if code == 0:
                return answer
            action, meaning = ZNS_ERRORS.get(code, (RETRY, "not in Zalo's published table"))
            if action == REFRESH and attempt == 1:
                ZNS_ERRORS_COUNTER.labels(code=str(code), action=REFRESH).inc()
                log.warning("zalo: %s refused the access token (error %s); refreshing it", what, code)
                continue
            ZNS_ERRORS_COUNTER.labels(code=str(code), action=RETRY if action == REFRESH else action).inc()
            text = f"Zalo {what} error {code}: {meaning}"
            if action == QUOTA:
                ZNS_QUOTA_EXCEEDED.inc()
            if action in (GIVE_UP, QUOTA, NO_ZALO):
                raise ZaloRefused(text, action)
            raise DeliveryError(text)
        raise DeliveryError(f"Zalo {what}: the access token was refused twice")  # pragma: no cover - loop returns

    def _post(self, url: str, headers: Mapping[str, str], body: bytes, *, what: str) -> dict:
        if self.also_hyphenated:
            headers = {**headers, **{name.replace("_", "-"): value for name, value in headers.items() if "_" in name}}
        try:
            status, raw = self.transport(url, headers, body, self.timeout)
        except (urllib.error.URLError, TimeoutError, socket.timeout, ConnectionError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise DeliveryError(f"Zalo {what} unreachable: {reason.__class__.__name__}") from None
        if status >= 500 or status in (408, 425, 429):
            raise DeliveryError(f"Zalo {what} answered HTTP {status}")
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            raise DeliveryError(f"Zalo {what} answered HTTP {status} without JSON") from None
        if not isinstance(answer, dict):
            raise DeliveryError(f"Zalo {what} answered HTTP {status} with an unexpected body")
        return answer


def _fresh(token: ZaloToken | None, now: datetime) -> bool:
    return bool(token is not None and token.access_token and token.expires_at is not None
                and token.expires_at - REFRESH_MARGIN > now)


def _error_code(answer: Mapping) -> int:
    try:
        return int(answer.get("error", -100))
    except (TypeError, ValueError):
        return -100


# --- the adapter ------------------------------------------------------------------------------------------


class ZaloAdapter:
    """Delivers the outbox's Zalo rows: a ZNS template to a phone, or an OA text to a follower."""

    def __init__(self, api: ZaloApi, settings: Settings) -> None:
        self.api, self.settings = api, settings

    def deliver(self, message) -> str:
        if message.recipient.startswith(FOLLOWER_PREFIX):
            return self.api.send_oa_text(user_id=message.recipient[len(FOLLOWER_PREFIX):], text=message.body)
        template_id = template_id_for(self.settings, message.template)
        if not template_id or not message.template_data:
            raise ZaloRefused(f"no approved ZNS template for {message.template}", GIVE_UP)
        return self.api.send_zns(phone=message.recipient, template_id=template_id,
                                 template_data=message.template_data, tracking_id=idempotency_key(message))


def sandbox_base(settings: Settings) -> str:
    return f"{settings.public_base_url.rstrip('/')}/zalo/sandbox"


#: the sandbox's app: these values are no secret (the sandbox is refused beside a real ZALO_APP_ID)
SANDBOX_APP_ID = "sandbox-app"
SANDBOX_APP_SECRET = "sandbox-app-secret"
SANDBOX_OA_SECRET_KEY = "sandbox-oa-secret-key"
SANDBOX_FIRST_REFRESH_TOKEN = "sandbox-refresh-0"


def check_zalo_settings(settings: Settings) -> None:
    """Refuse the sandbox beside a real app, and a real app without its secrets."""
    if settings.zalo_sandbox and settings.zalo_app_id:
        raise ValueError("ZALO_SANDBOX is on beside a real ZALO_APP_ID: turn the sandbox off in production.")
    if settings.zalo_app_id and not (settings.zalo_app_secret and settings.zalo_oa_secret_key):
        raise ValueError("ZALO_APP_ID is set without ZALO_APP_SECRET and ZALO_OA_SECRET_KEY.")


def oa_secret_key(settings: Settings) -> tuple[str, str]:
    """(app id, OA secret key) that sign the webhook's events, or ("", "") when Zalo is off."""
    if settings.zalo_app_id:
        return settings.zalo_app_id, settings.zalo_oa_secret_key
    if settings.zalo_sandbox:
        return SANDBOX_APP_ID, SANDBOX_OA_SECRET_KEY
    return "", ""


def api_for(settings: Settings, *, transport: Transport | None = None,
            session_factory: Callable[[], Session] | None = None) -> ZaloApi | None:
    """The API of the configured app, the sandbox's (under PUBLIC_BASE_URL) when it is on, or None."""
    extra = {"transport": transport} if transport else {}
    if session_factory is not None:
        extra["session_factory"] = session_factory
    if settings.zalo_app_id and settings.zalo_app_secret:
        return ZaloApi(settings.zalo_app_id, settings.zalo_app_secret, settings.zalo_oauth_url, settings.zalo_zns_url,
                       settings.zalo_oa_message_url, settings.zalo_refresh_token, settings.zalo_timeout, **extra)
    if settings.zalo_sandbox:
        base = sandbox_base(settings)
        return ZaloApi(SANDBOX_APP_ID, SANDBOX_APP_SECRET, f"{base}/v4/oa/access_token", f"{base}/message/template",
                       f"{base}/v3.0/oa/message/cs", SANDBOX_FIRST_REFRESH_TOKEN, settings.zalo_timeout,
                       also_hyphenated=True, **extra)
    return None


def signature(app_id: str, body: bytes | str, timestamp: str, oa_secret_key: str) -> str:
    """X-ZEvent-Signature's value: ``mac=`` and sha256(appId + data + timeStamp + OAsecretKey) in hex."""
    data = body.decode() if isinstance(body, bytes) else body
    return "mac=" + hashlib.sha256(f"{app_id}{data}{timestamp}{oa_secret_key}".encode()).hexdigest()
