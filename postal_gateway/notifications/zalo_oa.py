"""The province's Official Account answers its followers (Điều 14.4, 17, 18.2.đ): a dossier code gets the R-19
fields and the timeline, an ID number the list its lookup rules allow, ``THEO DOI <mã>`` subscribes the follower
to a dossier's notices. No Flask here.

Every event is checked before anything is read from it:

* **Signature**: ``X-ZEvent-Signature`` must be ``mac=`` + sha256(appId + body + timestamp + OA secret key), the
  body as received and the timestamp the event's own ``timestamp`` (milliseconds), compared in constant time.
* **Freshness**: the timestamp within ``EVENT_WINDOW`` of now; an older event is refused even well signed.
* **Once only**: the event's key (the message's ``msg_id``, or a hash of the signed body) is stored with a unique
  index; Zalo delivering it again (a retry, a duplicate, a replay within the window) is answered 200 and ignored.

Privacy: an ID number is answered as the public lookup answers a stranger (holder_proof): the applicant's name
masked, since the OA cannot tell who holds the number. Each follower is rate-limited; a flood is logged and left
unanswered rather than answered message for message.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import InvalidInput, NotFound, TooManyAttempts
from postal_gateway.core.formatting import format_local_date, format_local_datetime
from postal_gateway.dossiers.labels import STATUS_LABELS
from postal_gateway.dossiers.shipments import find_by_reference
from postal_gateway.lookup import services as lookup
from postal_gateway.lookup.ratelimit import LookupLimit, by_id_number
from postal_gateway.notifications import zalo
from postal_gateway.notifications.models import MessageChannel, MessageStatus, OutboxMessage
from postal_gateway.notifications.zalo_models import ZaloSubscription, ZaloWebhookEvent

log = logging.getLogger(__name__)

#: how far an event's timestamp may be from now (Zalo retries an unanswered event within seconds)
EVENT_WINDOW = timedelta(minutes=5)
#: messages one follower may send before the OA stops answering for a while
per_follower = LookupLimit("zalo_follower", "10 per minute")
#: the newest timeline entries an answer lists
TIMELINE_ENTRIES = 5
#: dossiers an ID number answer lists
ID_NUMBER_ENTRIES = 5
#: the OA template of its reply to a follower (an outbox template name; the text is written here)
REPLY_TEMPLATE = "zalo_reply"

HELP = ("Cổng DVC bưu chính: gửi mã hồ sơ (in trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả) hoặc số hiệu bưu gửi "
        "để tra cứu; gửi số CCCD để xem danh sách hồ sơ (tên người nộp được che). Gửi \"THEO DOI <mã hồ sơ>\" để "
        "nhận thông báo của hồ sơ qua Zalo, \"HUY <mã hồ sơ>\" để thôi nhận.")
WELCOME = "Cảm ơn bạn đã quan tâm Cổng dịch vụ công bưu chính. " + HELP


class EventRefused(Exception):
    """A webhook call that is not a genuine, fresh event of our OA: answered 401/400, logged, nothing done."""

    def __init__(self, reason: str, status: int = 401) -> None:
        super().__init__(reason)
        self.reason, self.status = reason, status


@dataclass(frozen=True)
class Handled:
    #: "answered", "duplicate", "subscribed", "ignored", "flood"
    outcome: str
    #: the outbox ids of the replies queued
    replies: tuple[int, ...] = ()


def verify(body: bytes, signature_header: str, *, app_id: str, oa_secret_key: str, now: datetime) -> dict:
    """The event, once its signature and timestamp are checked; EventRefused otherwise."""
    if not app_id or not oa_secret_key:
        raise EventRefused("the Zalo channel is not configured", 404)
    try:
        event = json.loads(body)
    except ValueError:
        raise EventRefused("the body is not JSON", 400) from None
    if not isinstance(event, dict):
        raise EventRefused("the body is not a JSON object", 400)
    timestamp = str(event.get("timestamp", ""))
    expected = zalo.signature(app_id, body, timestamp, oa_secret_key)
    given = (signature_header or "").strip()
    if not given.startswith("mac="):
        given = "mac=" + given
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise EventRefused("the signature does not match")
    if str(event.get("app_id", app_id)) != app_id:
        raise EventRefused("the event names another app")
    try:
        at = datetime.fromtimestamp(int(timestamp) / 1000, tz=now.tzinfo)
    except (TypeError, ValueError, OverflowError):
        raise EventRefused("the event has no usable timestamp", 400) from None
    if abs(at - now) > EVENT_WINDOW:
        raise EventRefused("the event is too old (or from the future): a replay")
    return event


def event_key(event: dict, body: bytes) -> str:
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    msg_id = str(message.get("msg_id", "") or "")[:100]
    return f"msg:{msg_id}" if msg_id else "body:" + hashlib.sha256(body).hexdigest()


def sender_of(event: dict) -> str:
    for holder in ("sender", "follower", "user"):
        value = event.get(holder)
        if isinstance(value, dict) and value.get("id"):
            return str(value["id"])[:64]
    return str(event.get("user_id_by_app", ""))[:64]


def handle(session: Session, event: dict, body: bytes, *, now: datetime | None = None) -> Handled:
    """Handle one verified event in the caller's transaction; replies are queued in the outbox (OA messages to
    the follower), for ``deliver_replies`` after the caller commits."""
    now = now or utcnow()
    name = str(event.get("event_name", ""))[:64]
    follower = sender_of(event)
    key = event_key(event, body)
    try:
        with session.begin_nested():
            session.add(ZaloWebhookEvent(event_key=key, event_name=name, zalo_user_id=follower, received_at=now))
    except IntegrityError:
        log.info("zalo webhook: event %s (%s) already handled: ignored", key[:24], name)
        return Handled("duplicate")
    if not follower:
        return Handled("ignored")
    if name == "follow":
        return Handled("answered", (_reply(session, follower, WELCOME, now),))
    if name == "unfollow":
        session.execute(delete(ZaloSubscription).where(ZaloSubscription.zalo_user_id == follower))
        return Handled("ignored")
    if name != "user_send_text":
        return Handled("ignored")
    try:
        per_follower.take(follower)
    except TooManyAttempts:
        log.warning("zalo webhook: follower %s… sends too many messages: not answered", follower[:6])
        return Handled("flood")
    message = event.get("message") if isinstance(event.get("message"), dict) else {}
    text = answer(session, follower, str(message.get("text", ""))[:200], now=now)
    return Handled("answered", (_reply(session, follower, text, now),))


def _reply(session: Session, follower: str, text: str, now: datetime) -> int:
    message = OutboxMessage(
        channel=MessageChannel.zalo, recipient=f"{zalo.FOLLOWER_PREFIX}{follower}", recipient_user_id=None,
        template=REPLY_TEMPLATE, subject="", body=text[:zalo.OA_TEXT_LIMIT], status=MessageStatus.queued, attempts=0,
        last_error="", created_at=now, next_attempt_at=None, gateway_reference="",
    )
    session.add(message)
    session.flush()
    # not handed to the worker: the webhook delivers it at once after its commit (``deliver_replies``), and
    # the sweep retries one that failed; a second dispatch could race that first delivery
    return message.id


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).upper().split())


_SUBSCRIBE = re.compile(r"^(?:THEO ?DOI|DK|DANG KY)\s+(\S+)$")
_UNSUBSCRIBE = re.compile(r"^(?:HUY|BO THEO DOI)\s+(\S+)$")
_ID_NUMBER = re.compile(r"^\d{9}$|^\d{12}$")


def answer(session: Session, follower: str, text: str, *, now: datetime) -> str:
    """The OA's answer to what a follower typed."""
    folded = _folded(text)
    if not folded or folded in ("HELP", "HUONG DAN", "?", "TRA CUU"):
        return HELP
    if match := _SUBSCRIBE.match(folded):
        return _subscribe(session, follower, match.group(1), now=now)
    if match := _UNSUBSCRIBE.match(folded):
        return _unsubscribe(session, follower, match.group(1))
    compact = folded.replace(" ", "").replace(".", "")
    if _ID_NUMBER.match(compact):
        return _by_id_number(session, follower, compact)
    try:
        record = lookup.find_by_code(session, text.strip())
    except InvalidInput:
        return "Không nhận ra mã hồ sơ. " + HELP
    except NotFound:
        return (f"Không có hồ sơ nào mang mã {lookup.clean_code(text.strip())}. Kiểm tra lại mã trên Giấy tiếp nhận "
                "hồ sơ và hẹn trả kết quả.")
    return dossier_answer(lookup.public_view(record))


