"""The full verification's walk shared between processes: each checks a range of the chain.

Each event's hash and MAC depend on that event's row alone (its stored link to the
previous event is compared, not recomputed), so a range can be checked anywhere: a forked
process walks its events on a database connection of its own, then hands back what the
parent needs to join the ranges (the link at its start, its last event) and what it
found. The file is shared out by stretches: each process reads the lines of its stretch
(written in commit order, they mostly name its range) and hands back those naming other
events (strays) to be compared. The parent trusts a range only if it joins on exactly and
passed entirely; anything else, it walks again itself, the ordinary way, which decides
and names the problem. Used by `qms audit verify`, a process of its own; a web worker
verifies in one process (forking a threaded server is unsafe).
"""

from __future__ import annotations

import os
import pickle
import signal
from pathlib import Path
from typing import NamedTuple

from qms.audit.chain_rows import batches, check_batch
from qms.audit.checkpoint_file import AnchoredHeads, read_anchored_heads
from qms.extensions import db

# Below this many events one process is about as quick: a helper's start (its fork, its
# connection, the bisection of the file) is not worth the seconds it would save.
PARALLEL_FROM = 200_000


class RangeWalk(NamedTuple):
    """What a process found in its range (all of it picklable, none of it trusted blindly)."""

    first: tuple[int, str] | None  # (seq, stored link) of the range's first event
    checked: int
    last: tuple[int, str] | None  # the last event that passed (seq, hash)
    failed: bool  # an event did not pass: the parent walks the range again
    seen: dict[int, str]  # hashes of the wanted seqs
    differing: dict[int, str]  # seq -> the head a file line gave it, where that differs
    unwalked: dict[int, str]  # the range's file heads beyond its last event
    file: AnchoredHeads  # its stretch of the file (heads left out: compared here)


def default_processes() -> int:
    """The CPUs this process may run on, at most 4: each helper holds a database connection
    of its own, and past that the parent's own part (joining, the data check) dominates."""
    return max(1, min(4, len(os.sched_getaffinity(0))))


def split(head_seq: int, processes: int) -> list[tuple[int, int]]:
    """[(1, b1), (b1 + 1, b2), ... (bk + 1, head_seq)]: one range per process, or a single
    range when the trail is too short to share."""
    if processes < 2 or head_seq < PARALLEL_FROM:
        return [(1, head_seq)]
    step = head_seq // processes
    bounds = [step * i for i in range(processes)] + [head_seq]
    return [(bounds[i] + 1, bounds[i + 1]) for i in range(processes)]


class Helpers:
    """Forked processes walking the ranges after the first; those not collected are
    stopped on exit."""

    def __init__(self, ranges, stretches, key: bytes, path: Path, wanted: set[int]):
        """ranges: (low, high) seqs; stretches: (start, stop) bytes of the file, each."""
        self.ranges, self.stretches = ranges, stretches
        self.key, self.path, self.wanted = key, path, wanted
        self.running: list[tuple[int, int]] = []  # (pid, read end of its pipe)

    def __enter__(self) -> Helpers:
        for (low, high), stretch in zip(self.ranges, self.stretches, strict=True):
            read_end, write_end = os.pipe()
            try:
                pid = os.fork()
            except OSError:  # no more processes: the parent walks from this range on
                os.close(read_end)
                os.close(write_end)
                break
            if pid == 0:  # the helper: never returns
                os.close(read_end)
                self._serve(write_end, low, high, stretch)
            os.close(write_end)
            self.running.append((pid, read_end))
        return self

    def results(self):
        """Each range's RangeWalk in order; None for one whose process failed or could not
        be started (then the parent walks it)."""
        for _ in self.ranges:
            if not self.running:
                yield None
                continue
            pid, read_end = self.running.pop(0)
            chunks = []
            while chunk := os.read(read_end, 1 << 20):
                chunks.append(chunk)
            os.close(read_end)
            _, status = os.waitpid(pid, 0)
            try:
                outcome = pickle.loads(b"".join(chunks)) if status == 0 else None
            except Exception:
                outcome = None
            yield outcome if isinstance(outcome, RangeWalk) else None

    def __exit__(self, *exc) -> None:
        for pid, read_end in self.running:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read_end)
        self.running = []

    def _serve(self, write_end: int, low: int, high: int, stretch) -> None:
        status = 1
        try:
            data = pickle.dumps(self._walk(low, high, stretch))
            view = memoryview(data)
            while view:
                view = view[os.write(write_end, view) :]
            status = 0
        finally:
            os._exit(status)  # neither the parent's exit handlers nor its connections

    def _walk(self, low: int, high: int, stretch) -> RangeWalk:
        # The parent's connections are its own: this process opens one of its own.
        db.engine.dispose(close=False)
        connection = db.engine.raw_connection()
        anchored = read_anchored_heads(self.path, self.key, low, high, *stretch)
        wanted = self.wanted | {c.seq for c in anchored.others}
        seen: dict[int, str] = {}
        differing: dict[int, str] = {}
        first = last = None
        checked, expected_seq, expected_prev, failed = 0, low, None, False
        rows_of = batches(low, high, connection.driver_connection, db.engine.dialect.paramstyle)
        for rows in rows_of:
            first = first or (rows[0][0], rows[0][14])
            walk = check_batch(
                rows, self.key, expected_seq, expected_prev, wanted, seen, anchored.heads, differing
            )
            checked += walk.checked
            if walk.last is not None:
                last = walk.last
                expected_seq, expected_prev = last[0] + 1, last[1]
            if walk.failed_seq is not None:
                failed = True
                break
        end = last[0] if last else low - 1
        unwalked = {seq: h for seq, h in anchored.heads.items() if seq > end}
        file = anchored._replace(heads={})
        return RangeWalk(first, checked, last, failed, seen, differing, unwalked, file)
