"""State of the intake wizard between its short pages, kept on the server side of the phone.

The small answers live in the user's session under a random wizard id (several wizards may be
open at once, one per tab); scanned files are too big for a cookie and wait in a per-wizard
folder under the instance directory until the dossier is submitted or the wizard is dropped.
Each wizard carries its own submission key, so a double tap or a retried POST finds the same
dossier instead of making a second one.
"""
from __future__ import annotations

import re
import secrets
import shutil
import time
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

STORE_KEY = "intake_wizards"
#: older wizards of the same session are forgotten beyond this many
MAX_OPEN_WIZARDS = 5
#: scan folders older than this are swept when a new wizard starts
STALE_AFTER_SECONDS = 24 * 3600
_WIZARD_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class IntakeState:
    wizard_id: str
    #: idempotency key of the final submission
    submission_key: str
    citizen_id: int
    procedure_code: str
    #: ticked checklist item ids
    checklist: list[int] = field(default_factory=list)
    #: str(checklist item id) -> {"filename": ..., "sha256": ...} of the stored scan
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


class ScanStore:
    """Scanned files of open wizards, one folder per wizard id."""

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
