"""The merchant terminals: which VNPay terminal (vnp_TmnCode) each agency is paid through.

A terminal is the merchant's contract with VNPay (or the treasury account behind it): VNPay issues
one daily transaction file per terminal, so reconciliation, its exceptions and its sign-off follow
the terminal's agency. The hash secret is never stored here: a terminal names the environment
variable that holds it (see payments.terminals).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from postal_gateway.core.db import Base, UTCDateTime


class MerchantTerminal(Base):
    """One agency's VNPay terminal: its code and addresses, and where its secret is kept."""

    __tablename__ = "payment_merchant_terminals"
    __table_args__ = (
        # a real terminal needs VNPay's addresses and a secret; only a demo terminal may leave them out
        CheckConstraint(
            "sandbox OR (payment_url <> '' AND api_url <> '' AND hash_secret_variable <> '')",
            name="real_terminal_complete",
        ),
        CheckConstraint("tmn_code <> ''", name="tmn_code_present"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the agency paid through this terminal (one terminal per agency)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id", ondelete="CASCADE"), unique=True)
    #: vnp_TmnCode VNPay issued for the terminal
    tmn_code: Mapped[str] = mapped_column(String(16), unique=True)
    #: a demo terminal of the local sandbox: its addresses are this app's own and its secret the public demo one
    sandbox: Mapped[bool] = mapped_column(default=False)
    #: VNPay's vpcpay.html address for this terminal (empty for a demo terminal)
    payment_url: Mapped[str] = mapped_column(String(500), default="")
    #: VNPay's merchant API address, querydr and refund (empty for a demo terminal)
    api_url: Mapped[str] = mapped_column(String(500), default="")
    #: name of the environment variable holding the terminal's hash secret, e.g. VNPAY_HASH_SECRET_HCM00001
    hash_secret_variable: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    agency = relationship("Agency")
