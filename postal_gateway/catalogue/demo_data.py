"""The demonstration catalogue: Bình Phước's Department of Information and Communications, its
post offices and the 35 procedures of seed 000 (Thông báo 48/TB-STTTT, 07/8/2018).

The seed's table is kept below as typed, errors included, and cleaned by ``normalise_seed_code``
so the cleaning can be read and tested. Processing times, fees, checklists and postal
exclusions are NOT in the seeds: they are demonstration figures (``demo_figures=True``).

``load_demo_catalogue`` upserts by code: running it twice changes nothing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from postal_gateway.catalogue.models import ChecklistItem, PostOffice, Procedure, ProcedureField
from postal_gateway.catalogue.services import upsert_agency

DEMO_AGENCY_CODE = "000.00.20.H10"

DEMO_AGENCY = {
    "name": "Sở Thông tin và Truyền thông tỉnh Bình Phước",
    # seed 000: "số điện thoại: 0271.3888 207 để được hướng dẫn chi tiết"
    "one_stop_phone": "0271.3888 207",
    # Head contacts are invented for the demo, and say so on the slip.
    "head_name": "Giám đốc Sở (liên hệ minh họa)",
    "head_phone": "0271.3888 200",
    "head_email": "giamdoc.stttt@example.vn",
    "address": "Trung tâm Hành chính tỉnh, phường Tân Phú, thành phố Đồng Xoài, tỉnh Bình Phước",
    "province_code": "70",
    "district_code": "689",
    # seed 002 Điều 18.2 b and c
    "province_office_email": "thutuchanhchinh@binhphuoc.gov.vn",
    "inspection_team_email": "BP-congdanvacongvu@binhphuoc.gov.vn",
}

#: (code, name, address, district code, latitude, longitude, phone): addresses and positions are
#: realistic but for demonstration.
DEMO_POST_OFFICES = (
    ("830000", "Bưu điện tỉnh Bình Phước",
     "Số 1 đường Trần Hưng Đạo, phường Tân Phú, thành phố Đồng Xoài, tỉnh Bình Phước",
     "689", 11.5349, 106.8886, "0271.3879 999"),
    ("831200", "Bưu điện thị xã Bình Long",
     "Quốc lộ 13, phường An Lộc, thị xã Bình Long, tỉnh Bình Phước",
     "690", 11.6536, 106.6058, "0271.3866 222"),
    ("831600", "Bưu điện thị xã Phước Long",
     "Đường ĐT741, phường Long Thủy, thị xã Phước Long, tỉnh Bình Phước",
     "688", 11.8346, 106.9946, "0271.3778 333"),
    ("832300", "Bưu điện thị xã Chơn Thành",
     "Quốc lộ 13, phường Hưng Long, thị xã Chơn Thành, tỉnh Bình Phước",
     "697", 11.4292, 106.6573, "0271.3668 444"),
)

PRESS, BROADCASTING, PUBLISHING, POSTAL = (
    ProcedureField.press, ProcedureField.broadcasting, ProcedureField.publishing, ProcedureField.postal,
)

#: Seed 000's list exactly as typed: (no, raw code, name, field from the section heading).
#: Row 18's code is split over two lines in the seed; rows 32 and 33 are garbled.
SEED_ROWS: tuple[tuple[int, str, str, ProcedureField], ...] = (
    # I. Lĩnh vực báo chí
    (1, "T-BPC-281489-TT", "Trung bày tranh, ảnh và các hình thức thông tin khác bên ngoài trụ sở cơ quan đại diện nước ngoài, tổ chức nước ngoài", PRESS),
    (2, "T-BPC-281490-TT", "Cho phép thành lập và hoạt động của cơ quan đại diện, phóng viên thường trú ở trong nước của các cơ quan báo chí", PRESS),
    (3, "T-BPC-281491-TT", "Cấp giấy phép xuất bản Bản tin", PRESS),
    (4, "T-BPC-283844-TT", "Thay đổi nội dung ghi trong giấy phép xuất bản bản tin", PRESS),
    (5, "T-BPC-281492-TT", "Cho phép đăng tin, bài, phát biểu trên các phương tiện thông tin đại chúng của địa phương (nước ngoài)", PRESS),
    (6, "T-BPC-281493-TT", "Cho phép hợp báo (trong nước)", PRESS),
    (7, "T-BPC-281494-TT", "Cho phép hợp báo (nước ngoài)", PRESS),
    (8, "T-BPC-281495-TT", "Phát hành thông cáo báo chí của cơ quan, tổ chức nước ngoài tại Việt Nam", PRESS),
    # II. Lĩnh vực phát thanh truyền hình và thông tin điện tử
    (9, "T-BPC-281496-TT", "Cấp đăng ký thu tín hiệu truyền hình nước ngoài trực tiếp từ vệ tinh", BROADCASTING),
    (10, "T-BPC-281497-TT", "Sửa đổi, bổ sung giấy chứng nhận đăng ký thu tín hiệu truyền hình nước ngoài trực tiếp từ vệ tinh", BROADCASTING),
    (11, "T-BPC-281498-TT", "Cấp giấy phép thiết lập trang thông tin điện tử tổng hợp", BROADCASTING),
    (12, "T-BPC-281499-TT", "Sửa đổi, bổ sung giấy phép thiết lập trang thông tin điện tử tổng hợp", BROADCASTING),
    (13, "T-BPC-281500-TT", "Gia hạn giấy phép thiết lập trang thông tin điện tử tổng hợp", BROADCASTING),
    (14, "T-BPC-281501-TT", "Cấp lại giấy phép thiết lập trang thông tin điện tử tổng hợp", BROADCASTING),
    # III. Lĩnh vực xuất bản
    (15, "T-BPC-281502-TT", "Cấp giấy phép tài liệu không kinh doanh", PUBLISHING),
    (16, "T-BPC-281503-TT", "Cấp giấy phép hoạt động in xuất bản phẩm", PUBLISHING),
    (17, "T-BPC-281505-TT", "Cấp lại giấy phép hoạt động in xuất bản phẩm", PUBLISHING),
    (18, "T-BPC-\n\n\t281506-TT", "Cấp đổi giấy phép hoạt động in xuất bản phẩm", PUBLISHING),
    (19, "T-BPC- 281507-TT", "Cấp giấy phép in gia công xuất bản phẩm cho nước ngoài", PUBLISHING),
    (20, "T-BPC- 281508-TT", "Cấp giấy phép nhập khẩu xuất bản phẩm không kinh doanh", PUBLISHING),
    (21, "T-BPC- 281509-TT", "Cấp giấy phép tổ chức triển lãm, hội chợ xuất bản phẩm", PUBLISHING),
    (22, "T-BPC- 281510-TT", "Đăng ký hoạt động phát hành xuất bản phẩm", PUBLISHING),
    (23, "T-BPC- 281512-TT", "Cấp giấy phép hoạt động in", PUBLISHING),
    (24, "T-BPC- 281514-TT", "Cấp lại giấy phép hoạt động in", PUBLISHING),
    (25, "T-BPC- 281515-TT", "Đăng ký hoạt động cơ sở in", PUBLISHING),
    (26, "T-BPC- 281516-TT", "Thay đổi thông tin đăng ký hoạt động cơ sở in", PUBLISHING),
    (27, "T-BPC- 281517-TT", "Cấp giấy phép chế bản, in, gia công sau in cho nước ngoài", PUBLISHING),
    (28, "T-BPC- 281518-TT", "Đăng ký sử dụng máy photocopy màu, máy in có chức năng photocopy màu", PUBLISHING),
    (29, "T-BPC- 281519-TT", "Chuyển nhượng máy photocopy màu, máy in có chức năng photocopy màu", PUBLISHING),
    # IV. Lĩnh vực Bưu chính
    (30, "T-BPC- 281520-TT", "Cấp giấy phép bưu chính (Phạm vi nội tỉnh)", POSTAL),
    (31, "T-BPC- 281522-TT", "Sửa đổi, bổ sung giấy phép bưu chính", POSTAL),
    (32, "T-BPC- 281523- TT113", "Cấp lại giấy phép bưu chính khi hết hạn", POSTAL),
    (33, "T-BPC- 281117524- TT", "Cấp lại giấy phép bưu chính khi bị mất hoặc hư hỏng không sử dụng được", POSTAL),
    (34, "T-BPC- 281525-TT", "Cấp văn bản xác nhận thông báo hoạt động bưu chính", POSTAL),
    (35, "T-BPC- 281526-TT", "Cấp lại văn bản xác nhận thông báo hoạt động bưu chính khi bị mất hoặc hư hỏng không sử dụng được", POSTAL),
)

#: Typing errors of the source notice (Thông báo 48/TB-STTTT), corrected to the procedure's published name:
#: Điều 4.3 of the Quy chế names a service exactly as the Chủ tịch UBND tỉnh published the procedure, and the
#: notice is not that publication. Each correction is recorded in the procedure's review note.
SEED_NAME_CORRECTIONS = {
    1: ("Trung bày", "Trưng bày"),
}

_CLEAN_CODE = re.compile(r"^T-BPC-(\d{6})-TT$")
_TRAILING_DIGITS = re.compile(r"^T-BPC-(\d{6})-TT(\d+)$")
_LONG_NUMBER = re.compile(r"^T-BPC-(\d{7,})-TT$")


@dataclass(frozen=True)
class CleanCode:
    code: str
    needs_review: bool = False
    note: str = ""


def normalise_seed_code(raw: str, previous: int | None = None, following: int | None = None) -> CleanCode:
    """Clean one code of the seed's table.

    Spaces, tabs and line breaks inside a code are typing errors and are removed. A code that is
    still not ``T-BPC-nnnnnn-TT`` is read as best we can and flagged for review, with a note that
    quotes the seed: stray digits after "TT" are dropped; a number that is too long is cut to the
    six digits that fit between the neighbouring codes ``previous`` and ``following``.
    """
    compact = re.sub(r"\s+", "", raw)
    if _CLEAN_CODE.match(compact):
        return CleanCode(compact)
    quoted = " ".join(raw.split())
    trailing = _TRAILING_DIGITS.match(compact)
    if trailing:
        code = f"T-BPC-{trailing.group(1)}-TT"
        return CleanCode(
            code,
            True,
            f'Nguồn ghi "{quoted}": có thêm chữ số "{trailing.group(2)}" sau "TT", không đúng dạng '
            f"T-BPC-nnnnnn-TT. Tạm đọc là {code} (số liền sau mã của dòng trước); cần đối chiếu "
            "Cơ sở dữ liệu quốc gia về TTHC.",
        )
    long_number = _LONG_NUMBER.match(compact)
    if long_number and previous is not None and following is not None:
        digits = long_number.group(1)
        extra = len(digits) - 6
        candidates = {
            int(digits[:start] + digits[start + extra:])
            for start in range(len(digits) - extra + 1)
        }
        fitting = sorted(number for number in candidates if previous < number < following)
        if len(fitting) == 1:
            code = f"T-BPC-{fitting[0]}-TT"
            return CleanCode(
                code,
                True,
                f'Nguồn ghi "{quoted}": số "{digits}" có {len(digits)} chữ số thay vì 6. Tạm đọc là '
                f"{code}, cách đọc duy nhất nằm giữa mã của dòng trước ({previous}) và dòng sau "
                f"({following}); cần đối chiếu Cơ sở dữ liệu quốc gia về TTHC.",
            )
    return CleanCode(
        compact,
        True,
        f'Nguồn ghi "{quoted}": không đúng dạng T-BPC-nnnnnn-TT và không đọc được chắc chắn; '
        "giữ nguyên, cần đối chiếu.",
    )


@dataclass(frozen=True)
class SeedProcedure:
    no: int
    code: str
    name: str
    field: ProcedureField
    needs_review: bool
    review_note: str


def _number(raw: str) -> int | None:
    match = _CLEAN_CODE.match(re.sub(r"\s+", "", raw))
    return int(match.group(1)) if match else None


def normalise_seed_rows(rows=SEED_ROWS) -> list[SeedProcedure]:
    """Every seed row with its code cleaned; neighbours are read in order so that a garbled
    number can be judged against the codes around it."""
    cleaned: list[SeedProcedure] = []
    for index, (no, raw_code, name, field) in enumerate(rows):
        previous = None
        if cleaned:
            match = _CLEAN_CODE.match(cleaned[-1].code)
            previous = int(match.group(1)) if match else None
        following = next(
            (number for later in rows[index + 1:] if (number := _number(later[1])) is not None), None
        )
        clean = normalise_seed_code(raw_code, previous, following)
        name = " ".join(name.split())
        correction = ""
        if no in SEED_NAME_CORRECTIONS:
            typed, published = SEED_NAME_CORRECTIONS[no]
            name = name.replace(typed, published, 1)
            correction = (f'Thông báo 48/TB-STTTT viết "{typed}"; tên đã sửa thành "{published}" theo tên thủ tục '
                          "đã công bố (Điều 4.3 Quy chế).")
        notes = [note for note in (clean.note, correction) if note]
        cleaned.append(
            SeedProcedure(
                no=no,
                code=clean.code,
                name=name,
                field=field,
                needs_review=clean.needs_review,
                review_note=" ".join(notes),
            )
        )
    return cleaned


# --- demonstration figures (not in the seeds) ----------------------------------------------------

#: seed row number -> (processing time in half working days, fee in VND)
DEMO_FIGURES: dict[int, tuple[int, int]] = {
    1: (14, 0), 2: (20, 0), 3: (20, 0), 4: (14, 0), 5: (10, 0), 6: (4, 0), 7: (4, 0), 8: (6, 0),
    9: (20, 0), 10: (10, 0), 11: (20, 0), 12: (20, 0), 13: (15, 0), 14: (15, 0),
    15: (10, 50_000), 16: (30, 100_000), 17: (15, 50_000), 18: (15, 50_000), 19: (10, 50_000),
    20: (20, 50_000), 21: (30, 100_000), 22: (20, 0), 23: (30, 100_000), 24: (15, 50_000),
    25: (10, 0), 26: (10, 0), 27: (20, 100_000), 28: (10, 0), 29: (10, 0),
    30: (30, 200_000), 31: (20, 100_000), 32: (20, 100_000), 33: (15, 100_000), 34: (20, 0),
    35: (10, 0),
}

#: seed row number -> reason the post may not handle it (demonstration: the real list is the
#: one the provincial chairman publishes, Điều 24.1 and 26.1)
DEMO_NOT_BY_POST: dict[int, str] = {
    16: "Cơ quan phải kiểm tra thực tế cơ sở in và đối chiếu thiết bị trước khi cấp phép, "
        "nên người đề nghị nộp hồ sơ trực tiếp tại Bộ phận Một cửa.",
    23: "Cơ quan phải kiểm tra thực tế mặt bằng, thiết bị in và bản gốc giấy tờ của người đứng đầu "
        "cơ sở in; không tiếp nhận qua dịch vụ bưu chính công ích.",
}
DEMO_NOTE = "Thời hạn, lệ phí, thành phần hồ sơ và việc nhận qua bưu chính là dữ liệu minh họa."

DEPARTMENTS = {
    PRESS: "Phòng Thông tin – Báo chí – Xuất bản",
    BROADCASTING: "Phòng Thông tin – Báo chí – Xuất bản",
    PUBLISHING: "Phòng Thông tin – Báo chí – Xuất bản",
    POSTAL: "Phòng Bưu chính – Viễn thông",
}

_ORGANISATION_PAPER = {
    PRESS: "Bản sao có chứng thực quyết định thành lập hoặc giấy chứng nhận đăng ký doanh nghiệp",
    BROADCASTING: "Bản sao có chứng thực quyết định thành lập hoặc giấy chứng nhận đăng ký doanh nghiệp",
    PUBLISHING: "Bản sao có chứng thực giấy chứng nhận đăng ký doanh nghiệp hoặc quyết định thành lập cơ sở",
    POSTAL: "Bản sao có chứng thực giấy chứng nhận đăng ký doanh nghiệp",
}


def demo_checklist(name: str, field: ProcedureField) -> list[str]:
    """A plausible list of documents for a procedure, from what it does (demonstration)."""
    lowered = name[0].lower() + name[1:]
    request = f"Đơn đề nghị {lowered} (theo mẫu)" if "(" not in name else "Đơn đề nghị (theo mẫu)"
    if name.startswith("Cấp lại") and ("mất" in name or "hư hỏng" in name):
        return [request, "Văn bản giải trình lý do mất hoặc hư hỏng", "Bản gốc giấy phép bị hư hỏng (nếu còn)"]
    if name.startswith(("Cấp lại", "Gia hạn")):
        return [request, "Bản sao có chứng thực giấy phép đã được cấp", "Báo cáo tình hình hoạt động trong thời gian được cấp phép"]
    if name.startswith(("Sửa đổi", "Thay đổi", "Cấp đổi", "Chuyển nhượng")):
        return [request, "Bản sao có chứng thực giấy phép hoặc giấy xác nhận đã được cấp", "Tài liệu chứng minh nội dung thay đổi"]
    if name.startswith("Cho phép hợp báo") or name.startswith("Phát hành thông cáo"):
        return [request, "Nội dung dự kiến thông báo hoặc thông cáo báo chí", "Danh sách người chủ trì và người phát ngôn"]
    documents = [request, _ORGANISATION_PAPER[field], "Sơ yếu lý lịch của người đứng đầu (có xác nhận)"]
    if field in (PUBLISHING, POSTAL):
        documents.append("Bản thuyết minh về địa điểm, trang thiết bị và phương án hoạt động")
    return documents


def demo_procedures() -> list[dict]:
    """The 35 procedures with their demonstration figures, as column values."""
    procedures = []
    for seed in normalise_seed_rows():
        half_days, fee = DEMO_FIGURES[seed.no]
        exclusion = DEMO_NOT_BY_POST.get(seed.no, "")
        notes = [seed.review_note, DEMO_NOTE]
        if exclusion:
            notes.append("Việc không nhận qua bưu chính là dữ liệu minh họa.")
        procedures.append(
            {
                "code": seed.code,
                "name": seed.name,
                "field": seed.field,
                "level": 4,
                "processing_half_days": half_days,
                "fee_vnd": fee,
                "processing_department": DEPARTMENTS[seed.field],
                "postal_eligible": not exclusion,
                "postal_exclusion_reason": exclusion,
                "needs_review": seed.needs_review,
                "review_note": " ".join(note for note in notes if note),
                "demo_figures": True,
                "checklist": demo_checklist(seed.name, seed.field),
            }
        )
    return procedures


def set_checklist(session: Session, procedure: Procedure, names: list[str]) -> bool:
    """Replace the checklist if it differs; True when something changed.

    The old items are flushed away first: (procedure, position) is unique and the unit of work
    would otherwise insert the new rows before deleting the old ones.
    """
    if [item.name for item in procedure.checklist] == names:
        return False
    if procedure.checklist:
        procedure.checklist.clear()
        session.flush()
    procedure.checklist.extend(
        ChecklistItem(position=position, name=name) for position, name in enumerate(names, start=1)
    )
    return True


def load_demo_catalogue(session: Session) -> None:
    """Upsert the demo agency, post offices and procedures by code; the caller commits."""
    agency = upsert_agency(session, DEMO_AGENCY_CODE, **DEMO_AGENCY)

    offices = {row.code: row for row in session.scalars(select(PostOffice))}
    for code, name, address, district, latitude, longitude, phone in DEMO_POST_OFFICES:
        office = offices.get(code) or PostOffice(code=code)
        values = {
            "name": name, "address": address, "province_code": "70", "district_code": district,
            "latitude": latitude, "longitude": longitude, "phone": phone,
        }
        for attribute, value in values.items():
            if getattr(office, attribute) != value:
                setattr(office, attribute, value)
        session.add(office)

    existing = {row.code: row for row in session.scalars(select(Procedure))}
    for values in demo_procedures():
        values = dict(values)
        checklist = values.pop("checklist")
        procedure = existing.get(values["code"])
        if procedure is None:
            procedure = Procedure(agency=agency, **values)
            session.add(procedure)
        else:
            if procedure.agency_id != agency.id:
                procedure.agency = agency
            for attribute, value in values.items():
                if attribute == "needs_review" and procedure.reviewed_at is not None:
                    continue  # an operator confirmed the entry on the review page: reloading keeps that
                if getattr(procedure, attribute) != value:
                    setattr(procedure, attribute, value)
        set_checklist(session, procedure, checklist)
    session.flush()
