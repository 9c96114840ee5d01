"""A province's busy morning through HTTP, for locust (run by bench/load.py, which prepares the database and the
servers and writes the file this reads; see its docstring).

Scenarios, by weight: citizens looking a dossier up by code (the API and the page, each request from its own
address, as citizens are), postal staff reading their office's list and a dossier through the API, handhelds
sending batches of 10 events on their own leg, and postal staff submitting dossiers through the API. ``BareLookup``
is the bare Flask app's lookup, run on its own against the same database, and ``AppLookup`` the app's lookup API
run on its own the same way (the like-for-like pair).
"""
from __future__ import annotations

import base64
import itertools
import json
import os
import random
import uuid
from datetime import datetime, timedelta, timezone

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ.get("LOAD_PLAN", "/tmp/load_plan.json"), encoding="utf-8").read())
_legs = itertools.count()
#: an 8 x 8 PNG, the smallest scan the intake takes
_PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000080000000808020000004b6d29dc0000001449444154789c6364653dc1800d3061"
    "151db41200a8b100e2086e61b60000000049454e44ae426082")).decode()


def _address() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


class Province(HttpUser):
    wait_time = between(0.05, 0.2)

    def on_start(self):
        self.token = random.choice(PLAN["staff_tokens"])
        self.auth = {"Authorization": f"Bearer {self.token}"}
        number = next(_legs)
        self.leg_code = PLAN["leg_codes"][number % len(PLAN["leg_codes"])]
        # the leg was picked up; it moves back and forth between offices from there
        self.next_types = itertools.cycle(["dispatched", "arrived"])
        self.device = f"load{os.getpid()}x{number}"
        self.sent = itertools.count()
        self.last = datetime.now(timezone.utc) - timedelta(minutes=30)

    @task(10)
    def lookup_api(self):
        self.client.get(f"/api/v1/lookup?code={random.choice(PLAN['codes'])}", name="lookup API",
                        headers={"X-Forwarded-For": _address()})

    @task(3)
    def lookup_page(self):
        self.client.get(f"/lookup?code={random.choice(PLAN['codes'])}", name="lookup page",
                        headers={"X-Forwarded-For": _address()})

    @task(4)
    def staff_reads(self):
        self.client.get(f"/api/v1/dossiers?per_page=20&page={random.randint(1, 50)}", name="staff: list",
                        headers=self.auth)
        self.client.get(f"/api/v1/dossiers/{random.choice(PLAN['codes'])}", name="staff: dossier",
                        headers=self.auth)

    @task(2)
    def handheld_batch(self):
        # a device's events follow each other: each batch after the last one sent and after anything sent on its
        # leg before (an earlier run's device), as a handheld uploads as it goes
        start = max(datetime.now(timezone.utc), self.last + timedelta(milliseconds=1))
        events = [{"event_id": f"{self.device}-{next(self.sent)}", "type": next(self.next_types),
                   "occurred_at": (start + timedelta(milliseconds=100 * n)).isoformat(),
                   "post_office_code": PLAN["office_code"]} for n in range(10)]
        self.last = start + timedelta(milliseconds=900)
        with self.client.post(f"/api/v1/shipments/{self.leg_code}/events", json={"events": events},
                              headers=self.auth, name="handheld batch of 10", catch_response=True) as response:
            if response.status_code == 200:
                statuses = {r["status"] for r in response.json()["results"]}
                if statuses - {"accepted"}:
                    response.failure(f"events not accepted: {statuses}")

    @task(1)
    def submission(self):
        first, second = PLAN["checklist"]
        body = {
            "citizen_id": random.choice(PLAN["citizens"]), "procedure_code": PLAN["procedure_code"],
            "checklist": [first, second],
            "documents": [{"checklist_item_id": first, "filename": "to-khai.png", "content_base64": _PNG},
                          {"checklist_item_id": second, "filename": "giay-phep.png", "content_base64": _PNG}],
            "collection_place": "post_office", "delivery_address": "12 Trần Hưng Đạo",
            "fee": {"amount_vnd": PLAN["fee_vnd"], "method": "cash"},
            "postage": {"amount_vnd": 20_000, "method": "cash"},
        }
        self.client.post("/api/v1/dossiers", json=body, name="submission",
                         headers={**self.auth, "Idempotency-Key": uuid.uuid4().hex})


class BareLookup(HttpUser):
    """The bare Flask app (bench/load.py's ``bare_app``): the same indexed SELECT, its row as JSON."""

    wait_time = between(0.05, 0.2)

    @task
    def lookup(self):
        self.client.get(f"/lookup?code={random.choice(PLAN['codes'])}", name="bare lookup")


class AppLookup(HttpUser):
    """The app's lookup API alone, under the same settings as BareLookup: the like-for-like pair."""

    wait_time = between(0.05, 0.2)

    @task
    def lookup(self):
        self.client.get(f"/api/v1/lookup?code={random.choice(PLAN['codes'])}", name="lookup API alone",
                        headers={"X-Forwarded-For": _address()})
