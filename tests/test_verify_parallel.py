"""`qms audit verify` shares the walk of a long trail between processes (issue 18): each
checks a range of the chain and the checkpoint file's lines naming it. Whatever was
tampered with, and wherever (in the parent's range, the helper's, or where they join),
the shared walk finds and names exactly what the walk in one process does."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import text

import qms.audit.parallel_walk as parallel_walk
from qms.audit.anchor import append_to_file
from qms.audit.trail import audit_key
from qms.extensions import db
from tests.factories import make_order, make_team
from tests.test_audit_trail import drop_guard, run


@pytest.fixture
def trail(app, monkeypatch):
    """A trail of some twenty events, a line each in the checkpoint file, and helpers that
    fork from two events on (a million in production); returns the head's seq."""
    team = make_team()
    for n in range(12):
        make_order(team, title=f"Заказ {n}")
        db.session.commit()
    monkeypatch.setattr(parallel_walk, "PARALLEL_FROM", 2)
    forks = []
    fork = os.fork

    def counted_fork():
        forks.append(1)
        return fork()

    monkeypatch.setattr(parallel_walk.os, "fork", counted_fork)
    head = db.session.execute(text("SELECT seq FROM audit_chain_head")).scalar_one()
    return head, forks


def both_ways(runner, forks) -> tuple[int, str]:
    """The exit code and report of the walk shared by two processes, checked to be exactly
    those of the walk in one."""
    db.session.rollback()
    alone = runner.invoke(args=["audit", "verify", "--skip-data", "--processes", "1"])
    assert not forks
    shared = runner.invoke(args=["audit", "verify", "--skip-data", "--processes", "2"])
    assert forks == [1], "the walk was not shared"
    forks.clear()
    assert (shared.exit_code, shared.output) == (alone.exit_code, alone.output)
    return shared.exit_code, shared.output


def test_an_intact_trail_is_verified_the_same_shared(trail, app, runner):
    head, forks = trail
    lines = Path(app.config["QMS_AUDIT_CHECKPOINT_FILE"]).read_text().splitlines()
    code, output = both_ways(runner, forks)
    assert code == 0, output
    assert f"chain: {head} events verified" in output
    assert f"checkpoints: {len(lines)} compared" in output  # a line per commit


def test_an_event_altered_in_the_helpers_range_is_named(trail, insider, runner):
    head, forks = trail
    altered = head - 2  # the helper walks the upper half
    drop_guard(insider, "audit_events", "update")
    run(insider, "UPDATE audit_events SET reason = 'rewritten' WHERE seq = :s", s=altered)
    code, output = both_ways(runner, forks)
    assert code == 1
    assert f"event #{altered} " in output and "its content does not match its hash" in output


@pytest.mark.parametrize("side", [0, 1], ids=["parents-last", "helpers-first"])
def test_an_event_removed_where_the_ranges_join_is_named(trail, insider, runner, side):
    head, forks = trail
    removed = head // 2 + side  # the parent walks up to head // 2
    drop_guard(insider, "audit_events", "delete")
    run(insider, "DELETE FROM audit_events WHERE seq = :s", s=removed)
    code, output = both_ways(runner, forks)
    assert code == 1
    assert f"event #{removed} is missing" in output


def test_lines_of_the_helpers_range_that_disagree_are_named(trail, app, runner):
    """Signed with the key yet naming another hash, beyond the end, or forged; and lines
    out of order (the helper reads the file's end, they name the parent's events)."""
    head, forks = trail
    path = Path(app.config["QMS_AUDIT_CHECKPOINT_FILE"])
    hashes = dict(db.session.execute(text("SELECT seq, hash FROM audit_events")).all())
    append_to_file(path, audit_key(), "checkpoint", 3, "2" * 64)  # wrong, out of order
    append_to_file(path, audit_key(), "checkpoint", 4, hashes[4])  # right, out of order
    kept = [line for line in path.read_text().splitlines() if json.loads(line)["seq"] != head - 1]
    path.write_text("\n".join(kept) + "\n")  # the only line naming #head-1 will be wrong
    append_to_file(path, audit_key(), "checkpoint", head - 1, "0" * 64)
    append_to_file(path, audit_key(), "checkpoint", head + 4, "1" * 64)
    last = json.loads(path.read_text().splitlines()[-1])
    with path.open("a") as file:
        file.write(json.dumps(last | {"seq": head - 3}) + "\n")  # its MAC no longer matches
    code, output = both_ways(runner, forks)
    assert code == 1
    assert f"event #{head - 1} is not the one checkpoint" in output
    assert f"checkpoint #{head + 4} " in output and "beyond the end of the trail" in output
    assert f"(head #{head - 3}) has a signature that does not match" in output
    assert "event #3 is not the one checkpoint" in output and "event #4 " not in output


def test_a_helper_that_cannot_start_leaves_its_range_to_the_parent(trail, runner, monkeypatch):
    """No process to spare (fork fails): the same report, the parent walking it all."""
    head, _ = trail

    def no_fork():
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(parallel_walk.os, "fork", no_fork)
    alone = runner.invoke(args=["audit", "verify", "--skip-data", "--processes", "1"])
    shared = runner.invoke(args=["audit", "verify", "--skip-data", "--processes", "2"])
    assert (shared.exit_code, shared.output) == (alone.exit_code, alone.output)
    assert shared.exit_code == 0 and f"chain: {head} events verified" in shared.output


def test_the_data_checked_while_the_helper_walks_says_what_it_says_alone(trail, insider, runner):
    """The parent checks the data against the trail while the helper still walks its range:
    an order jumped in SQL is named once, exactly as by the verification in one process."""
    _head, forks = trail
    run(insider, "UPDATE orders SET state = 'closed' WHERE id = (SELECT min(id) FROM orders)")
    db.session.rollback()
    alone = runner.invoke(args=["audit", "verify", "--processes", "1"])
    assert not forks
    shared = runner.invoke(args=["audit", "verify", "--processes", "2"])
    assert forks == [1], "the walk was not shared"
    assert (shared.exit_code, shared.output) == (alone.exit_code, alone.output)
    assert shared.exit_code == 1
    assert shared.output.count("but the trail's last transition") == 1, shared.output
    assert "data against the trail: 12 orders" in shared.output
