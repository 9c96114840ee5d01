"""Contract and tariff import: a good file makes versions, a bad one names every bad row and
imports nothing."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from contracts import services
from contracts.importer import CONTRACT_COLUMNS, ImportRefused, import_contracts
from contracts.models import Contract, ContractVersion, PostageBand, Zone
from tests import factories

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)
HEADER = ",".join(CONTRACT_COLUMNS)


def contract_row(number="HĐ-01", agency="000.00.20.H10", valid_from="2026-01-01", columns=CONTRACT_COLUMNS, **changes):
    values = {
        "contract_number": number, "agency_code": agency, "post_name": "Bưu điện tỉnh Bình Phước",
        "valid_from": valid_from, "valid_until": "", "procedures": "all", "service_points": "830000",
        "pickup_areas": "70", "forward_same_commune": "24", "forward_same_province": "48",
        "forward_other_province": "96", "return_same_commune": "24", "return_same_province": "48",
        "return_other_province": "96", "return_commitment_hours": "24",
        "collection_methods": "cash;collection_on_behalf", "home_pickup_vnd": "10.000",
        "home_delivery_vnd": "10000", "collection_fee_percent": "1,5", "collection_fee_min_vnd": "5000",
        "vat_percent": "10",
    }
    values.update(changes)
    return ",".join(f'"{values[column.replace("same_district", "same_commune")]}"' for column in columns)


def tariff(number="HĐ-01", valid_from=""):
    lines = ["contract_number,zone,max_grams,price_vnd,valid_from"]
    for zone, base in (("same_commune", 10_000), ("same_province", 12_000), ("other_province", 16_000)):
        lines += [f"{number},{zone},500,{base},{valid_from}", f"{number},{zone},2000,{base * 2},{valid_from}"]
    return "\n".join(lines).encode()


@pytest.fixture()
def setting(session):
    agency = factories.agency(session, code="000.00.20.H10", province_code="70", district_code="689")
    procedure = factories.procedure(session, agency)
    factories.post_office(session, code="830000", province_code="70", district_code="689")
    return agency, procedure


def test_good_files_import(session, setting):
    agency, procedure = setting
    report = import_contracts(
        session, contracts_file=("hop-dong.csv", f"{HEADER}\n{contract_row()}\n".encode()),
        tariff_file=("cuoc.csv", tariff()), now=NOW,
    )
    assert report.ok, report.lines()
    version = services.contract_in_force(session, agency_id=agency.id, procedure_id=procedure.id, at=NOW)
    assert version.collection_fee_basis_points == 150 and version.home_pickup_vnd == 10_000
    assert len(version.postage_bands) == 6 and len(version.service_points) == 1
    # later, a tariff-only file amends the prices from a date
    report = import_contracts(session, contracts_file=None, tariff_file=("cuoc-2027.csv", tariff(valid_from="01/01/2027")), now=NOW)
    assert report.ok, report.lines()
    assert session.scalar(select(func.count()).select_from(ContractVersion)) == 2
    later = services.contract_in_force(session, agency_id=agency.id, procedure_id=procedure.id,
                                       at=datetime(2027, 2, 1, tzinfo=timezone.utc))
    assert later.number == 2 and later.home_pickup_vnd == 10_000


def test_bad_rows_are_all_named_and_nothing_is_imported(session, setting):
    rows = [
        contract_row(),
        contract_row(number="HĐ-02", agency="000.00.99.H10", valid_from="31/02/2026", home_pickup_vnd="-5"),
        contract_row(number="HĐ-03", return_other_province="500", procedures="T-KHONG-CO", vat_percent="abc"),
    ]
    data = (HEADER + "\n" + "\n".join(rows) + "\n").encode()
    bad_tariff = tariff().decode() + "\nHĐ-01,moon,100,-1,\n"
    report = import_contracts(session, contracts_file=("hop-dong.csv", data),
                              tariff_file=("cuoc.csv", bad_tariff.encode()), now=NOW)
    assert not report.ok
    named = {(e.file, e.line, e.column) for e in report.errors}
    assert ("hop-dong.csv", 3, "valid_from") in named
    assert ("hop-dong.csv", 4, "vat_percent") in named
    assert ("cuoc.csv", 8, "zone") in named and ("cuoc.csv", 8, "price_vnd") in named
    assert session.scalar(select(func.count()).select_from(Contract)) == 0
    assert session.scalar(select(func.count()).select_from(PostageBand)) == 0


def test_domain_errors_point_at_their_column(session, setting):
    rows = [contract_row(), contract_row(number="HĐ-03", return_other_province="500", procedures="T-KHONG-CO",
                                         valid_from="2030-01-01")]
    data = (HEADER + "\n" + "\n".join(rows) + "\n").encode()
    report = import_contracts(session, contracts_file=("hop-dong.csv", data),
                              tariff_file=("cuoc.csv", tariff() + b"\n" + tariff("HĐ-03").split(b"\n", 1)[1]), now=NOW)
    named = {(e.line, e.column) for e in report.errors}
    assert (3, "return_other_province") in named and (3, "procedures") in named
    assert session.scalar(select(func.count()).select_from(Contract)) == 0  # the good first row is undone too


def test_overlap_in_one_file_and_missing_columns(session, setting):
    data = (HEADER + "\n" + contract_row() + "\n" + contract_row(number="HĐ-09", valid_from="2026-06-01") + "\n").encode()
    both = tariff() + b"\n" + tariff("HĐ-09").split(b"\n", 1)[1]
    report = import_contracts(session, contracts_file=("a.csv", data), tariff_file=("b.csv", both), now=NOW)
    assert [(e.line, e.column) for e in report.errors] == [(3, "valid_from")]
    report = import_contracts(session, contracts_file=("a.csv", b"contract_number,agency_code\nX,Y\n"), tariff_file=None, now=NOW)
    assert report.errors[0].line == 1 and "valid_from" in report.errors[0].column
    report = import_contracts(session, contracts_file=("a.pdf", b"%PDF"), tariff_file=None, now=NOW)
    assert report.errors[0].line == 0
    report = import_contracts(session, contracts_file=("a.csv", b"\xff\xfe\x00"), tariff_file=None, now=NOW)
    assert not report.ok


def test_xlsx(session, setting):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(CONTRACT_COLUMNS))
    values = [cell.strip('"') for cell in contract_row(collection_fee_percent="1.5").split('","')]
    values[CONTRACT_COLUMNS.index("valid_from")] = datetime(2026, 1, 1)
    values[CONTRACT_COLUMNS.index("forward_same_commune")] = 24.0
    sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = import_contracts(session, contracts_file=("hop-dong.xlsx", buffer.getvalue()),
                              tariff_file=("cuoc.csv", tariff()), now=NOW)
    assert report.ok, report.lines()
    assert session.scalars(select(PostageBand.zone)).first() in set(Zone)


def test_commands(app, session, setting, tmp_path):
    session.commit()  # the commands commit or roll back the session themselves
    runner = app.test_cli_runner()
    contracts_csv = tmp_path / "hop-dong.csv"
    contracts_csv.write_bytes(f"{HEADER}\n{contract_row()}\n".encode())
    tariff_csv = tmp_path / "cuoc.csv"
    tariff_csv.write_bytes(tariff())
    bad = runner.invoke(args=["contracts", "import", "--contracts", str(contracts_csv)])
    assert bad.exit_code == 1 and "postage_bands" not in bad.output and "cột" in bad.output
    good = runner.invoke(args=["contracts", "import", "--contracts", str(contracts_csv), "--tariff", str(tariff_csv)])
    assert good.exit_code == 0, good.output
    listed = runner.invoke(args=["contracts", "limits", "list"])
    assert "provisional" in listed.output and listed.output.count("\n") == 8  # 2 legs x 4 zones of the two-level map
    refused = runner.invoke(args=["contracts", "limits", "set", "sideways", "same_commune", "10", "--source", "x"])
    assert refused.exit_code == 1
    assert runner.invoke(args=["contracts", "limits", "set", "forward", "same_commune", "36", "--source", "TT 14/2018"]).exit_code == 0
    assert "skipped" in runner.invoke(args=["contracts", "demo"]).output  # no demo catalogue here


def test_a_refused_import_raises_for_the_callers_unit_of_work_and_leaves_nothing(session, setting):
    bad = f"{HEADER}\n{contract_row()}\n{contract_row(number='HĐ-02', vat_percent='abc')}\n".encode()
    report = import_contracts(session, contracts_file=("hop-dong.csv", bad), tariff_file=None, now=NOW)
    assert not report.ok and report.created == []
    with pytest.raises(ImportRefused):
        report.raise_if_refused()
    assert session.scalar(select(func.count()).select_from(Contract)) == 0


OLD_COLUMNS = [column.replace("same_commune", "same_district") for column in CONTRACT_COLUMNS]


def old_contract_row(**changes):
    """A contract written before 1 July 2025: districts, and the zone "same_district"."""
    return contract_row(columns=OLD_COLUMNS, **changes)


def test_an_old_district_contract_is_imported_by_converting_every_district_and_reporting_it(session, setting):
    """Bình Phước (70) is part of Đồng Nai (75) since 1 July 2025; districts 689 (Đồng Xoài) and 696 (Bù Đăng)
    become the communes that took their communes; "same_district" is read as "same_commune"."""
    from contracts.places import units

    agency, procedure = setting
    old_tariff = tariff().decode().replace("same_commune", "same_district").encode()
    report = import_contracts(
        session, contracts_file=("hop-dong-cu.csv", (",".join(OLD_COLUMNS) + "\n" + old_contract_row(
            pickup_areas="70:689;70:696;70") + "\n").encode()),
        tariff_file=("cuoc-cu.csv", old_tariff), now=NOW,
    )
    assert report.ok, report.lines()
    version = services.contract_in_force(session, agency_id=agency.id, procedure_id=procedure.id, at=NOW)
    areas = {(a.province_code, a.commune_code) for a in version.pickup_areas}
    expected = {("75", code) for code in (*units.communes_replacing_district("689"),
                                          *units.communes_replacing_district("696"))} | {("75", "")}
    assert areas == expected and all(not a.district_code for a in version.pickup_areas)
    assert {t.zone for t in version.trip_times} == {Zone.same_commune, Zone.same_province, Zone.other_province}
    assert {b.zone for b in version.postage_bands} == {Zone.same_commune, Zone.same_province, Zone.other_province}
    text = "\n".join(report.lines())
    assert "Đã chuyển sang đơn vị hành chính mới:" in text
    assert "70:689 (Thành phố Đồng Xoài, Tỉnh Bình Phước) -> " in text and "25210 Phường Đồng Xoài" in text
    assert "70:696 (Huyện Bù Đăng, Tỉnh Bình Phước) -> " in text and "70 (Tỉnh Bình Phước) -> 75 (Đồng Nai)" in text
    assert "forward_same_district -> forward_same_commune" in text
    assert "zone same_district -> same_commune" in text


def test_an_unknown_district_or_province_is_named_and_nothing_is_imported(session, setting):
    report = import_contracts(
        session, contracts_file=("hop-dong-cu.csv", (",".join(OLD_COLUMNS) + "\n" + old_contract_row(
            pickup_areas="70:689;70:760;99") + "\n").encode()),
        tariff_file=("cuoc.csv", tariff()), now=NOW,
    )
    assert not report.ok
    assert [(e.column, e.params) for e in report.errors if e.file == "hop-dong-cu.csv"] == [
        ("pickup_areas", {"code": "70:760"}), ("pickup_areas", {"code": "99"})]
    assert report.conversions == [] and session.scalar(select(func.count()).select_from(Contract)) == 0


def test_remote_lists_are_imported_and_a_list_naming_a_unit_that_does_not_exist_imports_nothing(session, setting):
    """Vùng sâu, vùng xa: named lists of communes with their own full-trip times (R-17)."""
    agency, procedure = setting
    columns = (*CONTRACT_COLUMNS, "remote_areas")
    good = contract_row(columns=CONTRACT_COLUMNS) + ',"Biên giới:72:60:25222 25225|Xa trung tâm:96:96:26080"'
    report = import_contracts(session, contracts_file=("hd.csv", f"{','.join(columns)}\n{good}\n".encode()),
                              tariff_file=("cuoc.csv", tariff()), now=NOW)
    assert report.ok, report.lines()
    version = services.contract_in_force(session, agency_id=agency.id, procedure_id=procedure.id, at=NOW)
    assert [(a.name, a.commune_codes, a.forward_hours, a.return_hours) for a in version.remote_areas] == [
        ("Biên giới", ["25222", "25225"], 72, 60), ("Xa trung tâm", ["26080"], 96, 96)]

    bad = contract_row(number="HĐ-09", columns=CONTRACT_COLUMNS, valid_from="2027-01-01") + \
        ',"Biên giới:72:60:25222 99999|Vượt trần:500:72:25222"'
    refused = import_contracts(session, contracts_file=("hd2.csv", f"{','.join(columns)}\n{bad}\n".encode()),
                               tariff_file=("cuoc2.csv", tariff("HĐ-09")), now=NOW)
    assert not refused.ok
    assert [(e.column, e.params.get("code") or e.params.get("max_hours")) for e in refused.errors] == [
        ("remote_areas", "99999"), ("remote_areas", 168)]
    assert session.scalar(select(func.count()).select_from(Contract)) == 1
