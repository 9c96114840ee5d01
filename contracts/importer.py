"""Import of contracts and tariffs from CSV or XLSX. Every bad row is named (line, column, reason)
and a file with any bad row imports nothing.

Contracts file, one row per version (a number already known adds an amendment):
  contract_number, agency_code, post_name, valid_from, valid_until, procedures ("all" or codes
  separated by ";"), service_points (post office codes, ";"), pickup_areas ("75" or "75:25210", ";"),
  forward_same_commune, forward_same_province, forward_other_province, return_same_commune,
  return_same_province, return_other_province (hours), return_commitment_hours,
  collection_methods (";"), home_pickup_vnd, home_delivery_vnd, collection_fee_percent,
  collection_fee_min_vnd, vat_percent, compensation_terms, training_clause, and optionally
  compensation_cap_vnd (the most paid for one lost dossier; empty: no ceiling agreed), remote_areas (remote
  lists, vùng sâu vùng xa: "name:forward hours:return hours:commune codes separated by spaces", several
  separated by "|").
Tariff file, one row per weight band: contract_number, zone, max_grams, price_vnd, and optionally
  valid_from: with a date, the bands of that contract form an amendment from that date (prices
  change, the rest is kept); without, they are the bands of the contracts file's rows.
Dates are 2026-01-01 or 01/01/2026, meaning 00:00 in Vietnam.

Contracts written before the two-level map (1 July 2025) are imported by conversion, each one reported:
an old province code ("70", Bình Phước) becomes the province it was merged into ("75", Đồng Nai); an old
district ("70:689") becomes every commune that took its communes; the columns and tariff zone
"same_district" are read as "same_commune" (the commune lies within the old district). An unknown code is a
row error naming it, and the file imports nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from contracts.models import GEOGRAPHIC_ZONES, Contract, Leg, Zone
from contracts.parsing import clean_text, parse_basis_points, parse_int, parse_local_date, start_of_local_day
from contracts.versions.services import (
    VersionDraft,
    convert_pickup_area,
    amend_contract,
    commitment_warnings,
    create_contract,
    draft_from_version,
)
from postal_gateway.core.domain import N_, InvalidInput
from postal_gateway.core.tabular_import import FileError, RowError, TabularImportReport, read_rows, record_of

MAX_ROWS = 2000
CONTRACT_COLUMNS = (
    "contract_number", "agency_code", "post_name", "valid_from", "valid_until", "procedures",
    "service_points", "pickup_areas",
    *(f"{leg.value}_{zone.value}" for leg in Leg for zone in GEOGRAPHIC_ZONES),
    "return_commitment_hours", "collection_methods", "home_pickup_vnd", "home_delivery_vnd",
    "collection_fee_percent", "collection_fee_min_vnd", "vat_percent",
)
OPTIONAL_CONTRACT_COLUMNS = ("compensation_terms", "training_clause", "compensation_cap_vnd", "remote_areas")
TARIFF_COLUMNS = ("contract_number", "zone", "max_grams", "price_vnd")
#: columns of contracts written before 1 July 2025, read as today's
LEGACY_COLUMNS = {f"{leg.value}_same_district": f"{leg.value}_same_commune" for leg in Leg}
OPTIONAL_TARIFF_COLUMNS = ("valid_from",)

#: where a domain field's error goes in the contracts file
FIELD_COLUMNS = {
    "number": "contract_number", "post_name": "post_name", "valid_from": "valid_from", "valid_until": "valid_until",
    "procedures": "procedures", "service_points": "service_points", "pickup_areas": "pickup_areas",
    "return_commitment_hours": "return_commitment_hours", "collection_methods": "collection_methods",
    "home_pickup_vnd": "home_pickup_vnd", "home_delivery_vnd": "home_delivery_vnd",
    "collection_fee_basis_points": "collection_fee_percent", "collection_fee_min_vnd": "collection_fee_min_vnd",
    "vat_basis_points": "vat_percent", "agency_code": "agency_code", "compensation_cap_vnd": "compensation_cap_vnd",
}


class ImportRefused(Exception):
    """A file with a bad row imports nothing: raised so the caller's unit of work rolls back."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{len(report.errors)} row errors")
        self.report = report


