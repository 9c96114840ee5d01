"""A tiny-size run of bench/sla_page.py: it fills, times the page and the bare statements, and both agree."""
from __future__ import annotations

import pytest

from bench import sla_page as bench
from tests.conftest import ADMIN_URL


@pytest.mark.slow
def test_bench_smoke_run_agrees_with_the_bare_statements(app):
    results = bench.main(["--legs", "3000", "--offices", "3", "--repeat", "1", "--admin-url", ADMIN_URL])
    for label in ("operator", "one post office"):
        counts = results[label]["counts"]
        assert counts["done"] > 0 and counts["breached"] + counts["at_risk"] + counts["on_time"] > 0
        assert results[label]["bare"] > 0 and results[label]["page"] > 0
