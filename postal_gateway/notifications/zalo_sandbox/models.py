"""What the local Zalo sandbox keeps: the messages it accepted (ZNS to phones, OA messages to followers,
what followers typed) and the faults switched on."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from postal_gateway.core.db import Base, UTCDateTime, utcnow


class SandboxZaloMessage(Base):
    __tablename__ = "zalo_sandbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "zns" (a template to a phone), "oa_out" (the OA to a follower), "oa_in" (a follower to the OA)
    kind: Mapped[str] = mapped_column(String(8))
    #: the phone (84...) of a ZNS, the follower's id of an OA message
    recipient: Mapped[str] = mapped_column(String(64), index=True)
    template_id: Mapped[str] = mapped_column(String(64), default="")
    template_data: Mapped[dict | None] = mapped_column(JSON)
    tracking_id: Mapped[str] = mapped_column(String(64), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    msg_id: Mapped[str] = mapped_column(String(64), default="")
    #: how many earlier messages carried the same tracking_id (a repeat the sender should not have made)
    repeat_of: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SandboxZaloState(Base):
    """One row: the access token the sandbox issued, and the faults to inject."""

    __tablename__ = "zalo_sandbox_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    access_token: Mapped[str] = mapped_column(String(128), default="")
    refresh_token: Mapped[str] = mapped_column(String(128), default="")
    #: fault name -> how many more times it strikes (-1: until switched off)
    faults: Mapped[dict] = mapped_column(JSON, default=dict)
    #: ZNS sends left today
    remaining_quota: Mapped[int] = mapped_column(Integer, default=500)
