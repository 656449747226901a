"""The checkpoint file's lines, as written: one line each, whatever a note says, read back
with the values and the signature they were written with."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from qms.audit.anchor import checkpoint_line
from qms.audit.checkpoint_file import read_anchored_heads, read_file_checkpoints

KEY = b"an audit key of thirty-two bytes"
made_at = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(
    kind=st.sampled_from(["checkpoint", "rollback_accepted"]),
    seq=st.integers(min_value=0, max_value=10**12),
    head=st.text("0123456789abcdef", min_size=64, max_size=64),
    at=made_at,
    note=st.none() | st.text(),
)
def test_a_line_is_one_json_object_that_reads_back_signed(
    tmp_path_factory, kind, seq, head, at, note
):
    line = checkpoint_line(KEY, kind, seq, head, at, note)
    assert line.endswith(b"\n") and line.count(b"\n") == 1  # one line, whatever the note holds
    written = json.loads(line)
    assert list(written) == ["kind", "seq", "hash", "at", "note", "mac"]
    assert (written["kind"], written["seq"], written["hash"], written["note"]) == (
        kind,
        seq,
        head,
        note,
    )
    path = tmp_path_factory.mktemp("checkpoints") / "audit-checkpoints.log"
    path.write_bytes(line)
    [read], problems = read_file_checkpoints(path)
    assert problems == []
    assert (read.kind, read.seq, read.hash, read.made_at, read.note) == (kind, seq, head, at, note)
    assert read.signature_ok(KEY)
    assert not read.signature_ok(b"another key, not the audit key!!")


def test_the_full_verification_reads_an_ordinary_line_by_its_fast_pattern(tmp_path):
    """A line without a note, as every commit writes one, is taken as the head it anchors
    without being read the ordinary way (which would return it among `others`)."""
    path = tmp_path / "audit-checkpoints.log"
    at = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
    path.write_bytes(
        checkpoint_line(KEY, "checkpoint", 41, "a" * 64, at)
        + checkpoint_line(KEY, "checkpoint", 42, "b" * 64, at, 'Проверка: "ок"')
    )
    anchored = read_anchored_heads(path, KEY)
    assert anchored.heads == {41: "a" * 64}
    assert [(c.seq, c.note) for c in anchored.others] == [(42, 'Проверка: "ок"')]
    assert anchored.bad_lines == []
