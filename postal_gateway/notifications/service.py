"""Sending messages (R-20): render a template, keep the message in the outbox, deliver it in the background.

``send`` only writes a *queued* outbox row in the caller's transaction; once that transaction commits,
the message's id is handed to the dispatcher (by default the Celery task ``notifications.deliver`` on
the "notifications" queue). ``deliver`` then hands it to the gateway (``DeliveryAdapter``: HTTP SMS,
SMTP, or the development outbox), with retries, exponential backoff and jitter, and records the
outcome. A message that is no longer queued is never handed over again. The beat job ``sweep``
re-dispatches queued messages whose dispatch was lost (broker down at commit time).

Phone numbers and addresses are masked in logs.

One-time codes never rest in the outbox: ``send(..., one_time_code=...)`` stores the text with the code
masked (``CODE_MASK``, what operators see on /ops/outbox); the code itself travels only in the
delivery task's arguments, and ``deliver`` puts it back into the text it hands to the gateway. The
database keeps only the code's keyed hash (``accounts.one_time_codes``). A code message whose task
was lost cannot be sent again by the sweep: it fails, and the citizen asks for a new code.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event as orm_event
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, undefer

from postal_gateway.accounts.identity import mask_recipient
from postal_gateway.accounts.models import User
from postal_gateway.core import metrics
from postal_gateway.core.config import process_settings
from postal_gateway.core.db import utcnow
from postal_gateway.core.domain import N_, InvalidInput
from postal_gateway.core.task_policy import backoff_seconds
from postal_gateway.notifications import templates, zalo, zalo_notices
from postal_gateway.notifications.adapters import (
    DeliveryAdapter,
    DeliveryError,
    DevelopmentOutbox,
    PermanentDeliveryError,
    adapter_for,
)
from postal_gateway.notifications.models import MessageChannel, MessageStatus, NotificationPreference, OutboxMessage
from postal_gateway.official_forms.models import OfficialForm
from postal_gateway.official_forms.numbering import SUFFIXES

__all__ = [
    "DeliveryAdapter", "DeliveryError", "DevelopmentOutbox", "PermanentDeliveryError", "send", "deliver",
    "configure_adapter", "current_adapter", "configure_dispatcher", "set_preferences", "preferences_of",
    "CHANNELS", "CITIZEN_MESSAGE_KINDS", "LEGAL_NOTICE_TEMPLATES",
]

log = logging.getLogger(__name__)

#: attempts before a message is marked failed
MAX_ATTEMPTS = 6
#: templates sent whatever the citizen's preferences say: they were asked for a moment ago
MANDATORY_TEMPLATES = frozenset({"one_time_code", "consent_recorded", "account_registered"})
#: the legal notices (Điều 8.2, 12.1.b–c, 9.4.d): a citizen cannot turn them off, only choose the channel;
#: when no channel the citizen chose has an address, the other one carries it
LEGAL_NOTICE_TEMPLATES = frozenset({
    "completion_requested", "supplement_requested", "dossier_refused", "dossier_rejected", "apology",
})
#: the hint beside a legal notice on the preferences page
LEGAL_NOTICE_HINT = N_("Thông báo bắt buộc theo quy định (Điều 8.2, 12.1.b–c)")
#: what the stored text shows in place of a one-time code (ASCII, so the SMS stays in the GSM alphabet)
CODE_MASK = "******"
#: templates whose ``{code}`` is a one-time code, filled only at delivery
CODE_TEMPLATES = frozenset({"one_time_code"})

_adapter: DeliveryAdapter | None = None


def configure_adapter(adapter: DeliveryAdapter | None) -> None:
    """Swap the gateway (production SMS/e-mail, or a fake in tests); None: the one the settings name."""
    global _adapter
    _adapter = adapter


def current_adapter() -> DeliveryAdapter:
    global _adapter
    if _adapter is None:
        _adapter = adapter_for(process_settings())
    return _adapter


# --- dispatch after commit ------------------------------------------------------------------------


#: a dispatcher is told the committed message ids and, for messages carrying one, their one-time codes
Dispatcher = Callable[[list[int], Mapping[int, str]], None]


def celery_dispatcher(message_ids: list[int], one_time_codes: Mapping[int, str]) -> None:
    from postal_gateway.notifications.tasks import deliver_task  # cycle: the tasks module imports this one

    for message_id in message_ids:
        code = one_time_codes.get(message_id)
        arguments = (message_id,) if code is None else (message_id, code)
        # a short retry policy: the request must not hang on a dead broker; the sweep catches up.
        # argsrepr: what Celery logs and shows to monitors instead of the arguments, so the code stays out
        deliver_task.apply_async(
            arguments, argsrepr=repr((message_id,) if code is None else (message_id, CODE_MASK)),
            retry=True, retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        )


_dispatcher: Dispatcher = celery_dispatcher


def configure_dispatcher(dispatcher: Dispatcher | None) -> Dispatcher:
    """Who is told about committed messages (None: the Celery task); returns the previous one."""
    global _dispatcher
    previous = _dispatcher
    _dispatcher = dispatcher or celery_dispatcher
    return previous


def pending_one_time_codes(session: Session) -> dict[int, str]:
    """Codes of messages written in this session's open transaction (dispatched with them at commit)."""
    return dict(session.info.get("notification_codes", {}))