def _day(value) -> str:
    if isinstance(value, datetime):
        return format_local_datetime(value)
    if isinstance(value, date):
        return format_local_date(value)
    if isinstance(value, str) and value:
        try:
            return format_local_datetime(datetime.fromisoformat(value))
        except ValueError:
            return value
    return "—"


def _status(value: str) -> str:
    return STATUS_LABELS.get(value, value) if isinstance(value, str) else str(value)


def dossier_answer(view: dict) -> str:
    """The R-19 fields of Điều 17 and the newest timeline entries, as one text message."""
    lines = [
        f"Hồ sơ {view['code'] or view['shipment_number']}",
        f"Tình trạng: {_status(view['status'])}",
        f"Cơ quan tiếp nhận: {view['agency_name']}",
    ]
    if view.get("processing_department"):
        lines.append(f"Phòng chuyên môn: {view['processing_department']}")
    if view.get("organisation_name"):
        lines.append(f"Tổ chức: {view['organisation_name']}")
    lines += [
        f"Người nộp: {view['applicant_name']}",
        f"Ngày tiếp nhận: {_day(view['received_at'])}",
        f"Ngày hẹn trả: {_day(view['appointment_date'])}",
    ]
    if view.get("supplements"):
        lines.append("Cần bổ sung: " + "; ".join(str(item) for item in view["supplements"]))
    if view.get("shipment_number") and view.get("code"):
        lines.append(f"Số hiệu bưu gửi: {view['shipment_number']}")
    timeline = view.get("timeline") or []
    if timeline:
        lines.append("Quá trình xử lý:")
        for item in timeline[-TIMELINE_ENTRIES:][::-1]:
            place = f" ({item['place']})" if item.get("place") else ""
            lines.append(f"- {_day(item.get('at'))}: {item.get('label', '')}{place}")
    return "\n".join(lines)


