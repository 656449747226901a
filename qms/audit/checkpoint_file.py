"""Reading the checkpoint file back: every line a checkpoint, for the verification.

The file holds a line per committed change: a million lines on a large trail. Two readers:
`read_file_checkpoints` makes a `Checkpoint` of each line (its time parsed, its place
named) and is used where few lines are read or something must be said about them;
`read_anchored_heads` is the full verification's pass over every line, which keeps only
what the comparison with the chain needs (the head each line anchors) and checks each
line's signature on the text as written.
"""

from __future__ import annotations

import hmac
import json
import os
import re
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from qms.audit.anchor import CHECKPOINT, Checkpoint, key_states

CHUNK = 1 << 24  # the full pass reads the file in pieces of whole lines, 16 MiB each


def read_file_checkpoints(
    path: Path, tail_bytes: int | None = None
) -> tuple[list[Checkpoint], list[str]]:
    """The file's checkpoints, and a problem for each line that is not one.

    With `tail_bytes`, only the file's newest lines (its last `tail_bytes` bytes, whole
    lines) are read: lines are appended in commit order, so the newest anchors are there,
    whatever the file's length. Their places count from the end ("line 3 from the end").
    """
    checkpoints, problems = [], []
    try:
        with path.open("rb") as handle:
            if tail_bytes is None or handle.seek(0, os.SEEK_END) <= tail_bytes:
                handle.seek(0)
                for number, line in enumerate(handle, start=1):  # a line per change
                    _read_line(path.name, number, line.decode(), checkpoints, problems)
            else:
                handle.seek(-tail_bytes, os.SEEK_END)
                lines = handle.read().split(b"\n")[1:]  # the first is cut: skip it
                if lines and not lines[-1]:
                    lines.pop()
                for back, line in enumerate(reversed(lines), start=1):
                    _read_line(path.name, -back, line.decode(), checkpoints, problems)
                checkpoints.reverse()
    except FileNotFoundError:
        return [], []
    except (OSError, UnicodeDecodeError) as exc:
        return [], [_unreadable(path, exc)]
    return checkpoints, problems


class AnchoredHeads(NamedTuple):
    """What a stretch of the checkpoint file anchors, for the full verification.

    heads: seq -> hash of its ordinary checkpoint lines (no note) whose signature matches
    the text as written and whose seq is in the reader's range; strays: the same for
    seqs outside it, as (seq, hash) pairs; `lines` of both naming an event (seq > 0);
    others: every other line, read the ordinary way (rollbacks accepted, notes, a
    signature that did not match as written, two lines naming one seq with different
    hashes); bad_lines: the numbers of lines that are not checkpoints at all; error: why
    the file could not be read. All of it can be pickled (a helper process sends it).
    """

    heads: dict[int, str]
    strays: list[tuple[int, str]]
    lines: int
    others: list[Checkpoint]
    bad_lines: list[int]
    error: str | None = None


# A line exactly as append_to_file writes it when there is no note. Its fields are taken
# by position, not checked character by character: the signature, checked on the text as
# written, vouches for all of them (qms signs only what it writes this way). Any line that
# does not match, or whose signature does not, is read and checked the ordinary way.
_PLAIN = re.compile(
    r'\{"kind":"([a-z_]+)","seq":([0-9]+),"hash":"(.{64})","at":"(.{32})",'
    r'"note":null,"mac":"(.{64})"\}\n'
).match


def read_anchored_heads(
    path: Path,
    key: bytes,
    low: int = 0,
    high: int | None = None,
    start: int = 0,
    stop: int | None = None,
) -> AnchoredHeads:
    """The lines from byte `start` to `stop` (the whole file by default), each signature
    checked; heads for seqs low..high, strays for the others (see AnchoredHeads). Lines
    written after `stop` was taken name events newer than those being verified."""
    heads: dict[int, str] = {}
    strays: dict[int, str] = {}
    others: list[Checkpoint] = []
    bad_lines: list[int] = []
    lines = 0
    top = high if high is not None else float("inf")
    inner, outer = (state.copy for state in key_states(key))
    compare, plain = hmac.compare_digest, _PLAIN
    number = 0  # counted from `start`: the lines before it are counted only if needed
    try:
        for text in _pieces(path, start, stop):
            pos, end = 0, len(text)
            while pos < end:
                number += 1
                found = plain(text, pos)
                if found is not None:
                    kind, seq, head_hash, at, mac = found.groups()
                    n = int(seq)
                    signed = inner()
                    signed.update(f"{kind}|{seq}|{head_hash}|{at}|".encode())
                    outside = outer()
                    outside.update(signed.digest())
                    if (
                        kind == CHECKPOINT
                        and compare(mac, outside.hexdigest())
                        and (heads if low <= n <= top else strays).setdefault(n, head_hash)
                        == head_hash
                    ):
                        lines += n > 0  # the genesis (#0) anchors no event
                        pos = found.end()
                        continue
                cut = text.find("\n", pos) + 1 or end
                unreadable: list = []
                _read_line(path.name, number, text[pos:cut], others, unreadable)
                bad_lines += [number] if unreadable else []
                pos = cut
        if start and (others or bad_lines):  # named in findings: by their line in the file
            before = _lines_before(path, start)
            others = [c._replace(place=(path.name, c.place[1] + before)) for c in others]
            bad_lines = [n + before for n in bad_lines]
    except FileNotFoundError:
        return AnchoredHeads({}, [], 0, [], [])
    except (OSError, UnicodeDecodeError) as exc:
        return AnchoredHeads({}, [], 0, [], [], str(exc))
    return AnchoredHeads(heads, list(strays.items()), lines, others, bad_lines)