def _after_commit(session: Session) -> None:
    ids = session.info.pop("notifications_to_dispatch", None)
    codes = session.info.pop("notification_codes", {})
    if not ids:
        return
    try:
        _dispatcher(list(ids), {message_id: codes[message_id] for message_id in ids if message_id in codes})
    except Exception as error:  # noqa: BLE001 - the use case committed; the sweep dispatches later
        log.warning("notifications: dispatch of %d message(s) failed, the sweep will retry: %s",
                    len(ids), error.__class__.__name__)


def _after_rollback(session: Session) -> None:
    session.info.pop("notifications_to_dispatch", None)
    session.info.pop("notification_codes", None)


def _after_soft_rollback(session: Session, _previous_transaction) -> None:
    _after_rollback(session)


def install() -> None:
    """Hand committed messages to the dispatcher, forget those of a rolled-back transaction
    (postal_gateway.bootstrap calls it once per process)."""
    if not orm_event.contains(Session, "after_commit", _after_commit):
        orm_event.listen(Session, "after_commit", _after_commit)
        orm_event.listen(Session, "after_soft_rollback", _after_soft_rollback)


# --- preferences ------------------------------------------------------------------------------------

#: the channels a citizen may turn on or off (Zalo only where the channel is configured: ``zalo_offered``)
CHANNELS = tuple(channel.value for channel in MessageChannel)


def zalo_offered() -> bool:
    """Whether Zalo notices can be chosen: a Zalo app is configured, or the local sandbox is on."""
    return zalo.channel_enabled(process_settings())
#: the kinds of message a citizen receives about a dossier and may turn off, in the order of a dossier's
#: life, with the label the preferences page shows
CITIZEN_MESSAGE_KINDS: dict[str, str] = {
    "completion_requested": N_("Hồ sơ cần bổ sung, hoàn thiện trước khi tiếp nhận"),
    "dossier_refused": N_("Hồ sơ bị từ chối tiếp nhận"),
    "dossier_received": N_("Hồ sơ đã được tiếp nhận"),
    "supplement_requested": N_("Hồ sơ cần bổ sung giấy tờ"),
    "dossier_rejected": N_("Hồ sơ bị từ chối giải quyết"),
    "result_ready": N_("Hồ sơ đã có kết quả"),
    "delivery_scheduled": N_("Kết quả sắp được bưu chính phát"),
    "result_delivered": N_("Kết quả đã được phát"),
    "apology": N_("Phiếu xin lỗi khi hồ sơ trễ hẹn"),
}


def preferences_of(session: Session, user_id: int) -> NotificationPreference | None:
    return session.scalar(select(NotificationPreference).where(NotificationPreference.user_id == user_id))


