"""Command-line start and peak memory: `qms --help` and `qms overdue` (what cron pays each
time), and `qms pack issue` rendering the ~31-page pack, each in a process of its own.

Wall time is the median of several runs, and beside it the CPU time the process used
(user + system, also a median): on a shared, busy machine wall time grows with the others'
load while CPU time mostly does not. Peak memory is the process's own maximum resident set
(wait4's ru_maxrss). qms's bytecode is compiled first, as an installed package's is: with
PYTHONDONTWRITEBYTECODE set (as here) every run would otherwise compile qms from source.
Goals (issue 18): both commands start in under 0.5 s; the pack renders in at most 150 MB.
"""

from __future__ import annotations

import compileall
import logging
import statistics
from pathlib import Path

from bench.common import fresh_app, run_qms, scratch_folder
from bench.pack_render import build_order

RUNS = 5


def _median(folder: Path, *args: str) -> tuple[float, float, float]:
    runs = [run_qms(folder, *args) for _ in range(RUNS)]
    return (
        statistics.median(r[0] for r in runs),
        statistics.median(r[1] for r in runs),
        max(r[2] for r in runs),
    )


def run() -> dict[str, float]:
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    compileall.compile_dir(Path(__file__).resolve().parent.parent / "qms", quiet=1)
    folder = scratch_folder("startup-")
    app = fresh_app(folder)
    with app.app_context():
        number = build_order().number
    help_s, help_cpu, help_mb = _median(folder, "--help")
    overdue_s, overdue_cpu, overdue_mb = _median(folder, "overdue")
    # The installation's signing key is made once, at setup, not by the print measured.
    run_qms(folder, "keys", "init")
    _, _, pack_mb = run_qms(folder, "pack", "issue", number, "-o", str(folder / "pack.pdf"))
    return {
        "cli_help_seconds": help_s,
        "cli_help_cpu_seconds": help_cpu,
        "cli_help_peak_memory_mb": help_mb,
        "cli_overdue_seconds": overdue_s,
        "cli_overdue_cpu_seconds": overdue_cpu,
        "cli_overdue_peak_memory_mb": overdue_mb,
        "pack_issue_peak_memory_mb": pack_mb,
    }


UNITS = {
    "cli_help_seconds": "s",
    "cli_help_cpu_seconds": "s",
    "cli_help_peak_memory_mb": "MB",
    "cli_overdue_seconds": "s",
    "cli_overdue_cpu_seconds": "s",
    "cli_overdue_peak_memory_mb": "MB",
    "pack_issue_peak_memory_mb": "MB",
}