def problems_of(path: Path, anchored: AnchoredHeads) -> list:
    """What is wrong with the lines read, as the findings say it."""
    if anchored.error is not None:
        return [_unreadable(path, anchored.error)]
    return [
        _l("%(file)s line %(n)s is not a checkpoint (the file was edited)", file=path.name, n=n)
        for n in anchored.bad_lines
    ]


def region_starts(path: Path, stop: int, bounds: list[int]) -> list[int]:
    """For each seq in `bounds`, the byte where the lines naming later events begin:
    found by bisection, the file being written in commit order (lines out of order are
    read all the same, as strays, by whichever process reads their stretch)."""
    try:
        with path.open("rb") as handle:
            return [_first_line_after(handle, stop, seq) for seq in bounds]
    except OSError:
        return [stop for _ in bounds]


_SEQ = re.compile(rb'"seq":([0-9]+)')


def _first_line_after(handle, stop: int, seq: int) -> int:
    low, high = 0, stop  # both at the start of a line (or the end)
    while low < high:
        handle.seek((low + high) // 2)
        if (low + high) // 2 > low:
            handle.readline()  # to the start of the next line
        middle = handle.tell()
        if middle >= high:  # no line starts in the upper half: step through the lower
            handle.seek(low)
            while low < high:
                line = handle.readline()
                if _named(line) > seq:
                    return low
                low += len(line) or high - low
            return high
        line = handle.readline()
        if _named(line) > seq:
            high = middle
        else:
            low = middle + len(line)
    return low


def _named(line: bytes) -> int:
    found = _SEQ.search(line)
    return int(found[1]) if found else -1


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _lines_before(path: Path, offset: int) -> int:
    counted = 0
    with path.open("rb") as handle:
        while offset > 0 and (piece := handle.read(min(CHUNK, offset))):
            offset -= len(piece)
            counted += piece.count(b"\n")
    return counted


def _pieces(path: Path, start: int, stop: int | None):
    """The file's text from byte `start` to `stop`, in pieces of whole lines."""
    left = float("inf") if stop is None else stop - start
    with path.open("rb") as handle:
        handle.seek(start)
        rest = b""
        while left > 0 and (piece := handle.read(int(min(CHUNK, left)))):
            left -= len(piece)
            piece = rest + piece
            cut = piece.rfind(b"\n") + 1
            if cut:
                rest = piece[cut:]
                yield piece[:cut].decode()
            else:
                rest = piece
        if rest:
            yield rest.decode()


def _unreadable(path: Path, exc: Exception):
    return _l("the checkpoint file %(path)s cannot be read: %(why)s", path=path, why=exc)


_decode = json.JSONDecoder().decode  # json.loads, without its checks on each call
_make = Checkpoint._make

# A line without a note, exactly as append_to_file writes it, read by one pattern; the json
# module reads every other line (and would read this one to the same values).
_plain = re.compile(
    r'\{"kind":"([a-z_]+)","seq":(0|[1-9][0-9]*),"hash":"([0-9a-f]{64})",'
    r'"at":"([0-9T:.+-]+)","note":null,"mac":"([0-9a-f]{64})"\}'
).fullmatch


def _read_line(name: str, number: int, line: str, checkpoints: list, problems: list) -> None:
    line = line.rstrip("\n")
    if not line.strip():
        return
    try:
        if found := _plain(line):  # as append_to_file writes every line
            kind, seq, head_hash, at, mac = found.groups()
            note = None
        else:
            data = _decode(line)
            kind, seq, head_hash, at = data["kind"], data["seq"], data["hash"], data["at"]
            note, mac = data.get("note"), data["mac"]
        made_at = datetime.fromisoformat(at)
        place = (name, number)
        checkpoints.append(
            _make((str(kind), int(seq), str(head_hash), made_at, note, str(mac), place))
        )
    except (ValueError, KeyError, TypeError):
        problems.append(
            _l("%(file)s line %(n)s is not a checkpoint (the file was edited)", file=name, n=number)
        )
