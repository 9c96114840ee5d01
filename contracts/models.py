"""Contracts between an agency and the provincial post (Điều 22), their versions, tariffs,
national full-trip limits, the version each dossier was received under, and postal cash books."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from postal_gateway.core.db import Base, UTCDateTime, utcnow


class Leg(str, enum.Enum):
    #: chiều đi: citizen -> post -> agency
    forward = "forward"
    #: chiều về: agency -> post -> citizen
    return_ = "return"


class Zone(str, enum.Enum):
    """Zones of a place relative to the agency, on the two-level map of 1 July 2025."""

    #: cùng xã/phường với cơ quan
    same_commune = "same_commune"
    #: cùng tỉnh, khác xã/phường
    same_province = "same_province"
    #: tỉnh khác
    other_province = "other_province"
    #: vùng sâu, vùng xa: a commune on one of the contract's named remote lists, with the list's own time
    remote = "remote"
    #: cùng huyện: only in records made before the two-level map (historic contracts and dossiers keep it)
    same_district = "same_district"


#: the zones a contract agrees times and postage for (a remote list carries its own time)
GEOGRAPHIC_ZONES = (Zone.same_commune, Zone.same_province, Zone.other_province)
#: the zones of the national-limit table (R-17, Điều 22.5)
LIMIT_ZONES = (*GEOGRAPHIC_ZONES, Zone.remote)


class NationalLimit(Base):
    """The national ceiling on a full-trip time (R-17), editable by an operator, with its source."""

    __tablename__ = "contract_national_limits"
    __table_args__ = (
        UniqueConstraint("leg", "zone"),
        CheckConstraint("max_hours > 0", name="max_hours_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    leg: Mapped[Leg] = mapped_column(Enum(Leg, native_enum=False, length=16))
    zone: Mapped[Zone] = mapped_column(Enum(Zone, native_enum=False, length=16))
    #: the longest full-trip time a contract may agree, in clock hours
    max_hours: Mapped[int] = mapped_column(Integer)
    #: the legal text the figure comes from, e.g. "Thông tư 14/2018/TT-BTTTT"
    legal_source: Mapped[str] = mapped_column(String(255))
    #: true while the figure is not verified against the published text
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class Contract(Base):
    """A signed contract between one agency and the provincial post; its content lives in versions."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the contract's own number, e.g. "01/2026/HĐ-STTTT-BĐT"
    number: Mapped[str] = mapped_column(String(64), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    #: the postal party, e.g. "Bưu điện tỉnh Bình Phước"
    post_name: Mapped[str] = mapped_column(String(255))
    post_representative: Mapped[str] = mapped_column(String(255), default="")
    agency_representative: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency = relationship("Agency")
    versions: Mapped[list["ContractVersion"]] = relationship(
        back_populates="contract", order_by="ContractVersion.number", cascade="all, delete-orphan"
    )


class ContractVersion(Base):
    """The contract's content from one moment on: the original text (1) or an amendment (2, 3, ...).

    Versions of one agency's contracts never overlap in time, so one version is in force at a time.
    """

    __tablename__ = "contract_versions"
    __table_args__ = (
        UniqueConstraint("contract_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("valid_until IS NULL OR valid_until > valid_from", name="period_ordered"),
        CheckConstraint(
            "return_commitment_hours BETWEEN 1 AND 24", name="return_commitment_at_most_24h"
        ),
        CheckConstraint("home_pickup_vnd >= 0", name="home_pickup_not_negative"),
        CheckConstraint("home_delivery_vnd >= 0", name="home_delivery_not_negative"),
        CheckConstraint(
            "collection_fee_basis_points BETWEEN 0 AND 10000", name="collection_fee_rate_range"
        ),
        CheckConstraint("collection_fee_min_vnd >= 0", name="collection_fee_min_not_negative"),
        CheckConstraint("vat_basis_points BETWEEN 0 AND 10000", name="vat_rate_range"),
        CheckConstraint("compensation_cap_vnd IS NULL OR compensation_cap_vnd >= 0", name="compensation_cap_not_negative"),
        Index("ix_contract_versions_agency_from", "agency_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"))
    #: copied from the contract so that overlap checks and lookups need no join
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    #: 1 is the signed contract, each amendment adds one
    number: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    #: exclusive end; None while open-ended
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: what the amendment changes, in words
    summary: Mapped[str] = mapped_column(Text, default="")
    #: every postal-eligible procedure of the agency, rather than the listed ones
    covers_all_eligible: Mapped[bool] = mapped_column(Boolean, default=True)
    #: hours after the result is available within which the post returns it (Điều 25.2: 24)
    return_commitment_hours: Mapped[int] = mapped_column(Integer, default=24)
    #: CollectionMethod values agreed for fees (Điều 23.4)
    collection_methods: Mapped[list] = mapped_column(JSON, default=list)
    #: what the post pays when a dossier is lost or damaged (Điều 25.2)
    compensation_terms: Mapped[str] = mapped_column(Text, default="")
    #: the most the post pays for one lost dossier, fee and postage included; None: no ceiling agreed
    compensation_cap_vnd: Mapped[int | None] = mapped_column(Integer)
    #: training of postal staff by the agency (Điều 22.4)
    training_clause: Mapped[str] = mapped_column(Text, default="")
    #: cước phụ thu for collecting at the citizen's address
    home_pickup_vnd: Mapped[int] = mapped_column(Integer, default=0)
    #: cước phụ thu for delivering the result to the citizen's address
    home_delivery_vnd: Mapped[int] = mapped_column(Integer, default=0)
    #: collection-on-behalf (thu hộ) fee, in hundredths of a percent of the fee collected
    collection_fee_basis_points: Mapped[int] = mapped_column(Integer, default=0)
    #: the collection-on-behalf fee is never below this
    collection_fee_min_vnd: Mapped[int] = mapped_column(Integer, default=0)
    #: VAT on postage and surcharges, in hundredths of a percent (1000 = 10 %)
    vat_basis_points: Mapped[int] = mapped_column(Integer, default=1000)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    contract: Mapped[Contract] = relationship(back_populates="versions")
    procedures: Mapped[list["ContractProcedure"]] = relationship(
        cascade="all, delete-orphan", order_by="ContractProcedure.procedure_id"
    )
    service_points: Mapped[list["ContractServicePoint"]] = relationship(
        cascade="all, delete-orphan", order_by="ContractServicePoint.post_office_id"
    )
    pickup_areas: Mapped[list["PickupArea"]] = relationship(
        cascade="all, delete-orphan", order_by="PickupArea.id"
    )
    trip_times: Mapped[list["FullTripTime"]] = relationship(
        cascade="all, delete-orphan", order_by="FullTripTime.id"
    )
    postage_bands: Mapped[list["PostageBand"]] = relationship(
        cascade="all, delete-orphan", order_by="(PostageBand.zone, PostageBand.max_grams)"
    )
    remote_areas: Mapped[list["RemoteArea"]] = relationship(
        cascade="all, delete-orphan", order_by="RemoteArea.id"
    )


class ContractProcedure(Base):
    """A procedure listed in a version that does not cover every eligible one."""

    __tablename__ = "contract_procedures"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("contract_versions.id", ondelete="CASCADE"), primary_key=True
    )
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), primary_key=True)

    procedure = relationship("Procedure")


