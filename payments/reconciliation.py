"""Reconciliation (đối soát) of an agency's fees for one Vietnamese day, set-based in the database.

Three sources side by side: what was owed (the fee and postage lines of each attempt), what our IPN /
querydr records say (payments), and what VNPay's daily file says (payment_gateway_transactions,
bulk-loaded with COPY on PostgreSQL). One FULL OUTER JOIN on vnp_TxnRef sorts every line into a
category; only lines that are not simply matched are stored, the rest are counted.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from itertools import islice

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from payments.models import DayStatus, GatewayImport, GatewayTransaction, ReconciliationDay, ReconciliationItem
from payments.refunds import complete_from_gateway_file
from payments.vnpay import GMT7, parse_vnpay_datetime
from postal_gateway.accounts.models import Role, User
from postal_gateway.catalogue.models import Agency
from postal_gateway.core.domain import N_, Conflict, FieldError, Forbidden, InvalidInput, NotFound
from postal_gateway.core.outbox import emit

#: category → (Vietnamese label, is an exception needing a comment)
CATEGORIES = {
    "matched": (N_("Khớp"), False),
    "missing_at_gateway": (N_("Thiếu ở cổng thanh toán"), True),
    "missing_here": (N_("Thiếu ở hệ thống"), True),
    "amount_mismatch": (N_("Lệch số tiền"), True),
    "duplicate": (N_("Thanh toán trùng"), True),
    "refunded": (N_("Đã hoàn tiền"), False),
    "late": (N_("Ghi nhận muộn"), True),
    "cash_remitted": (N_("Tiền mặt / thu hộ đã nộp"), False),
    "cash_not_remitted": (N_("Tiền mặt / thu hộ chưa nộp"), True),
}
FILE_COLUMNS = ("TmnCode", "TxnRef", "TransactionNo", "TransactionType", "TransactionStatus", "Amount", "PayDate", "BankCode")
_TXN_REF = re.compile(r"[A-Za-z0-9._-]{1,100}")
MAX_KEPT_ERRORS = 200
BATCH = 5000
COPY_COLUMNS = ("import_id", "business_day", "agency_code", "txn_ref", "transaction_no", "transaction_type",
                "transaction_status", "amount_vnd", "pay_date", "bank_code")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The Vietnamese day as a UTC-comparable half-open range."""
    start = datetime.combine(day, time(0), tzinfo=GMT7)
    return start, start + timedelta(days=1)


def agency_code_of(txn_ref: str) -> str:
    """Our vnp_TxnRef is "<dossier code>.<attempt>" and a dossier code starts with its agency's code."""
    return txn_ref.split("-", 1)[0][:32]


# --- import of the gateway's daily file ---------------------------------------------------------


@dataclass
class ImportResult:
    record: GatewayImport
    errors: list[dict]


def _check_row(
    row: list[str], line: int, *, day: date, tmn_code: str, agency_code: str, start: datetime, end: datetime, errors: list,
) -> tuple | None:
    def fail(column: str, message: str) -> None:
        errors.append({"line": line, "column": column, "message": message})

    if len(row) != len(FILE_COLUMNS):
        fail("", N_("Dòng có số cột khác tiêu đề."))
        return None
    tmn, txn_ref, number, kind, status, amount, pay_date, bank = (value.strip() for value in row)
    before = len(errors)
    if tmn != tmn_code:
        fail("TmnCode", N_("Mã định danh website (TmnCode) không khớp với cấu hình của cơ quan."))
    if not _TXN_REF.fullmatch(txn_ref):
        fail("TxnRef", N_("Mã giao dịch không hợp lệ."))
    elif agency_code_of(txn_ref) != agency_code:
        fail("TxnRef", N_("Giao dịch không thuộc cơ quan của bạn."))
    if not number.isdigit() or len(number) > 32:
        fail("TransactionNo", N_("Số giao dịch VNPay phải là chữ số."))
    if kind not in ("01", "02", "03"):
        fail("TransactionType", N_("Loại giao dịch phải là 01, 02 hoặc 03."))
    if len(status) != 2 or not status.isdigit():
        fail("TransactionStatus", N_("Trạng thái giao dịch phải là 2 chữ số."))
    if not amount.isdigit() or not 0 < int(amount) < 10**12:
        fail("Amount", N_("Số tiền phải là số nguyên dương (đồng)."))
    moment = parse_vnpay_datetime(pay_date)
    if moment is None:
        fail("PayDate", N_("Thời gian thanh toán phải có dạng yyyyMMddHHmmss."))
    elif not start <= moment < end:
        fail("PayDate", N_("Thời gian thanh toán không thuộc ngày của tệp."))
    if len(bank) > 20:
        fail("BankCode", N_("Mã ngân hàng quá dài."))
    if len(errors) > before:
        return None
    return (day, agency_code, txn_ref, number, kind, status, int(amount), moment, bank)


