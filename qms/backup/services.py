"""Online, consistent backups and restores of the whole database.

SQLite: the sqlite3 online-backup API (a consistent copy while the app keeps running).
PostgreSQL: pg_dump's custom format (one snapshot) and pg_restore.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from qms.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    pass


def _dialect() -> str:
    return db.engine.dialect.name


def _libpq_url() -> str:
    return (
        make_url(str(db.engine.url.render_as_string(hide_password=False)))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian package postgresql-client)")
    return path


def backup(target: Path) -> str:
    """Write a backup of the database to `target`; returns what kind of file it is."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if _dialect() == "sqlite":
        source = db.engine.raw_connection()
        try:
            with sqlite3.connect(target) as destination:
                source.driver_connection.backup(destination)
            destination.close()
        finally:
            source.close()
        return "SQLite database"
    result = subprocess.run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", _libpq_url()],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip().splitlines()[-1]}")
    return "PostgreSQL custom-format dump"


def restore(source: Path) -> None:
    """Replace the whole database with the backup in `source`."""
    try:
        head = source.read_bytes()[:16]
    except OSError as exc:
        raise BackupError(f"cannot read {source}: {exc.strerror}") from None
    dialect = _dialect()
    if dialect == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not a SQLite backup made by `qms backup`")
        db.session.remove()
        db.engine.dispose()
        target = db.engine.raw_connection()
        try:
            with sqlite3.connect(source) as backup_file:
                backup_file.backup(target.driver_connection)
            backup_file.close()
        finally:
            target.close()
        db.engine.dispose()
        return
    if not head.startswith(PG_MAGIC):
        raise BackupError(f"{source} is not a PostgreSQL dump made by `qms backup`")
    db.session.remove()
    db.engine.dispose()
    result = subprocess.run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq_url()}",
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip().splitlines()[-1]}")
