"""Locust users for the load benchmarks (run by bench/server.py, never on its own).

QMS_LOAD_PLAN names a JSON file: {"numbers": [order numbers], "path": [triggers in
order], "username": ..., "password": ...}.

- BrowsingUser reads the busiest pages: the orders list, an order page, the dashboard.
- AdvancingUser opens a random order and fires its next step on the path, as a manager
  does with the form; every answer is counted by outcome (done / conflict / refused /
  no answer) as an OUTCOME row, so the caller can check them against the database.
"""

from __future__ import annotations

import json
import os
import random
import re
import time

from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

PLAN = json.loads(open(os.environ["QMS_LOAD_PLAN"]).read())  # noqa: SIM115
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ADVANCE_FORM = re.compile(
    r'name="trigger" value="(\w+)">\s*<input type="hidden" name="version" value="(\d+)"'
)


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


class _LoggedIn(FastHttpUser):
    abstract = True
    wait_time = constant(0)  # closed loop: each user sends its next request at once

    def on_start(self) -> None:
        page = self.client.get("/login", name="login")
        response = self.client.post(
            "/login",
            data={
                "csrf_token": _csrf(page.text),
                "username": PLAN["username"],
                "password": PLAN["password"],
            },
            name="login",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"login failed: {response.status_code}")


class BrowsingUser(_LoggedIn):
    @task
    def orders_list(self) -> None:
        self.client.get(f"/orders?page={random.randint(1, 50)}", name="orders list")

    @task
    def order_page(self) -> None:
        self.client.get(f"/orders/{random.choice(PLAN['numbers'])}", name="order page")

    @task
    def dashboard(self) -> None:
        self.client.get("/", name="dashboard")


class AdvancingUser(_LoggedIn):
    @task
    def advance_a_random_order(self) -> None:
        number = random.choice(PLAN["numbers"])
        page = self.client.get(f"/orders/{number}", name="order page")
        if page.status_code != 200:
            return
        offered = dict(ADVANCE_FORM.findall(page.text))
        trigger = next((t for t in PLAN["path"] if t in offered), None)
        if trigger is None:
            return  # at the end of the path
        start = time.perf_counter()
        with self.client.post(
            f"/orders/{number}/advance",
            data={
                "csrf_token": _csrf(page.text),
                "trigger": trigger,
                "version": offered[trigger],
                "go": trigger,
            },
            name="advance",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location", "") if response.headers else ""
            if response.status_code == 302 and location.endswith("#next"):
                outcome = "refused"
            elif response.status_code == 302:
                outcome = "done"
            elif response.status_code == 409:
                outcome = "conflict"  # someone moved it first: the right answer
                response.success()
            elif response.status_code == 0:
                outcome = "no answer"  # the worker died with the request
            else:
                outcome = f"HTTP {response.status_code}"
                response.failure(outcome)
        self.environment.events.request.fire(
            request_type="OUTCOME",
            name=f"advance {outcome}",
            response_time=(time.perf_counter() - start) * 1000,
            response_length=0,
            exception=None,
            context={},
        )