class _NothingImported(Exception):
    """Leaves the import's savepoint so that no version of a refused file stays."""


@dataclass
class ImportReport(TabularImportReport):
    created: list[str] = dataclass_field(default_factory=list)
    #: every conversion from the old three-level map: "line 2: pickup_areas 70:689 (...) -> 25195 ..., ..."
    conversions: list[str] = dataclass_field(default_factory=list)
    #: saved, but worth a second look: a return-leg zone time longer than the return commitment (Điều 25.2)
    warnings: list[RowError] = dataclass_field(default_factory=list)

    def raise_if_refused(self) -> None:
        if not self.ok:
            raise ImportRefused(self)

    def lines(self, translate=lambda message: message) -> list[str]:
        if self.errors:
            return self.refusal_lines(translate)
        return [translate("Đã nhập %(count)s phiên bản hợp đồng.") % {"count": len(self.created)}] + [
            f"  {item}" for item in self.created
        ] + [f"  {warning.where(translate)}: {warning.text(translate)}" for warning in self.warnings] + (
            [translate("Đã chuyển sang đơn vị hành chính mới:")] + [f"  {item}" for item in self.conversions]
            if self.conversions else [])


def _records(filename: str, data: bytes, required: tuple[str, ...], optional: tuple[str, ...], errors: list[RowError],
             conversions: list[str] | None = None) -> list[tuple[int, dict[str, Any]]]:
    name = clean_text(filename, 120) or "?"
    try:
        rows = iter(read_rows(name, data))
        header_line, header = next(rows, (1, []))
        columns = [clean_text(cell).lower() for cell in header]
        for index, column in enumerate(columns):
            if column in LEGACY_COLUMNS and LEGACY_COLUMNS[column] not in columns:
                columns[index] = LEGACY_COLUMNS[column]
                if conversions is not None:
                    conversions.append(f"{name}: {column} -> {LEGACY_COLUMNS[column]}")
        missing = [column for column in required if column not in columns]
        if missing:
            errors.append(RowError(header_line, ", ".join(missing), N_("Thiếu cột bắt buộc."), file=name))
            return []
        unknown = [c for c in columns if c and c not in required and c not in optional]
        for column in unknown:
            errors.append(RowError(header_line, column[:40], N_("Cột không được hỗ trợ."), file=name))
        records = []
        for line, row in rows:
            if all(cell in (None, "") or not clean_text(cell) for cell in row):
                continue
            if len(records) >= MAX_ROWS:
                errors.append(RowError(line, "-", N_("Tệp quá %(max)s dòng."), {"max": MAX_ROWS}, file=name))
                break
            records.append((line, record_of(columns, row)))
        return records
    except FileError as error:
        errors.append(RowError(0, "-", error.message, error.params, file=name))
        return []


def _split(value: Any) -> list[str]:
    return [part.strip() for part in clean_text(value).replace("|", ";").split(";") if part.strip()]


