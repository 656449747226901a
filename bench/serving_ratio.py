"""The order page's requests per second through gunicorn, against a bare Flask route served
by the same gunicorn in the same run: the ratio to the framework's own limit.

Load generator: wrk (Debian's package, compiled C; `tools/system-packages.sh wrk`), one
thread, so the two cores stay with the server. gunicorn runs the README's 4 workers on
the bench's database (10,000 orders with their events). The peak resident memory of a
worker after the load is read from /proc. Goals (issue 18): ratio >= 0.3, worker peak
memory <= 150 MB.
"""

from __future__ import annotations

import http.cookiejar
import re
import shutil
import subprocess
import urllib.parse
import urllib.request

from bench.common import BENCH_AUDIT_KEY, fresh_app, scratch_folder
from bench.server import gunicorn
from bench.trace_matrix import populate

ORDERS = 10_000
SECONDS = 15
CONNECTIONS = 8


def _session_cookie(url: str) -> str:
    """Sign in as the manager, as a browser does; the Cookie header that carries it."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{url}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "username": "manager", "password": "manager-pw"}
    opener.open(f"{url}/login", urllib.parse.urlencode(form).encode()).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def _wrk(url: str, cookie: str | None = None) -> float:
    """Requests per second wrk measured (non-2xx answers make the run fail)."""
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    out = subprocess.run(
        ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", *headers, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors against {url}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def run() -> dict[str, float]:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is missing: tools/system-packages.sh wrk")
    folder = scratch_folder("serving-")
    app = fresh_app(folder)
    with app.app_context():
        populate(ORDERS)
    env = {
        "QMS_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
        "QMS_INSTANCE_PATH": str(folder),
        "QMS_SECRET_KEY": "bench",
        "QMS_AUDIT_KEY": BENCH_AUDIT_KEY,
    }
    with gunicorn(env, app="bench.bare_app:app", health="/") as bare:
        bare_rate = _wrk(f"{bare.url}/")
    with gunicorn(env) as server:
        cookie = _session_cookie(server.url)
        order_rate = _wrk(f"{server.url}/orders/B-{ORDERS // 2:06d}", cookie)
        memory = server.peak_worker_memory_mb()
    return {
        "bare_flask_requests_per_second": bare_rate,
        "order_page_requests_per_second": order_rate,
        "order_page_ratio_to_bare_flask": order_rate / bare_rate,
        "gunicorn_worker_peak_memory_after_wrk_mb": memory,
    }


UNITS = {
    "bare_flask_requests_per_second": "/s",
    "order_page_requests_per_second": "/s",
    "order_page_ratio_to_bare_flask": "x",
    "gunicorn_worker_peak_memory_after_wrk_mb": "MB",
}