def import_gateway_file(
    session: Session, lines: Iterable[str], *, agency_id: int, day: date, tmn_code: str, filename: str = "",
    imported_by_id: int | None = None, now: datetime,
) -> ImportResult:
    """Stream the daily CSV of ``agency_id``'s terminal (``tmn_code``) into the database (COPY on
    PostgreSQL, batched inserts elsewhere). Broken rows, and rows of another terminal or agency, are
    reported by line and column and left out; the rest load. A new file for the same agency and day
    replaces that agency's previous one, unless the agency already signed the day off; no other
    agency's file, result or sign-off is touched."""
    if not isinstance(day, date):
        raise InvalidInput.on_field("day", N_("Ngày không hợp lệ."))
    agency = session.get(Agency, agency_id) if isinstance(agency_id, int) else None
    if agency is None:
        raise NotFound(N_("Không tìm thấy cơ quan."))
    if session.scalar(select(func.count()).select_from(ReconciliationDay).where(
            ReconciliationDay.agency_id == agency_id, ReconciliationDay.day == day,
            ReconciliationDay.status == DayStatus.signed_off)):
        raise Conflict(N_("Ngày này đã được ký xác nhận đối soát; không nhập lại tệp được."))
    rest = iter(lines)
    header = [column.strip().lstrip("\ufeff") for column in next(csv.reader([next(rest, "")]), [])]
    if tuple(header) != FILE_COLUMNS:
        raise InvalidInput.on_field("file", N_("Tệp không đúng mẫu: cần các cột %(columns)s."), columns=", ".join(FILE_COLUMNS))
    old = list(session.scalars(select(GatewayImport.id).where(
        GatewayImport.agency_id == agency_id, GatewayImport.business_day == day)))
    if old:
        session.execute(delete(GatewayTransaction).where(GatewayTransaction.import_id.in_(old)))
    record = GatewayImport(business_day=day, agency_id=agency_id, tmn_code=tmn_code[:16], filename=filename[:255],
                           imported_at=now, imported_by_id=imported_by_id)
    session.add(record)
    session.flush()
    errors: list[dict] = []
    if session.connection().dialect.name == "postgresql":
        count = _copy_file(session, rest, record.id, day=day, tmn_code=tmn_code, agency_code=agency.code, errors=errors)
    else:
        start, end = day_bounds(day)
        good = (
            (record.id, *checked)
            for line, row in enumerate(csv.reader(rest), start=2)
            if row and (checked := _check_row(row, line, day=day, tmn_code=tmn_code, agency_code=agency.code,
                                              start=start, end=end, errors=errors)) is not None
        )
        count = bulk_load(session, good)
    record.row_count = count
    record.error_count = len(errors)
    record.errors = errors[:MAX_KEPT_ERRORS]
    session.flush()

    complete_from_gateway_file(session)
    return ImportResult(record, errors)


#: lines of the file turned into COPY rows at once
CHUNK_LINES = 10_000


def _fast_line(*, day: date, tmn_code: str, agency_code: str) -> re.Pattern:
    """A pattern matching exactly the lines ``_check_row`` would accept as they usually come (no quotes, no
    spaces), with the values as its groups, so that a whole chunk is checked at once. Anything else
    (a quote, a space, a blank line, an error) does not match and takes the row-by-row path."""
    ymd = f"{day:%Y%m%d}"
    pattern = re.compile(
        rf"^{re.escape(tmn_code)},"
        # TxnRef: at most 100 of its characters, the agency's code, then "-…" (agency_code_of)
        rf"(?=[A-Za-z0-9._-]{{1,100}},)({re.escape(agency_code)}(?:-[A-Za-z0-9._-]*)?),"
        r"([0-9]{1,32}),(0[123]),([0-9]{2}),"  # TransactionNo, TransactionType, TransactionStatus
        r"(?!0+,)([0-9]{1,12}),"  # Amount: a positive whole number of đồng below 10^12
        rf"{ymd}([01][0-9]|2[0-3])([0-5][0-9])([0-5][0-9]),"  # PayDate: within the file's day, GMT+7
        r"([A-Za-z0-9._-]{0,20})\r?\n",  # BankCode
        re.MULTILINE,
    )
    return pattern


