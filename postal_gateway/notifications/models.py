"""Messages to citizens and staff, kept as an outbox before and after they are sent (R-20)."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from postal_gateway.core.db import Base, UTCDateTime, utcnow


class MessageChannel(str, enum.Enum):
    sms = "sms"
    email = "email"
    #: a Zalo Notification Service template to the phone's Zalo account, or an OA message to a follower
    #: (``notifications.zalo``)
    zalo = "zalo"


class MessageStatus(str, enum.Enum):
    #: written, not yet handed to a gateway
    queued = "queued"
    #: accepted by the gateway (or kept in the development outbox)
    sent = "sent"
    #: the gateway refused it after every retry
    failed = "failed"
    #: not sent: the citizen turned this channel off (preferences)
    skipped = "skipped"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_created_at", "created_at"),
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[MessageChannel] = mapped_column(Enum(MessageChannel, native_enum=False, length=8))
    #: phone in E.164 or e-mail address
    recipient: Mapped[str] = mapped_column(String(255))
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: template name, e.g. "one_time_code"
    template: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[MessageStatus] = mapped_column(
        Enum(MessageStatus, native_enum=False, length=8), default=MessageStatus.queued
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the worker may try again (a retry's backoff); None: as soon as it is picked up
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the gateway's id of the accepted message, if it gave one
    gateway_reference: Mapped[str] = mapped_column(String(128), default="")
    #: an e-mail's attachment: the stored PDF of the form it announces (form 01, 02 or 03 at reception)
    attachment_form_id: Mapped[int | None] = mapped_column(ForeignKey("official_forms.id"))
    #: a Zalo message's ``template_data`` (ZNS field name -> value, already within Zalo's limits)
    template_data: Mapped[dict | None] = mapped_column(JSON)
    #: the Zalo message this SMS stands in for when Zalo could not deliver it; unique: one stand-in at most
    fallback_for_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"), unique=True)


class NotificationPreference(Base):
    """A citizen's choice of channels and kinds of message (R-20). One-time codes ignore it: they are asked for."""

    __tablename__ = "notification_preferences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    #: text messages to the account's phone
    sms: Mapped[bool] = mapped_column(Boolean, default=True)
    #: e-mails to the account's address
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    #: Zalo notices (ZNS) to the account's phone instead of text messages; a legal notice Zalo cannot
    #: deliver goes by SMS after all
    zalo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: template names the citizen turned off, e.g. ["apology"]; kept as the ones *not* wanted so that a
    #: kind of message added later reaches everyone until they turn it off
    muted_templates: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
