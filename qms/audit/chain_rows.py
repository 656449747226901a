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


def batches(from_seq: int = 0) -> Iterator[list[tuple]]:
    """Every event with seq >= from_seq, in seq order, as raw rows in keyset-paged batches,
    on the session's own connection (so in its transaction) through the driver's cursor."""
    connection = db.session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    query = f"SELECT {COLUMNS} FROM audit_events WHERE seq >= {marker} ORDER BY seq LIMIT {BATCH}"
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        while True:
            cursor.execute(query, (from_seq,))
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
) -> Walk:
    """Check each row's place in the chain, its hash and its MAC, in order, up to the first
    that does not pass; note the hashes of the `wanted` seqs passed on the way."""
    checked, last = 0, None
    sha256, mac, compare = hashlib.sha256, hmac.digest, hmac.compare_digest
    for row in rows:
        seq, prev_hash, digest, signature = row[0], row[14], row[15], row[16]
        if (
            seq != expected_seq
            or (expected_prev is not None and prev_hash != expected_prev)
            or signature is None
        ):
            return Walk(checked, last, seq)
        text = canonical_payload(row)
        if (
            text is None
            or sha256((prev_hash + text).encode()).hexdigest() != digest
            or not compare(signature, mac(key, digest.encode(), "sha256").hex())
        ):
            return Walk(checked, last, seq)
        if seq in wanted:
            seen[seq] = digest
        checked += 1
        last = (seq, digest)
        expected_seq, expected_prev = seq + 1, digest
    return Walk(checked, last, None)


_NULL = "null"


def _s(value) -> str:
    """A JSON string or null, as the canonical encoder writes it."""
    return _NULL if value is None else _quote(value)


def _n(value) -> str | None:
    return _NULL if value is None else str(value) if type(value) is int else None


def canonical_payload(row: tuple) -> str | None:
    """`canonical_json(event_payload(event))` written from the raw columns: the keys in
    sorted order, strings escaped by the json module's own C function. None when a value
    is not of a type this handles (the caller then checks the event the ordinary way)."""
    (seq, occurred_at, actor_id, actor_name, action, entity_type, entity_id, order_id) = row[:8]
    from_state, to_state, changes, reason, origin, origin_detail = row[8:14]
    if changes is None or changes == "{}" or changes == {}:
        changes = "{}"
    else:
        if isinstance(changes, str | bytes):
            changes = json.loads(changes)
        changes = canonical_json(changes) if isinstance(changes, dict) else None
    numbers = (_n(actor_id), _n(entity_id), _n(order_id), _n(seq))
    if changes is None or None in numbers:
        return None
    try:  # a text column holding something else than text: TypeError
        tail = (
            f',"origin":{_quote(origin)},"origin_detail":{_s(origin_detail)}'
            if origin is not None
            else ""
        )
        return (
            f'{{"action":{_quote(action)},"actor_id":{numbers[0]},'
            f'"actor_name":{_quote(actor_name)},"changes":{changes},"entity_id":{numbers[1]},'
            f'"entity_type":{_quote(entity_type)},"from_state":{_s(from_state)},'
            f'"occurred_at":"{_stamp(occurred_at)}","order_id":{numbers[2]}{tail},'
            f'"reason":{_s(reason)},"seq":{numbers[3]},"to_state":{_s(to_state)}}}'
        )
    except (TypeError, ValueError):
        return None


def _stamp(value) -> str:
    """occurred_at as `event_payload` writes it: the aware UTC isoformat, microseconds."""
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " ":
            return f"{value[:10]}T{value[11:]}+00:00"
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value.isoformat(timespec="microseconds") + "+00:00"