#: what COPY's text format escapes, by code point: backslash, tab, line feed, carriage return
_COPY_ESCAPES = {0x5C: "\\\\", 0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


def _copy_text(values: tuple) -> str:
    """One row in COPY's text format (written beside the converted chunks, in file order)."""
    return "\t".join(
        value.isoformat() if isinstance(value, (date, datetime)) else str(value).translate(_COPY_ESCAPES)
        for value in values
    ) + "\n"


def _copy_file(session: Session, lines: Iterable[str], import_id: int, *, day: date, tmn_code: str, agency_code: str,
               errors: list) -> int:
    """Stream the file's rows (after the header) into payment_gateway_transactions with one COPY.

    The file is read in chunks of lines. A chunk whose every line is a plain valid row (the usual case) is checked
    by one regular-expression search over the whole chunk and written as COPY text; a chunk with anything else is
    checked row by row with ``_check_row``, which names each fault by line and column. Either way each row is
    checked once, and rows reach the table in the file's order."""
    fast = _fast_line(day=day, tmn_code=tmn_code, agency_code=agency_code)
    prefix, local_day = f"{import_id}\t{day:%Y-%m-%d}\t{agency_code}\t", f"{day:%Y-%m-%d}"
    usable = re.fullmatch(r"[A-Za-z0-9._]{1,31}", agency_code) is not None
    start, end = day_bounds(day)
    count, number = 0, 2
    rest = iter(lines)
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor:
        with cursor.copy(f"COPY payment_gateway_transactions ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
            while chunk := list(islice(rest, CHUNK_LINES)):
                if chunk[-1][-1:] != "\n":
                    chunk[-1] += "\n"
                text_ = "".join(chunk)
                found = fast.findall(text_) if usable else None
                if found is not None and len(found) == text_.count("\n"):
                    copy.write("".join([
                        f"{prefix}{ref}\t{no}\t{kind}\t{status}\t{amount}\t{local_day} {hh}:{mm}:{ss}+07\t{bank}\n"
                        for ref, no, kind, status, amount, hh, mm, ss, bank in found
                    ]))
                    count += len(found)
                    number += len(found)
                    continue
                for row in csv.reader(chunk):
                    if row and (checked := _check_row(row, number, day=day, tmn_code=tmn_code, agency_code=agency_code,
                                                      start=start, end=end, errors=errors)) is not None:
                        copy.write(_copy_text((import_id, *checked)))
                        count += 1
                    number += 1
    return count


def bulk_load(session: Session, rows: Iterable[tuple]) -> int:
    """Load gateway rows in the session's transaction: PostgreSQL COPY, else executemany in batches."""
    connection = session.connection()
    count = 0
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor:
            with cursor.copy(f"COPY payment_gateway_transactions ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count
    statement = text(
        f"INSERT INTO payment_gateway_transactions ({', '.join(COPY_COLUMNS)}) VALUES ("
        + ", ".join(f":{c}" for c in COPY_COLUMNS) + ")"
    )
    batch: list[dict] = []
    for row in rows:
        values = dict(zip(COPY_COLUMNS, row))
        values["pay_date"] = values["pay_date"].astimezone(timezone.utc).replace(tzinfo=None)  # SQLite stores naive UTC
        batch.append(values)
        count += 1
        if len(batch) >= BATCH:
            connection.execute(statement, batch)
            batch = []
    if batch:
        connection.execute(statement, batch)
    return count


# --- reconciliation -----------------------------------------------------------------------------

#: our payments of the agency's day: the "ours" side of the join, and what the matched total is taken from
_OUR_PAYMENTS_OF_THE_DAY = """
    FROM payments p
    WHERE p.agency_id = :agency_id AND p.status IN ('paid', 'partially_refunded', 'refunded')
      AND p.pay_date >= :start AND p.pay_date < :end
"""

_CATEGORISED = """
WITH ours AS (
    SELECT p.id, p.txn_ref, p.dossier_id, p.amount_vnd, p.fee_vnd + p.postage_vnd AS owed_vnd,
           p.settled_at >= :end OR p.pay_date > p.expires_at AS late""" + _OUR_PAYMENTS_OF_THE_DAY + """),
twice AS (
    -- a dossier paid twice has a paid attempt numbered 2 or more: start from those (partial index)
    SELECT p.dossier_id, MIN(p.id) AS first_id
    FROM payments p
    WHERE p.dossier_id IN (SELECT q.dossier_id FROM payments q WHERE q.agency_id = :agency_id AND q.attempt > 1
                             AND q.status IN ('paid', 'partially_refunded', 'refunded'))
      AND p.status IN ('paid', 'partially_refunded', 'refunded')
    GROUP BY p.dossier_id HAVING COUNT(*) > 1
),
gateway AS (
    -- read in txn_ref order from the (day, agency, type, txn_ref) index, so grouping needs no hash table
    SELECT g.txn_ref, COUNT(*) AS n, CAST(SUM(g.amount_vnd) AS BIGINT) AS amount_vnd
    FROM (SELECT txn_ref, amount_vnd FROM payment_gateway_transactions
          WHERE business_day = :day AND agency_code = :agency_code AND transaction_type = '01' AND transaction_status = '00'
            AND import_id = :import_id
          ORDER BY txn_ref) g
    GROUP BY g.txn_ref
),
categorised AS (
    SELECT COALESCE(o.txn_ref, g.txn_ref) AS txn_ref, o.dossier_id, o.owed_vnd, o.amount_vnd AS ours_vnd, g.amount_vnd AS gateway_vnd,
           CASE
             WHEN o.txn_ref IS NULL THEN 'missing_here'
             WHEN g.txn_ref IS NULL THEN 'missing_at_gateway'
             WHEN g.n > 1 OR t.first_id IS NOT NULL AND t.first_id <> o.id THEN 'duplicate'
             WHEN g.amount_vnd <> o.amount_vnd OR o.amount_vnd <> o.owed_vnd THEN 'amount_mismatch'
             WHEN o.late THEN 'late'
             ELSE 'matched'
           END AS category
    FROM ours o
    FULL OUTER JOIN gateway g ON g.txn_ref = o.txn_ref
    LEFT JOIN twice t ON t.dossier_id = o.dossier_id
),
refunds AS (
    -- a few refund rows: each finds its payment by txn_ref (unique index), never by scanning payments
    SELECT g.txn_ref, g.gateway_vnd,
           (SELECT p.dossier_id FROM payments p WHERE p.txn_ref = g.txn_ref) AS dossier_id,
           (SELECT SUM(r.amount_vnd) FROM payments p JOIN payment_refunds r ON r.payment_id = p.id
            WHERE p.txn_ref = g.txn_ref AND r.status IN ('sent', 'completed')) AS ours_vnd
    FROM (SELECT txn_ref, SUM(amount_vnd) AS gateway_vnd FROM payment_gateway_transactions
          WHERE business_day = :day AND agency_code = :agency_code AND transaction_type IN ('02', '03') AND transaction_status = '00'
            AND import_id = :import_id
          GROUP BY txn_ref) g
)
"""

_LINES = _CATEGORISED + """,
lines AS (
    -- matched lines are only counted (txn_ref NULL, one row); every other line stays one row of its own
    SELECT category, CASE WHEN category = 'matched' THEN NULL ELSE txn_ref END AS txn_ref, COUNT(*) AS n,
           SUM(ours_vnd) AS ours_vnd, SUM(gateway_vnd) AS gateway_vnd, MAX(owed_vnd) AS owed_vnd, MAX(dossier_id) AS dossier_id
    FROM categorised
    GROUP BY 1, 2
    UNION ALL
    SELECT 'refunded', txn_ref, 1, ours_vnd, gateway_vnd, NULL, dossier_id FROM refunds
)
"""

_INSERT_ITEMS = """
INSERT INTO payment_reconciliation_items
    (day_id, category, txn_ref, dossier_code, owed_vnd, ours_vnd, gateway_vnd, is_exception, comment)
SELECT :day_id, l.category, l.txn_ref,
       COALESCE((SELECT d.code FROM dossiers d WHERE d.id = l.dossier_id),
                (SELECT d.code FROM payments p JOIN dossiers d ON d.id = p.dossier_id WHERE p.txn_ref = l.txn_ref), ''),
       l.owed_vnd, l.ours_vnd, l.gateway_vnd,
       l.category <> 'refunded' OR l.ours_vnd IS NULL OR l.ours_vnd <> l.gateway_vnd, ''
FROM lines l
WHERE l.category <> 'matched'
"""

_TOTALS = "SELECT category, SUM(n), COALESCE(SUM(ours_vnd), 0), COALESCE(SUM(gateway_vnd), 0) FROM lines GROUP BY category"

#: PostgreSQL: the join streams once; only the exception lines (a few percent) leave it, are inserted
#: and counted. Matched lines are never grouped: they are what is left of our own payments of the day
#: (_OURS_TOTAL) once the exception lines that carry one of them are taken away.
_INSERT_EXCEPTIONS = _CATEGORISED + """,
lines AS (
    SELECT category, txn_ref, ours_vnd, gateway_vnd, owed_vnd, dossier_id FROM categorised WHERE category <> 'matched'
    UNION ALL
    SELECT 'refunded', txn_ref, ours_vnd, gateway_vnd, NULL, dossier_id FROM refunds
),
inserted AS (""" + _INSERT_ITEMS + """ RETURNING category, ours_vnd, gateway_vnd)
SELECT category, COUNT(*), COALESCE(SUM(ours_vnd), 0), COALESCE(SUM(gateway_vnd), 0) FROM inserted GROUP BY category
"""

_OURS_TOTAL = "SELECT COUNT(*), COALESCE(SUM(p.amount_vnd), 0)" + _OUR_PAYMENTS_OF_THE_DAY

#: exception categories whose line carries one of our payments of the day
_WITH_OUR_PAYMENT = ("missing_at_gateway", "duplicate", "amount_mismatch", "late")

#: cash and collection-on-behalf fees collected that day, against the remittance of the worker's shift
_CASH = """
WITH cash AS (
    SELECT c.id, d.code, c.amount_vnd, r.id IS NOT NULL AS remitted
    FROM collected_amounts c
    JOIN dossiers d ON d.id = c.dossier_id
    LEFT JOIN cash_shifts s ON s.worker_id = c.collected_by_id AND s.opened_at <= c.collected_at
         AND (s.closed_at IS NULL OR c.collected_at < s.closed_at)
    LEFT JOIN cash_remittances r ON r.shift_id = s.id
    WHERE d.agency_id = :agency_id AND c.kind = 'fee' AND c.method IN ('cash', 'collection_on_behalf')
      AND c.collected_at >= :start AND c.collected_at < :end
)
"""

_INSERT_CASH = """
INSERT INTO payment_reconciliation_items
    (day_id, category, txn_ref, dossier_code, owed_vnd, ours_vnd, gateway_vnd, is_exception, comment)
SELECT :day_id, 'cash_not_remitted', 'cash-' || id, code, NULL, amount_vnd, NULL, true, '' FROM cash WHERE NOT remitted
"""

_CASH_TOTALS = "SELECT remitted, COUNT(*), COALESCE(SUM(amount_vnd), 0) FROM cash GROUP BY remitted"

#: a line still there after a new run keeps the comment staff gave it (old lines have ids up to :last_old_id)
_KEEP_COMMENTS = """
UPDATE payment_reconciliation_items AS fresh
SET comment = kept.comment, resolved_at = kept.resolved_at, resolved_by_id = kept.resolved_by_id
FROM payment_reconciliation_items AS kept
WHERE fresh.day_id = :day_id AND fresh.id > :last_old_id
  AND kept.day_id = :day_id AND kept.id <= :last_old_id
  AND kept.category = fresh.category AND kept.txn_ref = fresh.txn_ref
"""


def latest_import(session: Session, *, agency_id: int, day: date) -> GatewayImport | None:
    """The agency's own file for the day, the last one imported (another agency's files are never read)."""
    return session.scalar(select(GatewayImport).where(
        GatewayImport.agency_id == agency_id, GatewayImport.business_day == day).order_by(GatewayImport.id.desc()).limit(1))


def get_day(session: Session, *, agency_id: int, day: date) -> ReconciliationDay | None:
    return session.scalar(select(ReconciliationDay).where(ReconciliationDay.agency_id == agency_id, ReconciliationDay.day == day))


def _staff_of(user: User, agency_id: int, *roles: Role) -> None:
    if user.role not in roles or user.agency_id != agency_id:
        raise Forbidden(N_("Tài khoản của bạn không có quyền đối soát cho cơ quan này."))


def reconcile(session: Session, *, agency_id: int, day: date, user: User | None, now: datetime) -> ReconciliationDay:
    """(Re)build the day's reconciliation; comments already given on lines that remain are kept."""
    if user is not None:
        _staff_of(user, agency_id, Role.agency_staff, Role.agency_admin)
    agency = session.get(Agency, agency_id)
    if agency is None:
        raise NotFound(N_("Không tìm thấy cơ quan."))
    record = get_day(session, agency_id=agency_id, day=day)
    if record is not None and record.status == DayStatus.signed_off:
        raise Conflict(N_("Ngày này đã được ký xác nhận; kết quả đối soát đã khóa."))
    last_old_id = None
    if record is None:
        record = ReconciliationDay(agency_id=agency_id, day=day, reconciled_at=now)
        session.add(record)
        session.flush()
    else:
        session.execute(delete(ReconciliationItem).where(
            ReconciliationItem.day_id == record.id, ReconciliationItem.resolved_at.is_(None)))
        last_old_id = session.scalar(select(func.max(ReconciliationItem.id)).where(ReconciliationItem.day_id == record.id))
    start, end = day_bounds(day)
    gateway_file = latest_import(session, agency_id=agency_id, day=day)
    params = {"agency_id": agency_id, "agency_code": agency.code, "day": day, "start": start, "end": end, "day_id": record.id,
              "import_id": gateway_file.id if gateway_file is not None else None}
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        params = {**params, "start": start.astimezone(timezone.utc).replace(tzinfo=None),
                  "end": end.astimezone(timezone.utc).replace(tzinfo=None)}
    if connection.dialect.name == "postgresql":
        # Hash joins and aggregates in memory for this transaction only; no JIT start-up for one statement.
        connection.execute(text("SET LOCAL work_mem = '64MB'"))
        connection.execute(text("SET LOCAL jit = off"))
        totals_rows = connection.execute(text(_INSERT_EXCEPTIONS), params).all()
        ours_count, ours_vnd = connection.execute(text(_OURS_TOTAL), params).one()
        with_ours = [row for row in totals_rows if row[0] in _WITH_OUR_PAYMENT]
        matched_count = ours_count - sum(row[1] for row in with_ours)
        matched_vnd = ours_vnd - sum(row[2] for row in with_ours)
        if matched_count:  # a matched line has the same amount on both sides
            totals_rows.append(("matched", matched_count, matched_vnd, matched_vnd))
    else:
        connection.execute(text(_LINES + _INSERT_ITEMS), params)
        totals_rows = connection.execute(text(_LINES + _TOTALS), params).all()
    totals = {category: {"count": 0, "ours_vnd": 0, "gateway_vnd": 0} for category in CATEGORIES}
    for category, count, ours, gateway in totals_rows:
        totals[category] = {"count": int(count), "ours_vnd": int(ours), "gateway_vnd": int(gateway)}
    # what we refunded is on each refunded line; the day's refund total is the gateway's
    totals["refunded"]["ours_vnd"] = 0
    connection.execute(text(_CASH + _INSERT_CASH), params)
    remitted = {bool(is_remitted): (int(count), int(amount))
                for is_remitted, count, amount in connection.execute(text(_CASH + _CASH_TOTALS), params)}
    for category, is_remitted in (("cash_remitted", True), ("cash_not_remitted", False)):
        count, amount = remitted.get(is_remitted, (0, 0))
        totals[category] = {"count": count, "ours_vnd": amount, "gateway_vnd": 0}
    if last_old_id is not None:
        connection.execute(text(_KEEP_COMMENTS), {"day_id": record.id, "last_old_id": last_old_id})
        session.execute(delete(ReconciliationItem).where(
            ReconciliationItem.day_id == record.id, ReconciliationItem.id <= last_old_id))
    record.totals = totals
    record.reconciled_at = now
    record.reconciled_by_id = user.id if user is not None else None
    record.gateway_file_id = gateway_file.id if gateway_file is not None else None
    session.flush()
    return record


def items(session: Session, record: ReconciliationDay, *, exceptions_only: bool = False) -> list[ReconciliationItem]:
    query = select(ReconciliationItem).where(ReconciliationItem.day_id == record.id)
    if exceptions_only:
        query = query.where(ReconciliationItem.is_exception.is_(True))
    return list(session.scalars(query.order_by(ReconciliationItem.category, ReconciliationItem.txn_ref)))


def open_exceptions(session: Session, record: ReconciliationDay) -> int:
    return session.scalar(select(func.count()).select_from(ReconciliationItem).where(
        ReconciliationItem.day_id == record.id, ReconciliationItem.is_exception.is_(True),
        ReconciliationItem.resolved_at.is_(None))) or 0


def resolve_item(session: Session, *, item_id: object, comment: str, user: User, now: datetime) -> ReconciliationItem:
    """Staff explain an exception with a comment (a second comment replaces the first until sign-off)."""
    item = session.get(ReconciliationItem, item_id) if isinstance(item_id, int) and 0 < item_id < 2**62 else None
    if item is None:
        raise NotFound(N_("Không tìm thấy dòng đối soát."))
    record = session.get(ReconciliationDay, item.day_id)
    _staff_of(user, record.agency_id, Role.agency_staff, Role.agency_admin)
    if record.status == DayStatus.signed_off:
        raise Conflict(N_("Ngày này đã được ký xác nhận; kết quả đối soát đã khóa."))
    comment = comment.strip() if isinstance(comment, str) else ""
    if not comment or len(comment) > 1000:
        raise InvalidInput("Cần ghi nhận xét (tối đa 1000 ký tự).", field_errors=[
            FieldError("comment", N_("Cần ghi nhận xét (tối đa 1000 ký tự)."))])
    item.comment = comment
    item.resolved_at = now
    item.resolved_by_id = user.id
    session.flush()
    return item


def sign_off(session: Session, *, agency_id: int, day: date, user: User, now: datetime) -> ReconciliationDay:
    """An agency admin signs the day off: only when every exception has a comment; then it is locked."""
    _staff_of(user, agency_id, Role.agency_admin)
    record = get_day(session, agency_id=agency_id, day=day)
    if record is None:
        raise NotFound(N_("Ngày này chưa được đối soát."))
    if record.status == DayStatus.signed_off:
        raise Conflict(N_("Ngày này đã được ký xác nhận."))
    if record.gateway_file_id is None:
        raise Conflict(N_("Chưa nhập tệp giao dịch của cổng thanh toán cho ngày này."))
    left = open_exceptions(session, record)
    if left:
        raise Conflict(N_("Còn %(count)s dòng chênh lệch chưa có nhận xét."), params={"count": left})
    record.status = DayStatus.signed_off
    record.signed_off_at = now
    record.signed_off_by_id = user.id
    agency = session.get(Agency, agency_id)
    emit(session, "reconciliation.signed_off", aggregate_type="agency", aggregate_id=agency.code,
         payload={"agency_code": agency.code, "day": day.isoformat(), "totals": record.totals,
                  "signed_off_by": user.id}, occurred_at=now)
    session.flush()
    return record


def parse_day(value: object) -> date:
    """A YYYY-MM-DD day from a URL or form; anything else is a clear error."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidInput.on_field("day", N_("Ngày phải có dạng YYYY-MM-DD."))


def text_lines(data: bytes) -> Iterable[str]:
    """A streamed upload as text lines (UTF-8, BOM tolerated); undecodable bytes are an error."""
    try:
        return io.StringIO(data.decode("utf-8-sig"), newline="")
    except UnicodeDecodeError:
        raise InvalidInput.on_field("file", N_("Tệp phải là CSV mã hóa UTF-8.")) from None
