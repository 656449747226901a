"""What anchoring the trail costs a transition: the same committed transitions with and
without the after-commit hook that appends the signed head to the checkpoint file.

One process, alternating halves of each batch (which half goes first alternates too, so
neither side always meets a warmer cache); the medians are compared. Goal (issue 11):
transitions per second with anchoring within 10% of those without (ratio >= 0.9).
"""

from __future__ import annotations

import statistics

from sqlalchemy import event
from sqlalchemy.orm import Session

from bench.common import fresh_app
from bench.transitions import _ours, _prepare
from qms.audit import anchor

BATCH = 400
ROUNDS = 8


def _unanchored(manager_id, ids) -> float:
    event.remove(Session, "after_commit", anchor._anchor_committed_head)
    try:
        return _ours(manager_id, ids)
    finally:
        event.listen(Session, "after_commit", anchor._anchor_committed_head)


def run() -> dict[str, float]:
    app = fresh_app()
    with app.app_context():
        manager_id, ids = _prepare(BATCH * ROUNDS // 2 + 100)
        _ours(manager_id, ids[:200])  # warm up
        ids = ids[200:]
        anchored, unanchored = [], []
        for round_ in range(ROUNDS):
            batch, ids = ids[:BATCH], ids[BATCH:]
            first, second = batch[: BATCH // 2], batch[BATCH // 2 :]
            if round_ % 2:
                unanchored.append(_unanchored(manager_id, first))
                anchored.append(_ours(manager_id, second))
            else:
                anchored.append(_ours(manager_id, first))
                unanchored.append(_unanchored(manager_id, second))
    with_hook, without = statistics.median(anchored), statistics.median(unanchored)
    return {
        "anchored_transitions_per_second_sqlite": with_hook,
        "unanchored_transitions_per_second_sqlite": without,
        "anchoring_ratio_sqlite": with_hook / without,
    }


UNITS = {
    "anchored_transitions_per_second_sqlite": "/s",
    "unanchored_transitions_per_second_sqlite": "/s",
    "anchoring_ratio_sqlite": "x",
}