def _draft_of(name: str, line: int, record: dict[str, Any], errors: list[RowError],
              conversions: list[str]) -> VersionDraft | None:
    found: list[RowError] = []

    def bad(column: str, message: str, **params: Any) -> None:
        found.append(RowError(line, column, message, params, file=name))

    def day(column: str, required: bool) -> datetime | None:
        raw = record.get(column)
        if raw in (None, "") or not clean_text(raw):
            if required:
                bad(column, N_("Thiếu ngày."))
            return None
        parsed = parse_local_date(raw)
        if parsed is None:
            bad(column, N_("Ngày không hợp lệ: dùng 2026-01-01 hoặc 01/01/2026."))
            return None
        return start_of_local_day(parsed)

    valid_from, valid_until = day("valid_from", True), day("valid_until", False)
    procedures = _split(record.get("procedures"))
    covers_all = [p.lower() for p in procedures] in ([], ["all"], ["tat ca"], ["tất cả"])
    pickup_areas = []
    for item in _split(record.get("pickup_areas")):
        province, _, unit = item.partition(":")
        try:
            converted, note = convert_pickup_area(province.strip(), unit.strip())
        except ValueError:
            bad("pickup_areas", N_("Không có đơn vị hành chính %(code)s (tỉnh, xã/phường hoặc huyện cũ)."),
                code=item[:20])
            continue
        if note:
            conversions.append(f"{name} line {line}: pickup_areas {note}")
        pickup_areas.extend(area for area in converted if area not in pickup_areas)
    trip_hours = {}
    for leg in Leg:
        for zone in GEOGRAPHIC_ZONES:
            column = f"{leg.value}_{zone.value}"
            hours = parse_int(record.get(column))
            if hours is None:
                bad(column, N_("Số giờ phải là số nguyên."))
            trip_hours[(leg.value, zone.value)] = hours
    percents = {}
    for column in ("collection_fee_percent", "vat_percent"):
        raw = record.get(column)
        percents[column] = 0 if raw in (None, "") else parse_basis_points(raw)
        if percents[column] is None:
            bad(column, N_("Tỷ lệ phần trăm không hợp lệ (tối đa hai chữ số thập phân)."))
    amounts = {}
    for column in ("home_pickup_vnd", "home_delivery_vnd", "collection_fee_min_vnd", "return_commitment_hours"):
        raw = record.get(column)
        amounts[column] = parse_int(raw) if raw not in (None, "") else (24 if column == "return_commitment_hours" else 0)
        if amounts[column] is None:
            bad(column, N_("Phải là số nguyên (không có phần lẻ)."))
    remote_areas = []
    for index, entry in enumerate((part.strip() for part in clean_text(record.get("remote_areas"), 20000).split("|")
                                   if part.strip()), start=1):
        pieces = [piece.strip() for piece in entry.split(":")]
        if len(pieces) != 4:
            bad("remote_areas", N_("Danh sách vùng sâu, vùng xa thứ %(index)s phải có dạng tên:giờ đi:giờ về:mã xã."),
                index=index)
            continue
        name, forward, back, codes = pieces
        remote_areas.append((name, [code for code in codes.replace(";", " ").replace(",", " ").split() if code],
                             parse_int(forward), parse_int(back)))
    cap_raw = record.get("compensation_cap_vnd")
    compensation_cap = None if cap_raw in (None, "") else parse_int(cap_raw)
    if cap_raw not in (None, "") and compensation_cap is None:
        bad("compensation_cap_vnd", N_("Phải là số nguyên (không có phần lẻ)."))
    if found:
        errors.extend(found)
        return None
    return VersionDraft(
        valid_from=valid_from,
        valid_until=valid_until,
        covers_all_eligible=covers_all,
        procedure_codes=[] if covers_all else procedures,
        service_point_codes=_split(record.get("service_points")),
        pickup_areas=pickup_areas,
        trip_hours=trip_hours,
        return_commitment_hours=amounts["return_commitment_hours"],
        collection_methods=_split(record.get("collection_methods")),
        compensation_terms=clean_text(record.get("compensation_terms"), 5000),
        compensation_cap_vnd=compensation_cap,
        training_clause=clean_text(record.get("training_clause"), 5000),
        home_pickup_vnd=amounts["home_pickup_vnd"],
        home_delivery_vnd=amounts["home_delivery_vnd"],
        collection_fee_basis_points=percents["collection_fee_percent"],
        collection_fee_min_vnd=amounts["collection_fee_min_vnd"],
        vat_basis_points=percents["vat_percent"],
        remote_areas=remote_areas,
    )


