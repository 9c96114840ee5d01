"""A tiny-size run of bench/statistics.py: it fills, times both paths and finds the same figures."""
from __future__ import annotations

import pytest

from bench import statistics as bench
from tests.conftest import ADMIN_URL


@pytest.mark.slow
def test_bench_smoke_run_agrees_with_the_bare_group_by(app):
    results = bench.main(["--rows", "2000", "--agencies", "4", "--admin-url", ADMIN_URL])
    total = results["total"]
    assert total["to_settle"] > 0 and total["settled_on_time"] > 0 and total["settled_late"] > 0
    assert total["waiting_supplement"] > 0 and total["carried_waiting"] > 0 and total["returned"] > 0
    assert total["to_settle"] == sum(total[k] for k in ("carried_on_time", "carried_late", "carried_waiting",
                                                         "received"))
    assert total["to_settle"] == sum(total[k] for k in ("settled_on_time", "settled_late", "in_progress_on_time",
                                                         "in_progress_late", "waiting_supplement", "waiting_fee",
                                                         "waiting_citizen", "waiting_other", "returned"))
    assert results["bare"] > 0 and results["service"] > 0
