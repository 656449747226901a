"""`make bench`: run every benchmark, print `name: value unit`, write bench/results.json."""

from __future__ import annotations

import importlib
import json
import platform
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.common import SCRATCH

BENCHMARKS = [
    "transitions",
    "anchoring",
    "verify_trail",
    "trace_matrix",
    "startup",
    "serving_ratio",
    "pages",
    "pack_render",
    "pages_large",  # the slowest (about four minutes, most of it building the data): last
]


def main() -> int:
    if len(sys.argv) == 3:  # one benchmark, in the process of its own that main() started
        return _run_one(sys.argv[1], Path(sys.argv[2]))
    results = {}
    for module_name in BENCHMARKS:
        units = importlib.import_module(f"bench.{module_name}").UNITS
        for name, value in _run_alone(module_name).items():
            unit = units.get(name, "")
            results[name] = {"value": round(value, 4), "unit": unit}
            print(f"{name}: {value:.4g} {unit}", flush=True)
    out = Path(__file__).parent / "results.json"
    out.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "python": sys.version.split()[0],
                # the build matters too (an optimised distribution build, or a plain one)
                "python_executable": str(Path(sys.executable).resolve()),
                "machine": platform.machine(),
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written {out}")
    return 0


def _run_alone(module_name: str) -> dict[str, float]:
    """Each benchmark in a fresh process, as each command and each server worker is: what
    one leaves behind (a million events verified, a pack's fonts) must not be on the heap
    that the collector scans during the next one's samples."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "results.json"
        subprocess.run([sys.executable, "-m", "bench", module_name, str(out)], check=True)
        return json.loads(out.read_text())


def _run_one(module_name: str, out: Path) -> int:
    module = importlib.import_module(f"bench.{module_name}")
    try:
        out.write_text(json.dumps(module.run()))
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