def set_preferences(
    session: Session,
    user_id: int,
    *,
    sms: bool,
    email: bool,
    muted_templates: Iterable[str] | None = None,
    zalo: bool | None = None,
    now: datetime | None = None,
) -> NotificationPreference:
    """Record the citizen's channels and, unless None (kept as they are), the kinds turned off and the Zalo
    channel; the caller commits.

    Legal notices cannot be turned off (Điều 8.2, 12.1.b–c): asking to is refused, nothing changed."""
    if muted_templates is not None:
        muted = set(muted_templates)
        if not muted <= CITIZEN_MESSAGE_KINDS.keys():
            raise InvalidInput.on_field("muted_templates", N_("Loại thông báo không hợp lệ."))
        if muted & LEGAL_NOTICE_TEMPLATES:
            raise InvalidInput.on_field("muted_templates", N_("Không thể tắt thông báo bắt buộc theo quy định: yêu "
                                                              "cầu bổ sung, từ chối và xin lỗi (Điều 8.2, 12.1.b–c)."))
    preference = preferences_of(session, user_id)
    if preference is None:
        preference = NotificationPreference(user_id=user_id, muted_templates=[], zalo=False)
        session.add(preference)
    preference.sms, preference.email, preference.updated_at = bool(sms), bool(email), now or utcnow()
    if muted_templates is not None:
        preference.muted_templates = [kind for kind in CITIZEN_MESSAGE_KINDS if kind in muted]
    if zalo is not None:
        preference.zalo = bool(zalo)
    session.flush()
    return preference


@dataclass(frozen=True)
class Routing:
    """What the citizen's preferences do to one message: held back (``held_back`` says why), or sent with a
    ``note`` saying why it goes by a channel the citizen turned off."""

    held_back: str | None = None
    note: str = ""


def _address_of(user: User, channel: str) -> str:
    return (user.email if channel == "email" else user.phone) or ""


def _routing(
    session: Session, user_id: int | None, channel: MessageChannel, template: str,
    preference_of_recipient: Callable[[], NotificationPreference | None],
) -> Routing:
    """How the recipient's preferences route this message. A legal notice ignores the kinds turned off and keeps
    the channel choice, unless no chosen channel has an address: then it goes by the others (Điều 8.2)."""
    if user_id is None or template in MANDATORY_TEMPLATES:
        return Routing()
    preference = preference_of_recipient()
    if preference is None:
        return Routing()
    if template in LEGAL_NOTICE_TEMPLATES:
        if getattr(preference, channel.value):
            return Routing()
        user = session.get(User, user_id)
        chosen = [name for name in CHANNELS if getattr(preference, name, False)]
        if user is not None and any(_address_of(user, name) for name in chosen):
            return Routing("channel turned off in the citizen's preferences (a legal notice goes by the chosen one)")
        return Routing(note=f"legal notice (Điều 8.2): sent by {channel.value} because no channel the citizen chose "
                            f"({', '.join(chosen) or 'none'}) has an address")
    if not getattr(preference, channel.value):
        return Routing("channel turned off in the citizen's preferences")
    if template in (preference.muted_templates or ()):
        return Routing("this kind of message is turned off in the citizen's preferences")
    return Routing()


# --- send -------------------------------------------------------------------------------------------


def _enqueue(session: Session, message: OutboxMessage) -> None:
    """Keep a queued message; it is dispatched when the caller's transaction commits."""
    session.add(message)
    session.flush()
    session.info.setdefault("notifications_to_dispatch", []).append(message.id)


