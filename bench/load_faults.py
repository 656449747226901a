"""Load and faults on PostgreSQL through gunicorn (issue 7), bounded and loopback only.

Run by `make load`, which starts a throwaway PostgreSQL (tools/with-postgres.sh):

1. 32 concurrent clients (locust) advance random orders along the happy path for 60 s,
   through the README's gunicorn command; 20 s in, one worker is killed with SIGKILL.
2. Then: no answer was a 5xx (gunicorn's access log); every order's audit trail holds
   exactly one event per step it has taken, so no transition was lost or doubled; every
   transition the server answered "done" is in the trail (the killed worker may leave
   one done that it never answered), and the clients never counted more than that
   (locust's own count is a lower bound: it stops counting when the run time ends);
   the chain verifies; the killed worker was replaced.
3. The database is stopped: pages answer 503 with a clear message; it is started again:
   the same pages answer 200 without restarting gunicorn.

Exits 0 when everything holds, 1 with the reasons otherwise.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from http.cookiejar import CookieJar

from sqlalchemy import func, insert, select

from bench.common import (
    BENCH_AUDIT_KEY,
    SCRATCH,
    approved_record_row,
    fresh_app,
    postgres_database,
    scratch_folder,
)
from bench.server import Server, gunicorn, locust
from qms.audit.models import AuditEvent
from qms.audit.verify import verify_trail
from qms.demo import HAPPY_PATH
from qms.extensions import db
from qms.orders.models import Order
from qms.records.models import Record
from qms.timeutil import utcnow
from qms.workflow.registry import registry

ORDERS = 400
CLIENTS = 32
SECONDS = 60
KILL_AFTER = 20


def populate() -> list[str]:
    """Orders at their first state with every record the happy path needs approved."""
    from tests.factories import make_order, make_team

    team = make_team()
    orders = [make_order(team, title=f"Нагрузка {i}") for i in range(ORDERS)]
    definition = registry().latest("customer-order")
    kinds = {kind for t in HAPPY_PATH for kind in definition.transition(t).requires}
    now = utcnow()
    db.session.execute(
        insert(Record),
        [
            approved_record_row(order.id, kind, team["engineer"].id, now)
            for order in orders
            for kind in sorted(kinds)
        ],
    )
    db.session.commit()
    return [order.number for order in orders]


class Browser:
    """A logged-in user agent on urllib: cookies, CSRF token, no redirects followed."""

    def __init__(self, server: Server):
        self.server = server
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect()
        )

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.server.url + path, timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def login(self, username: str, password: str) -> None:
        _, page = self.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"csrf_token": token, "username": username, "password": password}
        ).encode()
        try:
            self.opener.open(self.server.url + "/login", data=data, timeout=15)
        except urllib.error.HTTPError as exc:
            if exc.code != 302:
                raise


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _kill_a_worker(server: Server, killed: list[int]) -> None:
    time.sleep(KILL_AFTER)
    victim = server.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    killed.append(victim)


def check_database(
    app, answered_done: int, told_done: int, killed: int
) -> tuple[list[str], dict[str, float]]:
    problems = []
    with app.app_context():
        definition = registry().latest("customer-order")
        step_of = {definition.initial: 0} | {
            definition.transition(t).dest: i + 1 for i, t in enumerate(HAPPY_PATH)
        }
        states = dict(db.session.execute(select(Order.id, Order.state)).all())
        moves = db.session.execute(
            select(AuditEvent.order_id, AuditEvent.action, func.count())
            .where(AuditEvent.action.in_([f"order.{t}" for t in HAPPY_PATH]))
            .group_by(AuditEvent.order_id, AuditEvent.action)
        ).all()
        per_order = Counter()
        for order_id, action, count in moves:
            if count != 1:
                problems.append(f"order {order_id}: '{action}' recorded {count} times")
            per_order[order_id] += count
        for order_id, state in states.items():
            if per_order[order_id] != step_of[state]:
                problems.append(
                    f"order {order_id} is at '{state}' (step {step_of[state]}) "
                    f"but its trail holds {per_order[order_id]} steps"
                )
        recorded = sum(per_order.values())
        # A worker killed between its commit and its answer may leave one transition
        # done that nobody was told about; never one told about that is not there.
        if not answered_done <= recorded <= answered_done + killed:
            problems.append(
                f"the server answered 'done' to {answered_done} transitions "
                f"({killed} worker killed), the trail holds {recorded}"
            )
        if told_done > answered_done:
            problems.append(
                f"the clients counted {told_done} done, the server said {answered_done}"
            )
        chain = verify_trail(check_data=False)  # records were seeded beside the trail
        if not chain.intact:
            problems.append(chain.summary())
    return problems, {
        "load_transitions_recorded": recorded,
        "load_chain_events": chain.events_checked,
    }


def database_outage(server: Server) -> list[str]:
    problems = []
    browser = Browser(server)
    browser.login("manager", "manager-pw")
    if browser.get("/orders")[0] != 200:
        return ["the orders list does not answer 200 before the outage"]
    ctl = os.environ["QMS_PG_CTL"]
    subprocess.run([ctl, "-m", "fast", "stop"], check=True, stdout=subprocess.DEVNULL)
    try:
        for path in ("/orders", "/", "/healthz"):
            status, body = browser.get(path)
            if status != 503:
                problems.append(f"{path} answered {status} with the database stopped, not 503")
            elif path != "/healthz" and "database cannot be reached" not in body:
                problems.append(f"{path}: the 503 page does not say the database is unreachable")
    finally:
        subprocess.run([ctl, "start"], check=True, stdout=subprocess.DEVNULL)
    for path in ("/orders", "/", "/healthz"):
        status, _ = browser.get(path)
        if status != 200:
            problems.append(f"{path} answered {status} after the database came back, not 200")
    return problems


def main() -> int:
    if not os.environ.get("QMS_PG_SERVER") or not os.environ.get("QMS_PG_CTL"):
        print("run me through tools/with-postgres.sh (make load)", file=sys.stderr)
        return 2
    # The owner role makes, migrates and drops the database; the seeding, gunicorn and
    # the checks connect as the application role, as a production installation does.
    with postgres_database("qms_load") as (url, owner_url):
        return load_and_faults(url, owner_url)


def load_and_faults(url: str, owner_url: str | None) -> int:
    folder = scratch_folder("load-")
    app = fresh_app(folder, database_url=url, owner_url=owner_url)
    with app.app_context():
        numbers = populate()
        db.session.remove()
        db.engine.dispose()
    plan = folder / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "numbers": numbers,
                "path": HAPPY_PATH,
                "username": "manager",
                "password": "manager-pw",
            }
        )
    )
    env = {
        "QMS_DATABASE_URL": url,
        "QMS_DATABASE_OWNER_URL": "",  # served as the application role, with nothing more
        "QMS_INSTANCE_PATH": str(folder),
        "QMS_SECRET_KEY": "load",
        "QMS_AUDIT_KEY": BENCH_AUDIT_KEY,
        "QMS_LOAD_PLAN": str(plan),
    }
    problems: list[str] = []
    with gunicorn(env) as server:
        killed: list[int] = []
        killer = threading.Thread(target=_kill_a_worker, args=(server, killed))
        killer.start()
        rows = locust("AdvancingUser", server, CLIENTS, SECONDS, env, reset_after_spawn=False)
        killer.join()
        time.sleep(2)
        workers = server.worker_pids()
        if len(workers) != 4 or killed[0] in workers:
            problems.append(f"the killed worker {killed} was not replaced: workers {workers}")
        answers = server.answers()
        server_errors = [status for status, *_ in answers if status >= 500]
        if server_errors:
            problems.append(f"{len(server_errors)} answers were 5xx: {Counter(server_errors)}")
        answered_done = sum(
            1
            for status, method, path, location in answers
            if method == "POST" and path.endswith("/advance") and status == 302
            and not location.endswith("#next")
        )  # fmt: skip
        outcome = {
            n.removeprefix("advance "): int(r["Request Count"])
            for n, r in rows.items()
            if n.startswith("advance ")
        }
        done, unanswered = outcome.get("done", 0), outcome.get("no answer", 0)
        found, measured = check_database(app, answered_done, done, len(killed))
        problems += found
        problems += database_outage(server)
        statuses = Counter(status for status, *_ in server.answers())
    with app.app_context():
        db.engine.dispose()  # the owner may not end the application role's sessions

    results = {
        "load_clients": CLIENTS,
        "load_seconds": SECONDS,
        "load_requests_per_second": float(rows["Aggregated"]["Requests/s"]),
        "load_transitions_answered_done": answered_done,
        "load_transitions_counted_by_clients": done,
        "load_conflicts_409": outcome.get("conflict", 0),
        "load_refused": outcome.get("refused", 0),
        "load_unanswered_while_worker_killed": unanswered,
        "load_5xx": len(server_errors),
        "outage_503s": statuses[503],
    } | measured
    for key, value in results.items():
        print(f"{key}: {value:g}")
    if problems:
        print("FAILED:", *problems, sep="\n  ")
        print(f"gunicorn's and locust's logs are in {folder}")
        return 1
    shutil.rmtree(SCRATCH, ignore_errors=True)
    print("load and faults: PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