def _domain_errors(name: str, line: int, error: InvalidInput, errors: list[RowError], bands_file: str, band_lines: dict) -> None:
    for item in error.field_errors or [None]:
        if item is None:
            errors.append(RowError(line, "-", error.message, error.params, file=name))
            continue
        if item.field.startswith("remote_areas"):
            errors.append(RowError(line, "remote_areas", item.message, item.params, file=name))
        elif item.field.startswith("trip_times."):
            _, leg, zone = item.field.split(".")
            errors.append(RowError(line, f"{leg}_{zone}", item.message, item.params, file=name))
        elif item.field.startswith("postage_bands"):
            index = item.field.partition(".")[2]
            band_line = band_lines.get(int(index)) if index.isdigit() else None
            errors.append(RowError(band_line or line, "max_grams" if band_line else "contract_number",
                                   item.message, item.params, file=bands_file if band_line else name))
        else:
            errors.append(RowError(line, FIELD_COLUMNS.get(item.field, item.field), item.message, item.params, file=name))


def _warn(name: str, line: int, version, warnings: list[RowError]) -> None:
    """Điều 25.2: a return-leg zone time above the commitment is saved, and shown on the row's column."""
    for item in commitment_warnings(version):
        leg, zone = item.field.split(".")[1:]
        warnings.append(RowError(line, f"{leg}_{zone}", item.message, item.params, file=name))


def _bands(name: str, records: list[tuple[int, dict]], errors: list[RowError],
           conversions: list[str]) -> dict[str, list[tuple[int, tuple]]]:
    """Tariff rows by contract number: [(line, (zone, max_grams, price_vnd, valid_from))]."""
    by_contract: dict[str, list[tuple[int, tuple]]] = {}
    for line, record in records:
        number = clean_text(record.get("contract_number"), 64)
        zone = clean_text(record.get("zone"))
        if zone == Zone.same_district.value:
            conversions.append(f"{name} line {line}: zone same_district -> same_commune")
            zone = Zone.same_commune.value
        grams, price = parse_int(record.get("max_grams")), parse_int(record.get("price_vnd"))
        row_errors = []
        if not number:
            row_errors.append(RowError(line, "contract_number", N_("Thiếu số hợp đồng."), file=name))
        if zone not in {z.value for z in GEOGRAPHIC_ZONES}:
            row_errors.append(RowError(line, "zone", N_("Vùng phải là same_commune, same_province hoặc other_province."), file=name))
        if grams is None or grams <= 0:
            row_errors.append(RowError(line, "max_grams", N_("Khối lượng phải là số gam nguyên dương."), file=name))
        if price is None or price < 0:
            row_errors.append(RowError(line, "price_vnd", N_("Cước phải là số nguyên đồng (VND) không âm."), file=name))
        valid_from = None
        raw_from = record.get("valid_from")
        if raw_from not in (None, "") and clean_text(raw_from):
            parsed = parse_local_date(raw_from)
            if parsed is None:
                row_errors.append(RowError(line, "valid_from", N_("Ngày không hợp lệ: dùng 2026-01-01 hoặc 01/01/2026."), file=name))
            else:
                valid_from = start_of_local_day(parsed)
        if row_errors:
            errors.extend(row_errors)
            continue
        by_contract.setdefault(number, []).append((line, (zone, grams, price, valid_from)))
    return by_contract