def send(
    session: Session,
    *,
    channel: MessageChannel,
    recipient: str,
    template: str,
    context: dict,
    user_id: int | None = None,
    locale: str = "vi",
    one_time_code: str | None = None,
    now: datetime | None = None,
    attachment_form_id: int | None = None,
) -> OutboxMessage:
    """Render and queue one message in the caller's transaction; it is delivered after that commits.

    ``attachment_form_id`` names a stored official form whose PDF an e-mail carries (an SMS only links it).

    ``one_time_code`` fills the template's ``{code}`` at delivery only: the stored text shows CODE_MASK.
    A template that cannot be rendered (unknown, or a context key missing) does not break the caller's
    use case: the message is kept as failed with the reason, and logged as an error."""
    now = now or utcnow()
    channel = MessageChannel(channel)
    if not recipient:
        raise ValueError("a message needs a recipient")
    template_data, zalo_note = None, ""
    # read once, and only if a rule asks: the Zalo choice and the routing both look at them
    preference_of_recipient = functools.cache(lambda: preferences_of(session, user_id) if user_id is not None else None)
    if channel == MessageChannel.sms and template in zalo.ZNS_TEMPLATES:
        for notice in zalo_notices.follower_notices(session, template, context, now=now):
            _enqueue(session, notice)
        template_data, zalo_note = zalo_notices.zns_data_for(preference_of_recipient, template, context)
        if template_data is not None:
            channel = MessageChannel.zalo  # the citizen chose Zalo: the SMS stands by for a legal notice
    if template in CODE_TEMPLATES:
        # whichever way the caller gave the code, it is never written: the stored text shows the mask
        one_time_code = one_time_code or context.get("code")
        context = {**context, "code": CODE_MASK}
    message = OutboxMessage(
        channel=channel, recipient=recipient, recipient_user_id=user_id, template=template, subject="", body="",
        status=MessageStatus.queued, attempts=0, last_error="", created_at=now, next_attempt_at=None,
        gateway_reference="", attachment_form_id=attachment_form_id if channel == MessageChannel.email else None,
        template_data=template_data,
    )
    try:
        text = templates.render(template, context, locale)
        if channel == MessageChannel.sms:
            text = templates.for_sms(text)
    except ValueError as error:
        message.status, message.last_error = MessageStatus.failed, f"template: {error}"[:1000]
        log.error("message (%s) to %s not rendered: %s", template, mask_recipient(recipient), error)
    else:
        message.subject, message.body = text.subject, text.body
        routing = _routing(session, user_id, channel, template, preference_of_recipient)
        if routing.held_back:
            message.status, message.last_error = MessageStatus.skipped, routing.held_back
        elif routing.note:
            message.last_error = routing.note  # the row says why it went by a channel turned off
        elif zalo_note:
            message.last_error = zalo_note  # why a citizen who chose Zalo gets this one by SMS
    session.add(message)
    session.flush()
    if message.status == MessageStatus.queued:
        session.info.setdefault("notifications_to_dispatch", []).append(message.id)
        if one_time_code is not None:
            session.info.setdefault("notification_codes", {})[message.id] = one_time_code
        log.info("message %s (%s) queued for %s to %s", message.id, template, channel.value, mask_recipient(recipient))
    return message


# --- deliver ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryOutcome:
    #: "sent", "retry", "failed", "not_due", "done_already", "missing"
    result: str
    #: seconds until the next attempt, for "retry" and "not_due"
    retry_in: float | None = None


@dataclass(frozen=True)
class OutgoingMessage:
    """What a gateway is given for a message carrying a one-time code or an attachment: the stored row's
    fields, with the code put back into the text and the attached files. Never added to a session, so the
    code is never written."""

    id: int
    channel: MessageChannel
    recipient: str
    recipient_user_id: int | None
    template: str
    subject: str
    body: str
    #: (file name, PDF bytes) of each file an e-mail carries
    attachments: tuple[tuple[str, bytes], ...] = ()


def _with_attachment(session: Session, message, form_id: int) -> OutgoingMessage:
    """The message with the stored PDF of official form ``form_id`` attached (the bytes as issued)."""
    form = session.scalar(select(OfficialForm).where(OfficialForm.id == form_id)
                          .options(undefer(OfficialForm.pdf)))
    files = () if form is None else (
        (f"mau-{form.form_no:02d}-{SUFFIXES[form.form_no].lower()}-{form.number}-{form.year}.pdf", form.pdf),)
    return OutgoingMessage(
        id=message.id, channel=message.channel, recipient=message.recipient,
        recipient_user_id=message.recipient_user_id, template=message.template, subject=message.subject,
        body=message.body, attachments=files,
    )


def _with_code(message: OutboxMessage, code: str) -> OutgoingMessage:
    return OutgoingMessage(
        id=message.id, channel=message.channel, recipient=message.recipient,
        recipient_user_id=message.recipient_user_id, template=message.template,
        subject=message.subject.replace(CODE_MASK, code), body=message.body.replace(CODE_MASK, code),
    )