class ContractServicePoint(Base):
    """A post office where dossiers under this version are collected (R-15)."""

    __tablename__ = "contract_service_points"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("contract_versions.id", ondelete="CASCADE"), primary_key=True
    )
    post_office_id: Mapped[int] = mapped_column(ForeignKey("post_offices.id"), primary_key=True)

    post_office = relationship("PostOffice")


class PickupArea(Base):
    """An administrative area where the post collects at the citizen's address."""

    __tablename__ = "contract_pickup_areas"
    __table_args__ = (UniqueConstraint("version_id", "province_code", "district_code", "commune_code",
                                        name="uq_contract_pickup_areas_unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("contract_versions.id", ondelete="CASCADE"))
    #: GSO province code, e.g. "70" (Bình Phước)
    province_code: Mapped[str] = mapped_column(String(8))
    #: GSO district code, in versions made before the two-level map only; empty means the whole province
    district_code: Mapped[str] = mapped_column(String(8), default="")
    #: GSO code of a new commune (2025); empty means the whole province
    commune_code: Mapped[str] = mapped_column(String(8), default="", server_default="")


class FullTripTime(Base):
    """The agreed full-trip time (thời gian toàn trình) of one leg in one zone, in clock hours."""

    __tablename__ = "contract_trip_times"
    __table_args__ = (
        UniqueConstraint("version_id", "leg", "zone"),
        CheckConstraint("hours > 0", name="hours_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("contract_versions.id", ondelete="CASCADE"))
    leg: Mapped[Leg] = mapped_column(Enum(Leg, native_enum=False, length=16))
    zone: Mapped[Zone] = mapped_column(Enum(Zone, native_enum=False, length=16))
    hours: Mapped[int] = mapped_column(Integer)


class PostageBand(Base):
    """Postage (cước) for one leg of a dossier up to a weight, in one zone, before VAT."""

    __tablename__ = "contract_postage_bands"
    __table_args__ = (
        UniqueConstraint("version_id", "zone", "max_grams"),
        CheckConstraint("max_grams > 0", name="max_grams_positive"),
        CheckConstraint("price_vnd >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("contract_versions.id", ondelete="CASCADE"))
    zone: Mapped[Zone] = mapped_column(Enum(Zone, native_enum=False, length=16))
    #: upper bound of the band, inclusive
    max_grams: Mapped[int] = mapped_column(Integer)
    price_vnd: Mapped[int] = mapped_column(Integer)


class RemoteArea(Base):
    """A named list of communes the post declares remote (vùng sâu, vùng xa), with its own full-trip times;
    postage there is the geographic zone's."""

    __tablename__ = "contract_remote_areas"
    __table_args__ = (
        UniqueConstraint("version_id", "name"),
        CheckConstraint("forward_hours > 0 AND return_hours > 0", name="hours_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("contract_versions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    #: codes of new communes (statistics office, 2025)
    commune_codes: Mapped[list] = mapped_column(JSON, default=list)
    forward_hours: Mapped[int] = mapped_column(Integer)
    return_hours: Mapped[int] = mapped_column(Integer)


class DossierContract(Base):
    """The contract version in force when a dossier was received: later amendments never touch it."""

    __tablename__ = "dossier_contracts"

    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), primary_key=True
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("contract_versions.id"))
    #: zone of the pickup place and of the delivery address, relative to the agency
    forward_zone: Mapped[Zone] = mapped_column(Enum(Zone, native_enum=False, length=16))
    return_zone: Mapped[Zone] = mapped_column(Enum(Zone, native_enum=False, length=16))
    #: the remote list that gave a leg the zone "remote" (its full-trip time applies)
    remote_area_id: Mapped[int | None] = mapped_column(ForeignKey("contract_remote_areas.id"))
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[ContractVersion] = relationship()


class ShiftStatus(str, enum.Enum):
    #: the worker is collecting
    open = "open"
    #: closed, cash not yet handed to the cashier
    closed = "closed"
    #: handed to the cashier, discrepancy (if any) recorded
    remitted = "remitted"


class CashShift(Base):
    """One postal worker's shift: the cash book covers what they collected between open and close."""

    __tablename__ = "cash_shifts"
    __table_args__ = (
        CheckConstraint("closed_at IS NULL OR closed_at > opened_at", name="period_ordered"),
        Index("ix_cash_shifts_worker_opened", "worker_id", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    post_office_id: Mapped[int] = mapped_column(ForeignKey("post_offices.id"))
    status: Mapped[ShiftStatus] = mapped_column(
        Enum(ShiftStatus, native_enum=False, length=16), default=ShiftStatus.open
    )
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    worker = relationship("User")
    post_office = relationship("PostOffice")
    remittance: Mapped["Remittance | None"] = relationship(back_populates="shift", uselist=False)


class Remittance(Base):
    """The hand-over of a shift's cash to the post office cashier, with any discrepancy explained."""

    __tablename__ = "cash_remittances"
    __table_args__ = (
        CheckConstraint("fee_vnd >= 0 AND postage_vnd >= 0", name="amounts_not_negative"),
        CheckConstraint("refunds_vnd >= 0", name="refunds_not_negative"),
        # fees refunded in cash during the shift left the till (Điều 14.2.c): what is handed over is net of them
        CheckConstraint("handed_vnd = fee_vnd + postage_vnd - refunds_vnd", name="parts_add_up"),
        CheckConstraint("discrepancy_vnd = handed_vnd - expected_vnd", name="discrepancy_is_difference"),
        CheckConstraint("discrepancy_vnd = 0 OR reason != ''", name="discrepancy_explained"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("cash_shifts.id"), unique=True)
    cashier_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: lệ phí handed over, owed on to the agencies
    fee_vnd: Mapped[int] = mapped_column(Integer)
    #: cước handed over, kept by the post
    postage_vnd: Mapped[int] = mapped_column(Integer)
    #: lệ phí paid back in cash to citizens during the shift (cash_refunds), out of the till
    refunds_vnd: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    handed_vnd: Mapped[int] = mapped_column(Integer)
    #: what the cash book says should have been handed over
    expected_vnd: Mapped[int] = mapped_column(Integer)
    #: handed minus expected: negative is a shortfall, positive a surplus
    discrepancy_vnd: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    remitted_at: Mapped[datetime] = mapped_column(UTCDateTime)

    shift: Mapped[CashShift] = relationship(back_populates="remittance")
    cashier = relationship("User")


class CashRefund(Base):
    """A lệ phí taken in cash or on behalf, paid back at the post office for a dossier the agency could not
    handle (Điều 14.2.c): the agency bears it, so its admin authorises it; a postal worker of the office holding
    the dossier pays it out of an open shift's till, against a voucher (phiếu chi) the citizen signs."""

    __tablename__ = "cash_refunds"
    __table_args__ = (
        CheckConstraint("amount_vnd > 0", name="amount_positive"),
        CheckConstraint(
            "(paid_at IS NULL AND paid_by_id IS NULL AND shift_id IS NULL AND voucher_number IS NULL) OR "
            "(paid_at IS NOT NULL AND paid_by_id IS NOT NULL AND shift_id IS NOT NULL AND voucher_number IS NOT NULL"
            " AND recipient_name != '' AND length(recipient_id_number_last4) = 4)",
            name="payment_all_or_nothing",
        ),
        Index("ix_cash_refunds_shift_id", "shift_id"),
        Index("ix_cash_refunds_dossier_id", "dossier_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: one refund per flag: a double click or a retry finds this row
    refund_flag_id: Mapped[int] = mapped_column(ForeignKey("refund_flags.id"), unique=True)
    #: no ON DELETE CASCADE: money paid out stays on the books
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    #: lệ phí only, integer VND; never above the flag's amount nor the fee taken in cash or on behalf
    amount_vnd: Mapped[int] = mapped_column(Integer)
    #: the agency admin of the dossier's agency
    authorised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    authorised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the postal worker who paid it out; None until paid
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: who took the money and signed the voucher
    recipient_name: Mapped[str] = mapped_column(String(255), default="")
    #: the last four characters of their ID number, checked against the card shown
    recipient_id_number_last4: Mapped[str] = mapped_column(String(4), default="")
    #: số phiếu chi: the paper voucher the citizen signs
    voucher_number: Mapped[str | None] = mapped_column(String(32))
    #: the worker's shift whose cash book shows the refund as a negative line
    shift_id: Mapped[int | None] = mapped_column(ForeignKey("cash_shifts.id"))

    dossier = relationship("Dossier")
    flag = relationship("RefundFlag")
    authorised_by = relationship("User", foreign_keys=[authorised_by_id])
    paid_by = relationship("User", foreign_keys=[paid_by_id])
    shift = relationship("CashShift")
