"""gunicorn on loopback for the load benchmarks: start, wait for /healthz, measure, stop."""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKERS = 4  # two per core on these machines, as the README's command


@dataclass
class Server:
    url: str
    master: subprocess.Popen
    access_log: Path

    def answers(self) -> list[tuple[int, str, str, str]]:
        """(status, method, path, Location) of every answer so far: gunicorn's access log."""
        rows = [line.split() for line in self.access_log.read_text().splitlines()]
        return [(int(status), method, path, location) for status, method, path, location in rows]

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.master.pid}/task/{self.master.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def peak_worker_memory_mb(self) -> float:
        """The largest peak resident set (VmHWM) of any live worker."""
        peaks = []
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks)

    def get(self, path: str, timeout: float = 10) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The load generators' clients all sign in as one user from one address at the same moment,
# which the sign-in throttle takes for guessing by design (qms/auth/throttle.py: more than
# five attempts of a name from an address in flight at once close it for a second). The
# benches measure serving, the throttle has its tests: a 429 here would measure nothing.
SIGN_IN_ALLOWANCE = {
    "QMS_LOGIN_ATTEMPTS": "1000",
    "QMS_LOGIN_ATTEMPTS_PER_ADDRESS": "1000",
    "QMS_LOGIN_ATTEMPTS_PER_NAME": "1000",
}


@contextmanager
def gunicorn(
    env: dict[str, str], workers: int = WORKERS, app: str = "wsgi:app", health: str = "/healthz"
) -> Iterator[Server]:
    """The README's command; every answer's status is logged to access.log."""
    port = free_port()
    access_log = Path(env["QMS_INSTANCE_PATH"]) / "access.log"
    log = open(Path(env["QMS_INSTANCE_PATH"]) / "gunicorn.log", "ab")  # noqa: SIM115
    master = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--workers", str(workers),
            "--bind", f"127.0.0.1:{port}",
            "--graceful-timeout", "5",
            "--access-logfile", str(access_log),
            "--access-logformat", "%(s)s %(m)s %(U)s %({location}o)s",
            app,
        ],
        cwd=ROOT,
        env={**os.environ, **SIGN_IN_ALLOWANCE, **env},
        stdout=log,
        stderr=log,
    )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", master, access_log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if server.get(health, timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if master.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not come up; see {log.name}")
            time.sleep(0.2)
        yield server
    finally:
        master.send_signal(signal.SIGTERM)
        try:
            master.wait(timeout=20)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()
        log.close()


def locust(
    locustfile_class: str,
    server: Server,
    users: int,
    seconds: int,
    env: dict,
    reset_after_spawn: bool = True,
) -> dict:
    """Run locust headless against `server`; return its statistics rows by name.

    `reset_after_spawn` drops what happened while the users logged in (for rates);
    leave it off when every request must be counted.
    """
    folder = Path(env["QMS_INSTANCE_PATH"])
    prefix = folder / f"locust-{locustfile_class}"
    with open(folder / "locust.log", "ab") as log:
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f", str(ROOT / "bench" / "locustfile.py"),
                locustfile_class,
                "--headless", "--only-summary",
                *(["--reset-stats"] if reset_after_spawn else []),
                "--users", str(users), "--spawn-rate", str(users),
                "--run-time", f"{seconds}s", "--stop-timeout", "10",
                "--host", server.url,
                "--csv", str(prefix),
                "--exit-code-on-error", "0",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )  # fmt: skip
    with open(f"{prefix}_stats.csv", newline="") as stats:
        return {row["Name"]: row for row in csv.DictReader(stats)}