def deliver(
    session: Session,
    message_id: int,
    *,
    one_time_code: str | None = None,
    adapter: DeliveryAdapter | None = None,
    now: datetime | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> DeliveryOutcome:
    """Hand one queued message to its gateway and record what happened; the caller commits.

    ``one_time_code`` is the code the delivery task carries for a code message (see the module docstring).
    The row is locked first, so two deliveries of the same id (a redelivered task and the sweep)
    never both send: the second finds it no longer queued."""

    now = now or utcnow()
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.id == message_id).with_for_update())
    if message is None:
        return DeliveryOutcome("missing")
    if message.status != MessageStatus.queued:
        return DeliveryOutcome("done_already")
    if message.next_attempt_at is not None and message.next_attempt_at > now:
        return DeliveryOutcome("not_due", (message.next_attempt_at - now).total_seconds())
    channel = message.channel.value
    message.attempts += 1
    outgoing = message
    if message.template in CODE_TEMPLATES:
        if not one_time_code:
            # sending the masked text would be useless; the code itself was never stored
            return _failed(message, "the one-time code is not kept: the citizen must ask for a new code", metrics)
        outgoing = _with_code(message, one_time_code)
    elif message.attachment_form_id is not None:
        outgoing = _with_attachment(session, message, message.attachment_form_id)
    try:
        reference = (adapter or current_adapter()).deliver(outgoing)
    except PermanentDeliveryError as error:
        return _failed(message, str(error), metrics, session=session, now=now)
    except Exception as error:  # noqa: BLE001 - a broken adapter is a failed attempt, never a dead worker
        reason = str(error) if isinstance(error, DeliveryError) else f"{error.__class__.__name__} in the adapter"
        if message.attempts >= max_attempts:
            return _failed(message, reason, metrics, session=session, now=now)
        delay = backoff_seconds(message.attempts)
        message.last_error = reason[:1000]
        message.next_attempt_at = now + timedelta(seconds=delay)
        metrics.NOTIFICATIONS_RETRIED.labels(channel=channel).inc()
        log.warning("message %s (%s) to %s not delivered (attempt %d), retry in %.0f s: %s", message.id,
                    message.template, mask_recipient(message.recipient), message.attempts, delay, reason)
        return DeliveryOutcome("retry", delay)
    message.status, message.sent_at, message.next_attempt_at = MessageStatus.sent, now, None
    message.gateway_reference = (reference or "")[:128]
    metrics.NOTIFICATIONS_SENT.labels(channel=channel).inc()
    log.info("message %s (%s) sent by %s to %s", message.id, message.template, channel, mask_recipient(message.recipient))
    return DeliveryOutcome("sent")


def _failed(message: OutboxMessage, reason: str, metrics, *, session: Session | None = None,
            now: datetime | None = None) -> DeliveryOutcome:
    message.status, message.last_error, message.next_attempt_at = MessageStatus.failed, reason[:1000], None
    metrics.NOTIFICATIONS_FAILED.labels(channel=message.channel.value).inc()
    log.error("message %s (%s) to %s failed after %d attempt(s): %s", message.id, message.template,
              mask_recipient(message.recipient), message.attempts, reason)
    if session is not None and message.channel == MessageChannel.zalo:
        stand_in = zalo_notices.stand_in_sms(session, message, now=now or utcnow(),
                                             legal=message.template in LEGAL_NOTICE_TEMPLATES)
        if stand_in is not None:
            _enqueue(session, stand_in)
            message.last_error = f"{reason} → SMS {stand_in.id}"[:1000]
            log.info("message %s: Zalo could not deliver it, SMS %s stands in", message.id, stand_in.id)
    return DeliveryOutcome("failed")


def due_messages(session: Session, *, now: datetime, older_than: timedelta = timedelta(seconds=30), limit: int = 500) -> list[int]:
    """Queued messages the sweep should dispatch again: due, and not just written (their task is on its way).

    Code messages are left out: only their own task carries the code (a copy dispatched without it would
    fail the message while its task may still be retrying); ``expire_lost_code_messages`` ends them."""
    return list(session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == MessageStatus.queued, OutboxMessage.created_at <= now - older_than,
               OutboxMessage.template.not_in(CODE_TEMPLATES),
               or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.id)
        .limit(limit)
    ))


#: a code message still queued this long after it was written will never be delivered usefully:
#: the code it carried has expired (one_time_codes.CODE_LIFETIME is 5 minutes)
LOST_CODE_MESSAGE_AGE = timedelta(minutes=10)


def expire_lost_code_messages(session: Session, *, now: datetime) -> int:
    """Mark failed the code messages whose task was lost; the caller commits. Returns how many."""
    lost = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == MessageStatus.queued, OutboxMessage.template.in_(CODE_TEMPLATES),
               OutboxMessage.created_at <= now - LOST_CODE_MESSAGE_AGE)
        .with_for_update(skip_locked=True)
    ).all()
    for message in lost:
        message.status, message.next_attempt_at = MessageStatus.failed, None
        message.last_error = "the one-time code expired before delivery: the citizen must ask for a new code"
    session.flush()
    return len(lost)
