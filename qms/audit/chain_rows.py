"""The trail's rows as the driver returns them, and their hashes recomputed without the ORM.

Verifying a million events is mostly fetching rows and converting types: here the raw
columns are read in keyset-paged batches with the database driver's own cursor, and each
event's canonical payload is rebuilt from them exactly as `event_payload` builds it from a
loaded row (the same keys, the same JSON encoder). Nothing is trusted that the slow path
would not trust: an event whose fast hash or signature does not match is checked again
the ordinary way (qms.audit.verify), which has the last word and says what is wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from json.encoder import encode_basestring as _quote
from typing import NamedTuple

from qms.extensions import db

BATCH = 20_000

# json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")) builds this
# encoder on every call; one prebuilt encoder gives the same bytes.
canonical_json = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode

COLUMNS = (
    "seq, occurred_at, actor_id, actor_name, action, entity_type, entity_id, order_id, "
    "from_state, to_state, changes, reason, origin, origin_detail, prev_hash, hash, mac"
)


class Walk(NamedTuple):
    """How far a batch of events verified: how many passed, the last that did (seq, hash),
    and the seq of the first that did not (None when all did)."""

    checked: int
    last: tuple[int, str] | None
    failed_seq: int | None


def batches(
    from_seq: int = 0, to_seq: int | None = None, dbapi_connection=None, paramstyle=None
) -> Iterator[list[tuple]]:
    """Every event with from_seq <= seq (<= to_seq), in seq order, as raw rows in
    keyset-paged batches through the driver's cursor: on the session's own connection (so
    in its transaction), or on `dbapi_connection` (a process of its own)."""
    if dbapi_connection is None:
        connection = db.session.connection()
        paramstyle = connection.dialect.paramstyle
        dbapi_connection = connection.connection.dbapi_connection
    marker = "?" if paramstyle == "qmark" else "%s"
    upto = "" if to_seq is None else f" AND seq <= {marker}"
    query = (
        f"SELECT {COLUMNS} FROM audit_events WHERE seq >= {marker}{upto} ORDER BY seq LIMIT {BATCH}"
    )
    cursor = dbapi_connection.cursor()
    try:
        while True:
            cursor.execute(query, (from_seq,) if to_seq is None else (from_seq, to_seq))
            rows = cursor.fetchall()
            if rows:
                yield rows
            if len(rows) < BATCH:
                return
            from_seq = rows[-1][0] + 1
    finally:
        cursor.close()


def check_batch(
    rows: list[tuple],
    key: bytes,
    expected_seq: int,
    expected_prev: str | None,
    wanted: set[int],
    seen: dict[int, str],
    heads: dict[int, str],
    differing: dict[int, str],
) -> Walk:
    """Check each row's place in the chain, its hash and its MAC, in order, up to the first
    that does not pass; note the hashes of the `wanted` seqs passed on the way, and compare
    those the checkpoint file anchors (`heads`, seq -> hash): a head that differs goes to
    `differing`, and the event's hash to `seen`."""
    checked, last = 0, None
    sha256, compare, payload = hashlib.sha256, hmac.compare_digest, canonical_payload
    inner, outer = (state.copy for state in hmac_states(key))
    anchored = heads.get
    for row in rows:
        seq, prev_hash, digest, signature = row[0], row[14], row[15], row[16]
        if (
            seq != expected_seq
            or (expected_prev is not None and prev_hash != expected_prev)
            or signature is None
        ):
            return Walk(checked, last, seq)
        text = payload(row)
        if text is None or sha256((prev_hash + text).encode()).hexdigest() != digest:
            return Walk(checked, last, seq)
        mac = inner()
        mac.update(digest.encode())
        signed = outer()
        signed.update(mac.digest())
        if not compare(signature, signed.hexdigest()):
            return Walk(checked, last, seq)
        if seq in wanted:
            seen[seq] = digest
        head = anchored(seq)
        if head is not None and head != digest:
            differing[seq] = head
            seen[seq] = digest
        checked += 1
        last = (seq, digest)
        expected_seq, expected_prev = seq + 1, digest
    return Walk(checked, last, None)


_INNER = bytes(x ^ 0x36 for x in range(256))
_OUTER = bytes(x ^ 0x5C for x in range(256))


def hmac_states(key: bytes) -> tuple:
    """HMAC-SHA256 (RFC 2104) with the key's two padded blocks hashed once: each event's
    MAC is then two copies and two updates, the same bytes as `hmac.digest` at a
    fraction of its cost (it sets the key up again for every message)."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return hashlib.sha256(key.translate(_INNER)), hashlib.sha256(key.translate(_OUTER))


class _Quoted(dict):
    """JSON string literals by text, None as null: the same few actions, states, names and
    origins come back on most rows, so each is escaped once (up to a bound); anything but
    text or None raises TypeError as the encoder would."""

    def __missing__(self, value):
        literal = _quote(value)
        if len(self) < 10_000:
            self[value] = literal
        return literal


_NULL = "null"
_quoted = _Quoted({None: _NULL})
_int = int.__repr__  # the text of an int, and a TypeError for anything else (text, float)
_decode = json.JSONDecoder().decode


def canonical_payload(row: tuple) -> str | None:
    """`canonical_json(event_payload(event))` written from the raw columns (COLUMNS): the
    keys in sorted order, strings escaped by the json module's own C function. None when
    a value is not of a type this handles (the caller then checks the event the ordinary
    way). Written out in one expression: this runs once per event of the walk."""
    (seq, occurred_at, actor_id, actor_name, action, entity_type, entity_id, order_id) = row[:8]
    from_state, to_state, changes, reason, origin, origin_detail = row[8:14]
    q = _quoted
    try:  # a column holding another type than the ORM would read: TypeError
        if changes is None or changes == "{}" or changes == {}:
            changes = "{}"
        else:
            changes = canonical_json(_object(_decode(changes) if type(changes) is str else changes))
        if type(occurred_at) is str and len(occurred_at) == 26 and occurred_at[10] == " ":
            stamp = f"{occurred_at[:10]}T{occurred_at[11:]}+00:00"  # SQLite's stored text
        else:
            stamp = _stamp(occurred_at)
        tail = "" if origin is None else f',"origin":{q[origin]},"origin_detail":{q[origin_detail]}'
        return (
            f'{{"action":{q[action]},"actor_id":{_NULL if actor_id is None else _int(actor_id)},'
            f'"actor_name":{q[actor_name]},"changes":{changes},'
            f'"entity_id":{_NULL if entity_id is None else _int(entity_id)},'
            f'"entity_type":{q[entity_type]},"from_state":{q[from_state]},'
            f'"occurred_at":"{stamp}",'
            f'"order_id":{_NULL if order_id is None else _int(order_id)}{tail},'
            f'"reason":{q[reason]},"seq":{_int(seq)},"to_state":{q[to_state]}}}'
        )
    except (TypeError, ValueError):
        return None


def _object(value) -> dict:
    if type(value) is not dict:
        raise TypeError(value)
    return value


def _stamp(value) -> str:
    """occurred_at as `event_payload` writes it: the aware UTC isoformat, microseconds."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value.isoformat(timespec="microseconds") + "+00:00"
