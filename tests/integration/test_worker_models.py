"""A fresh worker process knows every table before its first task: the beat's first task may be one
(the sandbox's IPN delivery) whose query reaches a model related to tables no module of its own imports."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]

FIRST_TASK_OF_A_FRESH_WORKER = """
import postal_gateway.core.worker
import payments.runtime, payments.sandbox.gateway  # what payments.sandbox_deliver reaches first, alone
from sqlalchemy.orm import configure_mappers
configure_mappers()
print("mappers configured")
"""


@pytest.mark.slow  # a fresh interpreter imports the whole product (seconds): `make test` runs it
def test_a_fresh_worker_configures_every_mapper_whatever_task_comes_first(tmp_path):
    environment = {**os.environ, "INSTANCE_DIR": str(tmp_path), "VNPAY_SANDBOX": "1"}
    answer = subprocess.run(
        [sys.executable, "-c", FIRST_TASK_OF_A_FRESH_WORKER], cwd=PROJECT_ROOT, env=environment,
        capture_output=True, text=True, timeout=120,
    )
    assert answer.returncode == 0, answer.stderr[-2000:]
    assert "mappers configured" in answer.stdout
