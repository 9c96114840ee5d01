"""State of the intake wizard between its short pages, kept on the server side of the phone.

The small answers live in the user's session under a random wizard id (several wizards may be
open at once, one per tab); scanned files are too big for a cookie and wait in a per-wizard
folder under the instance directory until the dossier is submitted or the wizard is dropped.
Each wizard carries its own submission key, so a double tap or a retried POST finds the same
dossier instead of making a second one.

A document may be photographed page by page: each page is kept in the wizard's folder the moment
it arrives (one request per page, several may arrive at once), in an order the worker can change,
and the pages of one document become its one file when the scans step completes (``page_pdf``).
The list of pages lives in the folder, not in the session: a cookie written by one of several
page uploads at once would lose the others.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from postal_gateway.core.domain import N_, FieldError, InvalidInput, NotFound
from postal_gateway.core.uploads import sanitise_filename, validate_scan
from postal_gateway.dossiers import page_pdf

STORE_KEY = "intake_wizards"
#: older wizards of the same session are forgotten beyond this many
MAX_OPEN_WIZARDS = 5
#: scan folders older than this are swept when a new wizard starts
STALE_AFTER_SECONDS = 24 * 3600
#: pages one document may have (a long contract, a thick register extract)
MAX_PAGES_PER_DOCUMENT = 30
_WIZARD_ID = re.compile(r"^[0-9a-f]{32}$")
_PAGE_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass
class IntakeState:
    wizard_id: str
    #: idempotency key of the final submission
    submission_key: str
    citizen_id: int
    procedure_code: str
    #: ticked checklist item ids
    checklist: list[int] = field(default_factory=list)
    #: str(checklist item id) -> {"filename": ..., "sha256": ..., "pages": fingerprint of the pages it was made of}
    #: of the stored scan
    scans: dict[str, dict] = field(default_factory=dict)
    collection_place: str = "post_office"
    pickup_address: str = ""
    delivery_address: str = ""
    organisation_name: str = ""
    #: "" means the fee is not collected now (level 4: paid online later)
    fee_method: str = "cash"
    postage_vnd: int = 0
    #: "" means the postage is collected when the result comes back
    postage_method: str = "cash"
    digitally_signed: bool = False
    #: which steps were completed: "checklist", "scans", "collection"
    done: list[str] = field(default_factory=list)
    #: set once submitted: further POSTs go to this dossier
    dossier_code: str | None = None
    created_at: float = field(default_factory=time.time)
    #: the staff member who opened the wizard: nobody else may use it
    staff_id: int | None = None


def is_wizard_id(value: str) -> bool:
    return bool(value) and _WIZARD_ID.match(value) is not None


def new_state(citizen_id: int, procedure_code: str) -> IntakeState:
    return IntakeState(
        wizard_id=secrets.token_hex(16),
        submission_key="wz-" + secrets.token_hex(16),
        citizen_id=citizen_id,
        procedure_code=procedure_code,
    )


def load(store: MutableMapping, wizard_id: str) -> IntakeState | None:
    if not is_wizard_id(wizard_id):
        return None
    raw = (store.get(STORE_KEY) or {}).get(wizard_id)
    if not isinstance(raw, dict):
        return None
    try:
        return IntakeState(**raw)
    except TypeError:  # a state written by an older version of this module
        return None


def save(store: MutableMapping, state: IntakeState) -> list[str]:
    """Keep ``state``; returns the ids of wizards forgotten to stay under the limit."""
    wizards = dict(store.get(STORE_KEY) or {})
    wizards[state.wizard_id] = asdict(state)
    dropped = []
    while len(wizards) > MAX_OPEN_WIZARDS:
        oldest = min(wizards, key=lambda key: wizards[key].get("created_at", 0))
        dropped.append(oldest)
        del wizards[oldest]
    store[STORE_KEY] = wizards  # reassign so the session notices the change
    return dropped


def discard(store: MutableMapping, wizard_id: str) -> None:
    wizards = dict(store.get(STORE_KEY) or {})
    wizards.pop(wizard_id, None)
    store[STORE_KEY] = wizards


@dataclass(frozen=True)
class Page:
    """One page (or one PDF of several pages) of a document, as accepted by core.uploads."""

    id: str
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    #: pages it brings into the document: 1 for a photo, the PDF's own count for a PDF
    page_count: int = 1


def pages_fingerprint(pages: list[Page]) -> str:
    """Changes whenever a page is added, removed or moved (short: it rides in the session cookie)."""
    return hashlib.sha256(",".join(page.sha256 + ":" + page.id for page in pages).encode()).hexdigest()[:20]


def is_page_id(value: str) -> bool:
    return bool(value) and _PAGE_ID.match(value) is not None


class ScanStore:
    """Scanned files of open wizards, one folder per wizard id.

    A document's pages are ``pages/<page id>.bin`` with their order in ``pages.json``, changed only
    under the folder's lock; the file made of them at the end of the scans step is ``<item id>.bin``.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _folder(self, wizard_id: str) -> Path:
        if not is_wizard_id(wizard_id):
            raise ValueError("not a wizard id")
        return self.root / wizard_id

    def put(self, wizard_id: str, item_id: int, data: bytes) -> None:
        folder = self._folder(wizard_id)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{int(item_id)}.bin").write_bytes(data)

    def get(self, wizard_id: str, item_id: int) -> bytes | None:
        path = self._folder(wizard_id) / f"{int(item_id)}.bin"
        return path.read_bytes() if path.is_file() else None

    # --- pages ---

    @contextmanager
    def _locked(self, wizard_id: str) -> Iterator[Path]:
        folder = self._folder(wizard_id)
        (folder / "pages").mkdir(parents=True, exist_ok=True)
        with open(folder / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield folder
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @staticmethod
    def _read_manifest(folder: Path) -> dict[str, list[dict]]:
        try:
            manifest = json.loads((folder / "pages.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return manifest if isinstance(manifest, dict) else {}

    @staticmethod
    def _write_manifest(folder: Path, manifest: dict[str, list[dict]]) -> None:
        temporary = folder / f"pages.json.{secrets.token_hex(4)}"
        temporary.write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, folder / "pages.json")

    def has_page_list(self, wizard_id: str) -> bool:
        return (self._folder(wizard_id) / "pages.json").is_file()

    def pages(self, wizard_id: str, item_id: int) -> list[Page]:
        """The document's pages in their order."""
        folder = self._folder(wizard_id)
        return [Page(**entry) for entry in self._read_manifest(folder).get(str(int(item_id)), [])]

    def add_page(self, wizard_id: str, item_id: int, *, filename: str, content_type: str, data: bytes,
                 sha256: str, page_count: int = 1) -> Page:
        """Keep one accepted page at the end of the document; refused past MAX_PAGES_PER_DOCUMENT."""
        page = Page(id=secrets.token_hex(8), filename=filename, content_type=content_type, size_bytes=len(data),
                    sha256=sha256, page_count=page_count)
        with self._locked(wizard_id) as folder:
            manifest = self._read_manifest(folder)
            entries = manifest.setdefault(str(int(item_id)), [])
            if len(entries) >= MAX_PAGES_PER_DOCUMENT:
                raise InvalidInput(
                    N_("Tệp %(filename)s không được nhận: mỗi giấy tờ tối đa %(limit)s trang."),
                    params={"filename": filename, "limit": MAX_PAGES_PER_DOCUMENT},
                )
            (folder / "pages" / f"{page.id}.bin").write_bytes(data)
            entries.append(asdict(page))
            self._write_manifest(folder, manifest)
        return page

    def move_page(self, wizard_id: str, item_id: int, page_id: str, offset: int) -> list[Page]:
        """Move a page ``offset`` places (-1 up, +1 down), kept within the document; the new order."""
        with self._locked(wizard_id) as folder:
            manifest = self._read_manifest(folder)
            entries = manifest.get(str(int(item_id)), [])
            position = self._position(entries, page_id)
            target = min(max(position + offset, 0), len(entries) - 1)
            entries.insert(target, entries.pop(position))
            self._write_manifest(folder, manifest)
        return [Page(**entry) for entry in entries]

    def delete_page(self, wizard_id: str, item_id: int, page_id: str) -> list[Page]:
        """Remove a page and its file; the pages left."""
        with self._locked(wizard_id) as folder:
            manifest = self._read_manifest(folder)
            entries = manifest.get(str(int(item_id)), [])
            entries.pop(self._position(entries, page_id))
            self._write_manifest(folder, manifest)
            (folder / "pages" / f"{page_id}.bin").unlink(missing_ok=True)
        return [Page(**entry) for entry in entries]

    def page_data(self, wizard_id: str, item_id: int, page_id: str) -> bytes:
        """The bytes of one page of this document."""
        self._position([asdict(page) for page in self.pages(wizard_id, item_id)], page_id)
        try:
            return (self._folder(wizard_id) / "pages" / f"{page_id}.bin").read_bytes()
        except OSError:  # deleted meanwhile
            raise NotFound(N_("Không tìm thấy trang này: có thể đã bị xóa.")) from None

    @staticmethod
    def _position(entries: list[dict], page_id: str) -> int:
        if is_page_id(page_id):
            for position, entry in enumerate(entries):
                if entry.get("id") == page_id:
                    return position
        raise NotFound(N_("Không tìm thấy trang này: có thể đã bị xóa."))

    def drop(self, wizard_id: str) -> None:
        if is_wizard_id(wizard_id):
            shutil.rmtree(self.root / wizard_id, ignore_errors=True)

    def sweep(self, now: float | None = None) -> None:
        """Remove folders of wizards abandoned long ago."""
        now = now or time.time()
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            try:
                if folder.is_dir() and now - folder.stat().st_mtime > STALE_AFTER_SECONDS:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                continue


@dataclass(frozen=True)
class DocumentFile:
    """The one file of a document, made of its pages."""

    filename: str
    data: bytes
    #: pages_fingerprint of the pages it was made of
    pages: str
    page_count: int


def document_file(store: ScanStore, wizard_id: str, item_id: int, title: str) -> DocumentFile | None:
    """The document's pages combined into one PDF (a single PDF kept as it is); None when it has no page.
    Named after the checklist item, so the agency sees which document it is."""
    pages = store.pages(wizard_id, item_id)
    if not pages:
        return None
    files = [page_pdf.PageFile(page.content_type, store.page_data(wizard_id, item_id, page.id)) for page in pages]
    if len(pages) == 1 and pages[0].content_type == "application/pdf":
        filename = pages[0].filename
    else:
        title = re.sub(r"[\\/]", "-", title)  # "bản chính/bản sao" is a name, not a path
        filename = sanitise_filename(f"{title}.pdf") if sanitise_filename(title) else "tai-lieu.pdf"
    return DocumentFile(filename=filename, data=page_pdf.combine(files), pages=pages_fingerprint(pages),
                        page_count=sum(page.page_count for page in pages))


def keep_pages(store: ScanStore, wizard_id: str, item_id: int, files: list[tuple[str, bytes]], *,
               max_bytes: int, field: str) -> tuple[list[Page], list[FieldError]]:
    """Keep every acceptable file as a page of the document, at once, and name each refused one with its
    reason: one bad file loses nothing else. Files are judged by their content (core.uploads)."""
    kept: list[Page] = []
    refused: list[FieldError] = []
    for filename, data in files:
        try:
            scan = validate_scan(filename, data, max_bytes=max_bytes, field=field)
            page_count = page_pdf.pdf_page_count(scan.data) if scan.content_type == "application/pdf" else 1
            kept.append(store.add_page(wizard_id, item_id, filename=scan.filename, content_type=scan.content_type,
                                       data=scan.data, sha256=scan.sha256, page_count=page_count))
        except InvalidInput as error:
            refused.extend(error.field_errors or [FieldError(field, error.message, error.params)])
    return kept, refused
