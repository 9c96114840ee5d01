"""The wizard's state between pages: per-wizard entries in the session and scan folders."""
from __future__ import annotations

import os
import time

import pytest

from postal_gateway.dossiers import intake


def test_state_round_trips_and_old_wizards_are_forgotten():
    store: dict = {}
    first = intake.new_state(1, "T-1")
    assert intake.is_wizard_id(first.wizard_id) and first.submission_key.startswith("wz-")
    first.checklist = [3, 4]
    intake.save(store, first)
    assert intake.load(store, first.wizard_id) == first
    dropped = []
    for n in range(intake.MAX_OPEN_WIZARDS):
        state = intake.new_state(1, f"T-{n}")
        state.created_at = first.created_at + n + 1
        dropped += intake.save(store, state)
    assert dropped == [first.wizard_id]
    assert intake.load(store, first.wizard_id) is None
    intake.discard(store, state.wizard_id)
    assert intake.load(store, state.wizard_id) is None


@pytest.mark.parametrize("bad", ["", "../etc", "0" * 31, "G" * 32, None])
def test_bad_wizard_ids_load_nothing(bad):
    assert intake.load({}, bad or "") is None


def test_a_state_of_an_older_shape_is_ignored():
    store = {intake.STORE_KEY: {"a" * 32: {"unknown": 1}}}
    assert intake.load(store, "a" * 32) is None


def test_scan_store_keeps_drops_and_sweeps(tmp_path):
    store = intake.ScanStore(tmp_path)
    wizard = intake.new_state(1, "T").wizard_id
    store.put(wizard, 7, b"data")
    assert store.get(wizard, 7) == b"data" and store.get(wizard, 8) is None
    with pytest.raises(ValueError):
        store.put("../x", 1, b"")
    old = intake.new_state(1, "T").wizard_id
    store.put(old, 1, b"x")
    long_ago = time.time() - intake.STALE_AFTER_SECONDS - 10
    os.utime(tmp_path / old, (long_ago, long_ago))
    store.sweep()
    assert store.get(old, 1) is None and store.get(wizard, 7) == b"data"
    store.drop(wizard)
    assert store.get(wizard, 7) is None
