"""Signed checkpoints of the trail's head, kept outside the database as well as in it.

A checkpoint says "the trail's head was event #seq with this hash at this time", signed
with the audit key (HMAC). Every committed batch of events appends one line to the
checkpoint file (`QMS_AUDIT_CHECKPOINT_FILE`, an append-only file in the instance folder
by default); `qms audit checkpoint` (for cron), each issued pack and each audit report also
write one to the `audit_checkpoints` table. Whoever rewrites the database cannot rewrite
the file, cannot forge a signature without the key, and cannot recall the printed copies.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
from datetime import datetime
from functools import lru_cache
from json.encoder import encode_basestring as _quote
from pathlib import Path
from typing import NamedTuple

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from qms.audit.chain_rows import hmac_states
from qms.audit.models import GENESIS_HASH, AuditChainHead, AuditCheckpoint
from qms.audit.trail import audit_key
from qms.extensions import db
from qms.timeutil import utcnow

log = logging.getLogger("qms.audit")

CHECKPOINT = "checkpoint"
ROLLBACK_ACCEPTED = "rollback_accepted"


class Checkpoint(NamedTuple):  # a tuple: the file holds one per committed change
    kind: str
    seq: int
    hash: str
    made_at: datetime
    note: str | None
    mac: str
    # (file name, line number; negative: counted from the end), or ("", database checkpoint id)
    place: tuple[str, int]

    @property
    def where(self):
        """ "FILE line N" or "database checkpoint N" (a lazy text), for messages: made only
        for the few that are named (the file holds a line per committed change)."""
        name, number = self.place
        if name and number < 0:  # read from the end (qms audit verify --since-checkpoint)
            return _l("%(file)s, line %(n)s from the end", file=name, n=-number)
        if name:
            return _l("%(file)s line %(n)s", file=name, n=number)
        return _l("database checkpoint %(id)s", id=number)

    def signed_text(self) -> str:
        return checkpoint_text(self.kind, self.seq, self.hash, self.made_at, self.note)

    def signature_ok(self, key: bytes) -> bool:
        return hmac.compare_digest(self.mac, _sign(key, self.signed_text()))


def checkpoint_text(kind: str, seq: int, head_hash: str, made_at: datetime, note: str | None):
    return _signed_text(kind, seq, head_hash, made_at.isoformat(timespec="microseconds"), note)


def _signed_text(kind: str, seq: int, head_hash: str, stamp: str, note: str | None) -> str:
    return f"{kind}|{seq}|{head_hash}|{stamp}|{note or ''}"


def _sign(key: bytes, text: str) -> str:
    """HMAC-SHA256 of `text`, from the key's padded blocks hashed once per key (a
    verification checks a signature per line of the checkpoint file)."""
    inner, outer = key_states(key)
    mac, signed = inner.copy(), outer.copy()
    mac.update(text.encode())
    signed.update(mac.digest())
    return signed.hexdigest()


@lru_cache(maxsize=4)
def key_states(key: bytes) -> tuple:
    return hmac_states(key)


def checkpoint_file() -> Path:
    return Path(current_app.config["QMS_AUDIT_CHECKPOINT_FILE"])


class _AppendOnlyFile:
    """One O_APPEND descriptor per process and path, reopened when the file was removed or
    replaced (a write to an unlinked file would anchor nothing). Every commit asks for it:
    one stat of the path, compared with the file the descriptor was opened on."""

    def __init__(self):
        self.path: str | None = None
        self.fd: int | None = None
        self.opened: tuple[int, int] | None = None  # (st_dev, st_ino) of the file held
        # A forked process (a gunicorn worker, the verification's helper) opens its own.
        os.register_at_fork(after_in_child=self.forget)

    def descriptor(self, path: str) -> int:
        if self.fd is not None and self.path == path:
            try:
                found = os.stat(path)
                if (found.st_dev, found.st_ino) == self.opened:
                    return self.fd
            except OSError:
                pass
            self.close()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        held = os.fstat(fd)
        self.fd, self.path, self.opened = fd, path, (held.st_dev, held.st_ino)
        return fd

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
        self.fd = None

    def forget(self) -> None:
        """In a forked child: the descriptor is the parent's, left for the parent to close."""
        self.fd = None


_file = _AppendOnlyFile()


def append_to_file(path, key: bytes, kind: str, seq: int, head_hash: str, note=None):
    """One signed line, written with a single O_APPEND write (atomic between processes)."""
    data = checkpoint_line(key, kind, seq, head_hash, utcnow(), note)
    os.write(_file.descriptor(str(path)), data)


def checkpoint_line(key: bytes, kind: str, seq: int, head_hash: str, made_at, note=None):
    """One line of the checkpoint file, signed, as bytes: the compact JSON object
    {"kind", "seq", "hash", "at", "note", "mac"} in that order, as json.dumps writes it
    with ensure_ascii=False. Spelled out with the json module's own string escaping: every
    committed change writes one, after its commit (issue 11's anchoring cost)."""
    stamp = made_at.isoformat(timespec="microseconds")
    mac = _sign(key, _signed_text(kind, seq, head_hash, stamp, note))
    return (
        f'{{"kind":{_quote(kind)},"seq":{int(seq)},"hash":{_quote(head_hash)},'
        f'"at":{_quote(stamp)},"note":{"null" if note is None else _quote(note)},'
        f'"mac":"{mac}"}}\n'
    ).encode()


def current_head() -> tuple[int, str]:
    head = db.session.execute(
        select(AuditChainHead.seq, AuditChainHead.hash).where(AuditChainHead.id == 1)
    ).first()
    return (head.seq, head.hash) if head else (0, GENESIS_HASH)


def write_checkpoint(kind: str = CHECKPOINT, note: str | None = None) -> Checkpoint:
    """Anchor the current head in the database (this transaction) and in the file (now).

    The caller commits. The file line is written at once: a checkpoint of a head that is
    already committed stays true whatever happens to this transaction.
    """
    seq, head_hash = current_head()
    key = audit_key()
    made_at = utcnow()
    mac = _sign(key, checkpoint_text(kind, seq, head_hash, made_at, note))
    checkpoint_id = db.session.execute(
        insert(AuditCheckpoint)
        .values(seq=seq, hash=head_hash, made_at=made_at, kind=kind, note=note, mac=mac)
        .returning(AuditCheckpoint.id)
    ).scalar_one()
    append_to_file(checkpoint_file(), key, kind, seq, head_hash, note)
    return Checkpoint(kind, seq, head_hash, made_at, note, mac, ("", checkpoint_id))


def read_database_checkpoints() -> list[Checkpoint]:
    rows = db.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)).all()
    return [
        Checkpoint(
            r.kind,
            r.seq,
            r.hash,
            r.made_at,
            r.note,
            r.mac,
            ("", r.id),
        )
        for r in rows
    ]


@event.listens_for(Session, "after_commit")
def _anchor_committed_head(session: Session) -> None:
    """Every committed batch of events leaves its head in the checkpoint file.

    `record_event` left the head, the file and the key in the session's info, so this
    runs on the hot path without going back to the application's configuration.
    """
    head = session.info.pop("audit_head", None)
    if head is None:
        return
    seq, head_hash, path, key = head
    try:
        append_to_file(path, key, CHECKPOINT, seq, head_hash)
    except OSError as exc:  # the change is committed; say loudly that it is not anchored
        log.error("could not append to the audit checkpoint file %s: %s", path, exc)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_head(session: Session) -> None:
    session.info.pop("audit_head", None)