def import_contracts(
    session: Session,
    *,
    contracts_file: tuple[str, bytes] | None,
    tariff_file: tuple[str, bytes] | None,
    actor_id: int | None = None,
    now: datetime,
) -> ImportReport:
    """Import contract versions and/or tariffs; all or nothing (``report.raise_if_refused`` lets the caller's
    unit of work roll back what else it did)."""
    report = ImportReport()
    errors = report.errors
    bands_name = clean_text(tariff_file[0], 120) if tariff_file else ""
    band_records = _records(*tariff_file, TARIFF_COLUMNS, OPTIONAL_TARIFF_COLUMNS, errors) if tariff_file else []
    bands = _bands(bands_name, band_records, errors, report.conversions)
    contract_name = clean_text(contracts_file[0], 120) if contracts_file else ""
    contract_records = (
        _records(*contracts_file, CONTRACT_COLUMNS, OPTIONAL_CONTRACT_COLUMNS, errors, report.conversions)
        if contracts_file else []
    )
    if contracts_file is None and tariff_file is None:
        errors.append(RowError(0, "-", N_("Chọn ít nhất một tệp."), file="-"))
    try:
        with session.begin_nested():  # all or nothing: one bad row and no version stays
            used_bands: set[str] = set()
            for line, record in contract_records:
                draft = _draft_of(contract_name, line, record, errors, report.conversions)
                number = clean_text(record.get("contract_number"), 64)
                if draft is None:
                    continue
                own_bands = [(l, b) for l, b in bands.get(number, []) if b[3] is None]
                band_lines = {index: l for index, (l, _) in enumerate(own_bands, start=1)}
                draft.postage_bands = [b[:3] for _, b in own_bands]
                used_bands.add(number)
                existing = session.scalars(select(Contract).where(Contract.number == number)).first() if number else None
                if existing is not None and clean_text(record.get("agency_code")) != existing.agency.code:
                    errors.append(RowError(line, "agency_code", N_("Hợp đồng %(number)s thuộc cơ quan khác."), {"number": number}, file=contract_name))
                    continue
                try:
                    with session.begin_nested():  # a refused row leaves nothing behind; the others go on
                        if existing is not None:
                            version = amend_contract(session, contract_id=existing.id, draft=draft, actor_id=actor_id, now=now)
                        else:
                            version = create_contract(
                                session, agency_code=clean_text(record.get("agency_code")), number=number,
                                post_name=clean_text(record.get("post_name")), draft=draft, actor_id=actor_id, now=now,
                            ).versions[0]
                        created = f"{number} v{version.number}"
                except InvalidInput as error:
                    _domain_errors(contract_name, line, error, errors, bands_name, band_lines)
                else:
                    report.created.append(created)
                    _warn(contract_name, line, version, report.warnings)
            # Tariff-only amendments: bands dated valid_from for contracts already known.
            for number, rows in bands.items():
                dated = [(l, b) for l, b in rows if b[3] is not None]
                undated = [(l, b) for l, b in rows if b[3] is None]
                if undated and number not in used_bands:
                    for l, _ in undated:
                        errors.append(RowError(l, "valid_from", N_("Cần ngày hiệu lực khi tệp hợp đồng không có hợp đồng %(number)s."), {"number": number}, file=bands_name))
                by_date: dict[datetime, list] = {}
                for l, b in dated:
                    by_date.setdefault(b[3], []).append((l, b))
                for valid_from, group in sorted(by_date.items()):
                    first_line = group[0][0]
                    contract = session.scalars(select(Contract).where(Contract.number == number)).first()
                    if contract is None:
                        errors.append(RowError(first_line, "contract_number", N_("Không có hợp đồng số %(number)s."), {"number": number}, file=bands_name))
                        continue
                    current = next((v for v in reversed(contract.versions) if v.valid_from <= valid_from), None) or contract.versions[-1]
                    draft = draft_from_version(current, valid_from=valid_from, valid_until=None,
                                               postage_bands=[b[:3] for _, b in group])
                    try:
                        with session.begin_nested():
                            version = amend_contract(session, contract_id=contract.id, draft=draft, actor_id=actor_id, now=now)
                    except InvalidInput as error:
                        _domain_errors(bands_name, first_line, error, errors, bands_name,
                                       {index: l for index, (l, _) in enumerate(group, start=1)})
                    else:
                        report.created.append(f"{number} v{version.number}")
            if errors:
                raise _NothingImported
    except _NothingImported:
        report.created.clear()
        report.warnings.clear()
        report.conversions.clear()
    return report
