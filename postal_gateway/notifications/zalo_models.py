"""Tables of the Zalo channel: the OA's tokens, the webhook events already handled, and the
followers who asked for a dossier's notices."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from postal_gateway.core.db import Base, UTCDateTime, utcnow


class ZaloToken(Base):
    """The Official Account's OAuth v4 tokens: one row. Zalo rotates the refresh token at every refresh
    (the old one stops working), so the newest pair is kept here, never only in the environment."""

    __tablename__ = "zalo_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    access_token: Mapped[str] = mapped_column(Text, default="")
    refresh_token: Mapped[str] = mapped_column(Text, default="")
    #: when the access token stops working (Zalo gives expires_in, 90000 s)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: why the last refresh failed ("" after a success)
    last_error: Mapped[str] = mapped_column(Text, default="")


class ZaloWebhookEvent(Base):
    """An OA event already handled: a second delivery of the same event (Zalo retrying, a replay) is
    recognised by its key and ignored."""

    __tablename__ = "zalo_webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the message's msg_id, or a hash of the signed body for events without one (follow, unfollow)
    event_key: Mapped[str] = mapped_column(String(128), unique=True)
    event_name: Mapped[str] = mapped_column(String(64))
    #: the sender's id for this app (user_id_by_app or sender.id)
    zalo_user_id: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ZaloSubscription(Base):
    """A follower of the OA who asked for a dossier's notices (``THEO DOI <mã>``): each notice of the dossier
    also goes to them as an OA message naming its status only (the R-19 fields anyone holding the code sees)."""

    __tablename__ = "zalo_subscriptions"
    __table_args__ = (UniqueConstraint("zalo_user_id", "dossier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    zalo_user_id: Mapped[str] = mapped_column(String(64), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
