"""Signing a contract and amending it: each amendment is a new version (Điều 22).

Rules checked before anything is written, all at once (one InvalidInput naming every field):
- versions of one agency's contracts never overlap in time, so one version is in force at a time;
- an amendment cannot take effect in the past (dossiers already received keep their version);
- every leg and zone has a full-trip time, none above the national limit (R-17, ``limits.py``);
- the return commitment is at most 24 hours (Điều 25.2); amounts are non-negative integer VND;
- listed procedures belong to the agency and may go by post; post offices exist.

Warned about, not refused (``commitment_warnings``): a return-leg zone time longer than the version's return
commitment. Điều 22.5 lets the contract agree the full-trip time within the national limits, Điều 25.2 commits
the post to return within 24 hours: both are kept, and the clash is shown.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.limits import limit_violations
from contracts.models import (
    GEOGRAPHIC_ZONES,
    Contract,
    ContractProcedure,
    ContractServicePoint,
    ContractVersion,
    FullTripTime,
    Leg,
    PickupArea,
    PostageBand,
    RemoteArea,
    Zone,
)
from contracts.parsing import clean_text, parse_int
from contracts.places import units as places
from contracts.zones import check_remote_lists
from postal_gateway.catalogue.models import Agency, PostOffice, Procedure
from postal_gateway.catalogue.services import normalise_procedure_code
from postal_gateway.core.domain import N_, FieldError, InvalidInput, NotFound
from postal_gateway.dossiers.models import CollectionMethod

#: methods a contract may agree for fees (Điều 23.4); online VNPay payment needs no contract
CONTRACT_COLLECTION_METHODS = (
    CollectionMethod.cash,
    CollectionMethod.collection_on_behalf,
    CollectionMethod.bank_transfer,
    CollectionMethod.card,
)
MAX_WEIGHT_GRAMS = 30_000
MAX_AMOUNT_VND = 100_000_000


@dataclass
class VersionDraft:
    """The content of a version as typed (form, file or code); ``validate`` reads and checks it."""

    valid_from: datetime | None
    valid_until: datetime | None = None
    summary: str = ""
    covers_all_eligible: bool = True
    #: procedure codes, when not covering every eligible one
    procedure_codes: list[str] = field(default_factory=list)
    #: post office codes
    service_point_codes: list[str] = field(default_factory=list)
    #: (province_code, commune_code or ""); an old (province, district) pair is converted to the communes
    #: that replaced the district (``convert_pickup_area``)
    pickup_areas: list[tuple[str, str]] = field(default_factory=list)
    #: (leg, zone) -> hours
    trip_hours: dict[tuple[str, str], Any] = field(default_factory=dict)
    return_commitment_hours: Any = 24
    collection_methods: list[str] = field(default_factory=lambda: ["cash", "collection_on_behalf"])
    compensation_terms: str = ""
    #: the most paid for one lost dossier, fee and postage included; None or "": no ceiling agreed
    compensation_cap_vnd: Any = None
    training_clause: str = ""
    home_pickup_vnd: Any = 0
    home_delivery_vnd: Any = 0
    #: hundredths of a percent of the fee collected on behalf
    collection_fee_basis_points: Any = 0
    collection_fee_min_vnd: Any = 0
    vat_basis_points: Any = 1000
    #: (zone, max_grams, price_vnd)
    postage_bands: list[tuple[str, Any, Any]] = field(default_factory=list)
    #: remote lists (vùng sâu, vùng xa): (name, commune codes, forward hours, return hours)
    remote_areas: list[tuple[str, list[str], Any, Any]] = field(default_factory=list)


def convert_pickup_area(province_code: str, unit_code: str = "") -> tuple[list[tuple[str, str]], str | None]:
    """A pickup area on the two-level map: (province, commune) pairs, and a note when it was converted.

    An old province code becomes the province it was merged into; an old district becomes every commune
    that took its communes (Nghị quyết 202/2025/QH15 and the Standing Committee's resolutions of June 2025).
    Raises ValueError naming the unknown code.
    """
    province_code, unit_code = clean_text(province_code), clean_text(unit_code)
    units = places.catalogue()
    new_province = province_code if province_code in units.provinces else places.new_province_for_legacy(province_code)
    if new_province is None:
        raise ValueError(f"province {province_code}")
    if not unit_code:
        if new_province != province_code:
            return [(new_province, "")], (f"{province_code} ({units.legacy_provinces[province_code][0]}) -> "
                                          f"{new_province} ({units.provinces[new_province].name})")
        return [(new_province, "")], None
    commune = units.communes.get(unit_code)
    if commune is not None and commune.province_code == new_province and len(unit_code) == 5:
        return [(new_province, unit_code)], None
    district = units.legacy_districts.get(unit_code)
    if district is None or district.province_code != province_code:
        raise ValueError(f"unit {unit_code}")
    codes = places.communes_replacing_district(unit_code)
    names = ", ".join(f"{code} {units.communes[code].name}" for code in codes)
    return [(units.communes[code].province_code, code) for code in codes], (
        f"{province_code}:{unit_code} ({district.name}, {district.province_name}) -> {names}")


@dataclass
class _Checked:
    values: dict[str, Any]
    procedures: list[Procedure]
    offices: list[PostOffice]
    pickup_areas: list[tuple[str, str]]
    trip_hours: dict[tuple[Leg, Zone], int]
    bands: list[tuple[Zone, int, int]]
    remote_areas: list[tuple[str, list[str], int, int]] = field(default_factory=list)


def _aware(value: Any) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None and value.utcoffset() is not None


def _check(session: Session, agency: Agency, draft: VersionDraft) -> tuple[_Checked, list[FieldError]]:
    errors: list[FieldError] = []

    def bad(name: str, message: str, **params: Any) -> None:
        errors.append(FieldError(name, message, params))

    if not _aware(draft.valid_from):
        bad("valid_from", N_("Vui lòng nhập ngày bắt đầu hiệu lực."))
    if draft.valid_until is not None:
        if not _aware(draft.valid_until):
            bad("valid_until", N_("Ngày hết hiệu lực không hợp lệ."))
        elif _aware(draft.valid_from) and draft.valid_until <= draft.valid_from:
            bad("valid_until", N_("Ngày hết hiệu lực phải sau ngày bắt đầu."))

    def amount(name: str, value: Any, maximum: int = MAX_AMOUNT_VND) -> int:
        number = parse_int(value)
        if number is None:
            bad(name, N_("Số tiền phải là số nguyên đồng (VND)."))
            return 0
        if number < 0 or number > maximum:
            bad(name, N_("Giá trị phải từ 0 đến %(maximum)s."), maximum=maximum)
            return 0
        return number

    def rate(name: str, value: Any) -> int:
        number = parse_int(value)
        if number is None or not 0 <= number <= 10_000:
            bad(name, N_("Tỷ lệ phải từ 0 đến 100 phần trăm, tối đa hai chữ số thập phân."))
            return 0
        return number

    values = {
        "summary": clean_text(draft.summary),
        "covers_all_eligible": bool(draft.covers_all_eligible),
        "compensation_terms": clean_text(draft.compensation_terms, 5000),
        "training_clause": clean_text(draft.training_clause, 5000),
        "home_pickup_vnd": amount("home_pickup_vnd", draft.home_pickup_vnd),
        "home_delivery_vnd": amount("home_delivery_vnd", draft.home_delivery_vnd),
        "collection_fee_basis_points": rate("collection_fee_basis_points", draft.collection_fee_basis_points),
        "collection_fee_min_vnd": amount("collection_fee_min_vnd", draft.collection_fee_min_vnd),
        "vat_basis_points": rate("vat_basis_points", draft.vat_basis_points),
        "compensation_cap_vnd": (None if draft.compensation_cap_vnd in (None, "")
                                 else amount("compensation_cap_vnd", draft.compensation_cap_vnd)),
    }
    commitment = parse_int(draft.return_commitment_hours)
    if commitment is None or not 1 <= commitment <= 24:
        bad(
            "return_commitment_hours",
            N_("Cam kết trả kết quả phải từ 1 đến 24 giờ: hợp đồng chỉ được rút ngắn mức 24 giờ."),
        )
        commitment = 24
    values["return_commitment_hours"] = commitment

    methods = []
    allowed = {method.value for method in CONTRACT_COLLECTION_METHODS}
    for method in draft.collection_methods:
        text = clean_text(method)
        if text not in allowed:
            bad("collection_methods", N_("Hình thức thu không hợp lệ: %(value)s."), value=text[:40])
        elif text not in methods:
            methods.append(text)
    if not methods and not any(e.field == "collection_methods" for e in errors):
        bad("collection_methods", N_("Chọn ít nhất một hình thức thu phí, lệ phí."))
    values["collection_methods"] = methods

    procedures: list[Procedure] = []
    if not values["covers_all_eligible"]:
        codes = [normalise_procedure_code(clean_text(code)) for code in draft.procedure_codes if clean_text(code)]
        if not codes:
            bad("procedures", N_("Chọn ít nhất một thủ tục, hoặc chọn tất cả thủ tục được nhận qua bưu chính."))
        found = {p.code: p for p in session.scalars(select(Procedure).where(Procedure.code.in_(codes)))} if codes else {}
        for code in dict.fromkeys(codes):
            procedure = found.get(code)
            if procedure is None:
                bad("procedures", N_("Không có thủ tục mã %(code)s."), code=code[:64])
            elif procedure.agency_id != agency.id:
                bad("procedures", N_("Thủ tục %(code)s không thuộc cơ quan của hợp đồng."), code=code)
            elif not procedure.postal_eligible:
                bad("procedures", N_("Thủ tục %(code)s không được nhận, trả qua bưu chính."), code=code)
            else:
                procedures.append(procedure)

    office_codes = list(dict.fromkeys(clean_text(code) for code in draft.service_point_codes if clean_text(code)))
    offices_found = (
        {o.code: o for o in session.scalars(select(PostOffice).where(PostOffice.code.in_(office_codes)))}
        if office_codes else {}
    )
    offices = []
    for code in office_codes:
        if code not in offices_found:
            bad("service_points", N_("Không có bưu cục mã %(code)s."), code=code[:16])
        else:
            offices.append(offices_found[code])

    areas = []
    for province_code, unit_code in draft.pickup_areas:
        try:
            converted, _note = convert_pickup_area(province_code, unit_code)
        except ValueError:
            if clean_text(province_code) not in places.provinces() and \
                    places.new_province_for_legacy(clean_text(province_code)) is None:
                bad("pickup_areas", N_("Mã tỉnh %(code)s không có trong danh mục."), code=clean_text(province_code)[:8])
            else:
                bad("pickup_areas", N_("Xã/phường hoặc huyện %(code)s không thuộc tỉnh %(province)s."),
                    code=clean_text(unit_code)[:8], province=clean_text(province_code)[:8])
            continue
        for area in converted:
            if area not in areas:
                areas.append(area)

    trip_hours: dict[tuple[Leg, Zone], int] = {}
    given = {}
    for (leg_text, zone_text), hours in draft.trip_hours.items():
        try:
            key = (Leg(clean_text(leg_text)), _current_zone(clean_text(zone_text)))
        except ValueError:
            bad("trip_times", N_("Chiều hoặc vùng không hợp lệ: %(leg)s / %(zone)s."),
                leg=clean_text(leg_text)[:16], zone=clean_text(zone_text)[:16])
            continue
        if key not in given or clean_text(zone_text) != Zone.same_district.value:
            given[key] = hours
    for leg in Leg:
        for zone in GEOGRAPHIC_ZONES:
            name = f"trip_times.{leg.value}.{zone.value}"
            if (leg, zone) not in given or given[(leg, zone)] in (None, ""):
                bad(name, N_("Thiếu thời gian toàn trình chiều %(leg)s, vùng %(zone)s."), leg=leg.value, zone=zone.value)
                continue
            hours = parse_int(given[(leg, zone)])
            if hours is None or hours <= 0:
                bad(name, N_("Thời gian toàn trình phải là số giờ nguyên dương."))
                continue
            trip_hours[(leg, zone)] = hours
    errors.extend(limit_violations(session, trip_hours))

    bands: list[tuple[Zone, int, int]] = []
    seen_bands = set()
    for index, (zone_text, max_grams, price) in enumerate(draft.postage_bands, start=1):
        name = f"postage_bands.{index}"
        try:
            zone = _current_zone(clean_text(zone_text))
        except ValueError:
            bad(name, N_("Vùng không hợp lệ: %(zone)s."), zone=clean_text(zone_text)[:16])
            continue
        grams, vnd = parse_int(max_grams), parse_int(price)
        if grams is None or not 0 < grams <= MAX_WEIGHT_GRAMS:
            bad(name, N_("Khối lượng tối đa của nấc phải là số gam nguyên từ 1 đến %(maximum)s."), maximum=MAX_WEIGHT_GRAMS)
            continue
        if vnd is None or not 0 <= vnd <= MAX_AMOUNT_VND:
            bad(name, N_("Cước phải là số nguyên đồng (VND) không âm."))
            continue
        if (zone, grams) in seen_bands:
            bad(name, N_("Nấc %(grams)s g của vùng %(zone)s bị lặp."), grams=grams, zone=zone.value)
            continue
        seen_bands.add((zone, grams))
        bands.append((zone, grams, vnd))
    for zone in GEOGRAPHIC_ZONES:
        if not any(band[0] is zone for band in bands) and not any(e.field.startswith("postage_bands.") for e in errors):
            bad("postage_bands", N_("Thiếu bảng cước cho vùng %(zone)s."), zone=zone.value)

    remote: list[tuple[str, list[str], int, int]] = []
    remote_errors = check_remote_lists([(clean_text(name, 255), [clean_text(c) for c in codes])
                                        for name, codes, _f, _r in draft.remote_areas])
    errors.extend(remote_errors)
    names = set()
    for index, (name, codes, forward, back) in enumerate(draft.remote_areas, start=1):
        name = clean_text(name, 255)
        hours = (parse_int(forward), parse_int(back))
        if any(h is None or h <= 0 for h in hours):
            bad(f"remote_areas.{index}", N_("Danh sách %(name)s: thời gian toàn trình phải là số giờ nguyên dương."),
                name=name)
            continue
        if name in names:
            bad(f"remote_areas.{index}", N_("Danh sách %(name)s bị lặp."), name=name)
            continue
        names.add(name)
        errors.extend(limit_violations(
            session, {(Leg.forward, Zone.remote): hours[0], (Leg.return_, Zone.remote): hours[1]},
            field_prefix=f"remote_areas.{index}"))
        remote.append((name, list(dict.fromkeys(clean_text(c) for c in codes)), hours[0], hours[1]))

    return _Checked(values, procedures, offices, areas, trip_hours, bands, remote), errors


def _current_zone(text: str) -> Zone:
    """A zone of the two-level map; "same_district", the zone of contracts written before 1 July 2025,
    is read as "same_commune" (the commune lies within the old district), never the other way."""
    zone = Zone(text)
    if zone is Zone.same_district:
        return Zone.same_commune
    if zone not in GEOGRAPHIC_ZONES:
        raise ValueError(text)
    return zone


def _overlapping(session: Session, agency_id: int, start: datetime, end: datetime | None, skip: set[int]) -> ContractVersion | None:
    for version in session.scalars(select(ContractVersion).where(ContractVersion.agency_id == agency_id)):
        if version.id in skip:
            continue
        starts_before_end = end is None or version.valid_from < end
        ends_after_start = version.valid_until is None or version.valid_until > start
        if starts_before_end and ends_after_start:
            return version
    return None


def _lock_agency(session: Session, agency_id: int) -> Agency | None:
    # Serialises version changes of one agency, so two concurrent amendments cannot overlap.
    return session.scalars(select(Agency).where(Agency.id == agency_id).with_for_update()).first()


def _build_version(session: Session, contract: Contract, number: int, draft: VersionDraft, checked: _Checked, actor_id: int | None, now: datetime) -> ContractVersion:
    version = ContractVersion(
        contract=contract,
        agency_id=contract.agency_id,
        number=number,
        valid_from=draft.valid_from,
        valid_until=draft.valid_until,
        created_at=now,
        created_by_id=actor_id,
        **checked.values,
    )
    version.procedures = [ContractProcedure(procedure_id=p.id) for p in checked.procedures]
    version.service_points = [ContractServicePoint(post_office_id=o.id) for o in checked.offices]
    version.pickup_areas = [PickupArea(province_code=p, district_code="", commune_code=c)
                            for p, c in checked.pickup_areas]
    version.remote_areas = [RemoteArea(name=n, commune_codes=codes, forward_hours=f, return_hours=r)
                            for n, codes, f, r in checked.remote_areas]
    version.trip_times = [FullTripTime(leg=leg, zone=zone, hours=h) for (leg, zone), h in checked.trip_hours.items()]
    version.postage_bands = [PostageBand(zone=z, max_grams=g, price_vnd=v) for z, g, v in checked.bands]
    session.add(version)
    return version


def create_contract(
    session: Session,
    *,
    agency_code: str,
    number: str,
    post_name: str,
    draft: VersionDraft,
    agency_representative: str = "",
    post_representative: str = "",
    actor_id: int | None = None,
    now: datetime,
) -> Contract:
    """Record a signed contract with its first version. Nothing is written if anything is wrong."""
    errors: list[FieldError] = []
    agency = session.scalars(select(Agency).where(Agency.code == clean_text(agency_code))).first()
    number_text = clean_text(number, 64)
    post_text = clean_text(post_name, 255)
    if agency is None:
        errors.append(FieldError("agency_code", N_("Không có cơ quan mã %(code)s."), {"code": clean_text(agency_code)[:20]}))
    if not number_text:
        errors.append(FieldError("number", N_("Vui lòng nhập số hợp đồng.")))
    elif session.scalars(select(Contract.id).where(Contract.number == number_text)).first() is not None:
        errors.append(FieldError("number", N_("Số hợp đồng %(number)s đã có."), {"number": number_text}))
    if not post_text:
        errors.append(FieldError("post_name", N_("Vui lòng nhập tên doanh nghiệp bưu chính.")))
    if agency is not None:
        _lock_agency(session, agency.id)
        checked, draft_errors = _check(session, agency, draft)
        errors.extend(draft_errors)
        if not draft_errors:
            clash = _overlapping(session, agency.id, draft.valid_from, draft.valid_until, set())
            if clash is not None:
                errors.append(_overlap_error(clash))
    if errors:
        raise InvalidInput(N_("Hợp đồng chưa được lưu: vui lòng sửa các mục được nêu."), field_errors=errors)
    contract = Contract(
        number=number_text,
        agency_id=agency.id,
        post_name=post_text,
        agency_representative=clean_text(agency_representative, 255),
        post_representative=clean_text(post_representative, 255),
        created_at=now,
    )
    session.add(contract)
    _build_version(session, contract, 1, draft, checked, actor_id, now)
    session.flush()
    return contract


def _overlap_error(clash: ContractVersion) -> FieldError:
    return FieldError(
        "valid_from",
        N_("Thời gian hiệu lực trùng với phiên bản %(version)s của hợp đồng %(number)s."),
        {"version": clash.number, "number": clash.contract.number},
    )


def amend_contract(
    session: Session,
    *,
    contract_id: int,
    draft: VersionDraft,
    actor_id: int | None = None,
    now: datetime,
) -> ContractVersion:
    """Add an amendment: a new version that replaces the current one from ``draft.valid_from``.

    The version it replaces ends at that moment; dossiers already received keep their version.
    Without its own end the amendment keeps the replaced version's end.
    """
    contract = session.get(Contract, contract_id)
    if contract is None:
        raise NotFound(N_("Không tìm thấy hợp đồng."))
    _lock_agency(session, contract.agency_id)
    checked, errors = _check(session, contract.agency, draft)
    replaced = None
    if not any(e.field in ("valid_from", "valid_until") for e in errors):
        if draft.valid_from < now:
            errors.append(FieldError("valid_from", N_("Phụ lục không thể có hiệu lực từ một thời điểm đã qua.")))
        else:
            replaced = version_of_contract_at(contract, draft.valid_from)
            end = draft.valid_until
            if end is None and replaced is not None:
                end = replaced.valid_until
            if replaced is not None and draft.valid_from <= replaced.valid_from:
                errors.append(_overlap_error(replaced))
            else:
                skip = {replaced.id} if replaced is not None else set()
                clash = _overlapping(session, contract.agency_id, draft.valid_from, end, skip)
                if clash is not None:
                    errors.append(_overlap_error(clash))
                draft.valid_until = end
    if errors:
        raise InvalidInput(N_("Phụ lục chưa được lưu: vui lòng sửa các mục được nêu."), field_errors=errors)
    if replaced is not None:
        replaced.valid_until = draft.valid_from
    number = max((v.number for v in contract.versions), default=0) + 1
    version = _build_version(session, contract, number, draft, checked, actor_id, now)
    session.flush()
    return version


def version_of_contract_at(contract: Contract, at: datetime) -> ContractVersion | None:
    for version in contract.versions:
        if version.valid_from <= at and (version.valid_until is None or version.valid_until > at):
            return version
    return None


def draft_from_version(version: ContractVersion, **changes: Any) -> VersionDraft:
    """A draft holding a version's content, to amend a few things and keep the rest."""
    draft = VersionDraft(
        valid_from=version.valid_from,
        valid_until=version.valid_until,
        summary=version.summary,
        covers_all_eligible=version.covers_all_eligible,
        procedure_codes=[item.procedure.code for item in version.procedures],
        service_point_codes=[item.post_office.code for item in version.service_points],
        pickup_areas=[(a.province_code, a.commune_code or a.district_code) for a in version.pickup_areas],
        remote_areas=[(a.name, list(a.commune_codes), a.forward_hours, a.return_hours) for a in version.remote_areas],
        trip_hours={(t.leg.value, t.zone.value): t.hours for t in version.trip_times},
        return_commitment_hours=version.return_commitment_hours,
        collection_methods=list(version.collection_methods),
        compensation_terms=version.compensation_terms,
        compensation_cap_vnd=version.compensation_cap_vnd,
        training_clause=version.training_clause,
        home_pickup_vnd=version.home_pickup_vnd,
        home_delivery_vnd=version.home_delivery_vnd,
        collection_fee_basis_points=version.collection_fee_basis_points,
        collection_fee_min_vnd=version.collection_fee_min_vnd,
        vat_basis_points=version.vat_basis_points,
        postage_bands=[(b.zone.value, b.max_grams, b.price_vnd) for b in version.postage_bands],
    )
    for name, value in changes.items():
        setattr(draft, name, value)
    return draft


def commitment_warnings(version: ContractVersion) -> list[FieldError]:
    """Return-leg zone times of a saved version longer than its return commitment (Điều 25.2): a warning for the
    person saving it, never a refusal (Điều 22.5 lets the contract agree the zone time). One per zone."""
    return [
        FieldError(
            f"trip_times.{trip.leg.value}.{trip.zone.value}",
            N_("Thời gian toàn trình chiều trả vùng %(zone)s (%(hours)s giờ) dài hơn cam kết trả trong "
               "%(commitment)s giờ của Điều 25.2."),
            {"zone": trip.zone.value, "hours": trip.hours, "commitment": version.return_commitment_hours},
        )
        for trip in sorted(version.trip_times, key=lambda t: list(Zone).index(t.zone))
        if trip.leg is Leg.return_ and trip.hours > version.return_commitment_hours
    ]
