"""`make bench`: run every benchmark, print `name: value unit`, write bench/results.json."""

from __future__ import annotations

import json
import platform
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import (
    anchoring,
    pack_render,
    pages,
    pages_large,
    serving_ratio,
    startup,
    trace_matrix,
    transitions,
    verify_trail,
)
from bench.common import SCRATCH

BENCHMARKS = [
    transitions,
    anchoring,
    verify_trail,
    trace_matrix,
    startup,
    serving_ratio,
    pages,
    pack_render,
    pages_large,  # the slowest (about four minutes, most of it building the data): last
]


def main() -> int:
    results = {}
    try:
        for module in BENCHMARKS:
            for name, value in module.run().items():
                unit = module.UNITS.get(name, "")
                results[name] = {"value": round(value, 4), "unit": unit}
                print(f"{name}: {value:.4g} {unit}", flush=True)
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)
    out = Path(__file__).parent / "results.json"
    out.write_text(
        json.dumps(
            {
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "python": sys.version.split()[0],
                "machine": platform.machine(),
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
