"""A serving process and Python's cyclic garbage collector."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Called once the app is built: what starting allocated (modules, classes, mappers,
    the catalogue, the app) lives as long as the process. Left in sight, the collector's
    full passes scan all of it during whichever request happens to trigger one: 50 to
    90 ms each at 1,000,000 orders, a few in every hundred requests, the pages' p95. Frozen
    out of its sight (gc.freeze, after one last collection of what starting left as
    garbage), a full pass scans only what requests have left since: 7 to 15 ms
    (bench/pages_large.py, timed with gc.callbacks)."""
    gc.collect()
    gc.freeze()