def _by_id_number(session: Session, follower: str, number: str) -> str:
    try:
        by_id_number.take(f"zalo:{follower}")
    except TooManyAttempts:
        return "Bạn tra cứu theo số giấy tờ quá nhiều lần. Vui lòng thử lại sau."
    try:
        records = lookup.find_by_id_number(session, number)
    except (InvalidInput, NotFound):
        return "Không có hồ sơ nào gắn với số giấy tờ này."
    lines = ["Hồ sơ gắn với số giấy tờ này (tên người nộp được che; gửi mã hồ sơ để xem chi tiết):"]
    for record in records[:ID_NUMBER_ENTRIES]:
        view = lookup.public_view(record, name_shown=False)
        lines.append(f"- {view['code'] or view['shipment_number']}: {_status(view['status'])}, "
                     f"hẹn trả {_day(view['appointment_date'])}, người nộp {view['applicant_name']}")
    return "\n".join(lines)


def _subscribe(session: Session, follower: str, raw_code: str, *, now: datetime) -> str:
    try:
        code = lookup.clean_code(raw_code)
    except InvalidInput:
        return "Không nhận ra mã hồ sơ. Gửi \"THEO DOI <mã hồ sơ>\"."
    dossier = find_by_reference(session, code)
    if dossier is None:
        return f"Không có hồ sơ nào mang mã {code}."
    exists = session.scalar(select(ZaloSubscription.id).where(ZaloSubscription.zalo_user_id == follower,
                                                              ZaloSubscription.dossier_id == dossier.id))
    if exists is None:
        session.add(ZaloSubscription(zalo_user_id=follower, dossier_id=dossier.id, created_at=now))
        session.flush()
    return (f"Đã đăng ký: bạn sẽ nhận thông báo của hồ sơ {code} qua Zalo. Gửi \"HUY {code}\" để thôi nhận.")


def _unsubscribe(session: Session, follower: str, raw_code: str) -> str:
    try:
        code = lookup.clean_code(raw_code)
    except InvalidInput:
        return "Không nhận ra mã hồ sơ."
    dossier = find_by_reference(session, code)
    if dossier is not None:
        session.execute(delete(ZaloSubscription).where(ZaloSubscription.zalo_user_id == follower,
                                                       ZaloSubscription.dossier_id == dossier.id))
    return f"Bạn sẽ không nhận thông báo của hồ sơ {code} qua Zalo nữa."


def deliver_replies(message_ids, *, unit_of_work, deliver) -> None:
    """Answer the follower now, each reply in its own transaction; one that fails stays queued for the sweep."""
    for message_id in message_ids:
        try:
            with unit_of_work() as session:
                deliver(session, message_id)
        except Exception as error:  # noqa: BLE001 - the event was handled; the sweep delivers the reply later
            log.warning("zalo webhook: reply %s not delivered now (%s); the sweep retries it", message_id,
                        error.__class__.__name__)
