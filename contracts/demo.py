"""The demo contract between the demo agency (000.00.20.H10) and Bưu điện tỉnh Bình Phước.

Figures (tariff, times, surcharges) are DEMONSTRATION figures, not the post's published prices.
The contract is written on the two-level map of 1 July 2025: Bình Phước (old code 70) is now part of
Đồng Nai (75); its pickup area is the communes that replaced the old province's districts, and one
remote list names communes along the Cambodian border (demonstration choice, not the post's list).
``load_demo_contracts`` is idempotent: a second run finds the contract and changes nothing.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.limits import ensure_national_limits
from contracts.models import Contract
from contracts.parsing import start_of_local_day
from contracts.places.store import refresh_units
from contracts.versions.services import VersionDraft, create_contract
from postal_gateway.catalogue.models import Agency, PostOffice
from postal_gateway.core.db import utcnow

DEMO_AGENCY_CODE = "000.00.20.H10"
DEMO_CONTRACT_NUMBER = "01/2026/HĐ-STTTT-BĐBP"
DEMO_POST_NAME = "Bưu điện tỉnh Bình Phước"

#: (zone, up to grams, postage before VAT): demonstration figures
DEMO_BANDS = (
    ("same_commune", 100, 10_000), ("same_commune", 500, 15_000),
    ("same_commune", 1_000, 20_000), ("same_commune", 2_000, 28_000),
    ("same_province", 100, 12_000), ("same_province", 500, 18_000),
    ("same_province", 1_000, 24_000), ("same_province", 2_000, 33_000),
    ("other_province", 100, 16_000), ("other_province", 500, 25_000),
    ("other_province", 1_000, 35_000), ("other_province", 2_000, 50_000),
)
#: full-trip hours per zone, the same on both legs: within the provisional national limits
DEMO_TRIP_HOURS = {"same_commune": 24, "same_province": 48, "other_province": 96}
#: old districts of Bình Phước (GSO codes) whose communes the post collects from: all eleven
DEMO_OLD_DISTRICTS = ("688", "689", "690", "691", "692", "693", "694", "695", "696", "697", "698")
#: remote communes (vùng sâu, vùng xa), demonstration: the border communes of old Bù Gia Mập and Lộc Ninh
DEMO_REMOTE_AREA = ("Biên giới Bù Gia Mập, Lộc Ninh (minh họa)", ("25222", "25225", "25279", "25280"), 72, 72)


def demo_draft(valid_from_day: date = date(2026, 1, 1), **changes) -> VersionDraft:
    draft = VersionDraft(
        valid_from=start_of_local_day(valid_from_day),
        valid_until=start_of_local_day(date(valid_from_day.year + 3, valid_from_day.month, valid_from_day.day)),
        summary="Hợp đồng cung ứng dịch vụ bưu chính công ích tiếp nhận hồ sơ, trả kết quả giải quyết TTHC (minh họa).",
        covers_all_eligible=True,
        pickup_areas=[("70", district) for district in DEMO_OLD_DISTRICTS],
        remote_areas=[(DEMO_REMOTE_AREA[0], list(DEMO_REMOTE_AREA[1]), DEMO_REMOTE_AREA[2], DEMO_REMOTE_AREA[3])],
        trip_hours={(leg, zone): hours for leg in ("forward", "return") for zone, hours in DEMO_TRIP_HOURS.items()},
        return_commitment_hours=24,
        collection_methods=["cash", "collection_on_behalf", "bank_transfer", "card"],
        compensation_terms=(
            "Khi mất hồ sơ, Bưu điện tỉnh bồi thường mọi chi phí và lệ phí, liên hệ cơ quan có thẩm quyền "
            "để làm lại cho người dân, doanh nghiệp (Điều 25.2). Hư hỏng: bồi thường theo mức thiệt hại thực tế."
        ),
        compensation_cap_vnd=5_000_000,
        training_clause=(
            "Sở Thông tin và Truyền thông tập huấn nhân viên bưu chính về tiếp nhận hồ sơ giấy và đăng ký "
            "trực tuyến trước khi triển khai và khi thủ tục thay đổi (Điều 22.4)."
        ),
        home_pickup_vnd=10_000,
        home_delivery_vnd=10_000,
        collection_fee_basis_points=100,
        collection_fee_min_vnd=5_000,
        vat_basis_points=1000,
        postage_bands=list(DEMO_BANDS),
    )
    for name, value in changes.items():
        setattr(draft, name, value)
    return draft


def load_demo_contracts(session: Session) -> list[str]:
    """Load the administrative units and create the demo contract if it is missing; returns lines to print."""
    units = refresh_units(session, now=utcnow())
    unit_lines = units.lines()[:2] if units.changed else []
    ensure_national_limits(session)
    existing = session.scalars(select(Contract).where(Contract.number == DEMO_CONTRACT_NUMBER)).first()
    if existing is not None:
        return [f"contract {DEMO_CONTRACT_NUMBER}: already loaded"] + unit_lines
    agency = session.scalars(select(Agency).where(Agency.code == DEMO_AGENCY_CODE)).first()
    if agency is None:
        return [f"contract {DEMO_CONTRACT_NUMBER}: skipped, load the demo catalogue first"] + unit_lines
    if session.scalars(select(Contract.id).where(Contract.agency_id == agency.id)).first() is not None:
        return [f"contract {DEMO_CONTRACT_NUMBER}: skipped, {DEMO_AGENCY_CODE} already has a contract"] + unit_lines
    offices = [code for code in session.scalars(select(PostOffice.code).order_by(PostOffice.code))]
    create_contract(
        session,
        agency_code=DEMO_AGENCY_CODE,
        number=DEMO_CONTRACT_NUMBER,
        post_name=DEMO_POST_NAME,
        agency_representative="Giám đốc Sở Thông tin và Truyền thông (minh họa)",
        post_representative="Giám đốc Bưu điện tỉnh Bình Phước (minh họa)",
        draft=demo_draft(service_point_codes=offices),
        now=utcnow(),
    )
    session.flush()
    return [f"contract {DEMO_CONTRACT_NUMBER}: {DEMO_POST_NAME}, {len(offices)} service points"] + unit_lines
