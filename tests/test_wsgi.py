"""wsgi.py, what each gunicorn worker imports: the app, and the heap it starts with frozen
out of the cyclic collector's sight (qms.heap), so that a full collection during a request
scans what requests left, not every module, class and mapper (issue 18: the pages' p95)."""

from __future__ import annotations

import json

from tests.processes import run_python

WORKER = """
import gc, json
import wsgi
print(json.dumps({
    "app": wsgi.app.name,
    "frozen": gc.get_freeze_count(),
    "in_sight": len(gc.get_objects()),
    "collecting": gc.isenabled(),
}))
"""


def test_a_worker_starts_with_its_app_frozen_out_of_the_collectors_sight(tmp_path):
    worker = run_python(tmp_path, WORKER, check=True)
    started = json.loads(worker.stdout.splitlines()[-1])
    assert started["app"] == "qms"
    assert started["collecting"]  # what requests allocate is still collected
    # The modules, classes and mappers (some hundred thousand objects) are frozen; a few
    # hundred allocated since are all a full collection would scan.
    assert started["frozen"] > 50_000
    assert started["in_sight"] < 1_000
