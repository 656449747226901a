"""Online, consistent backups and restores of the whole database.

SQLite: the sqlite3 online-backup API (a consistent copy while the app keeps running).
PostgreSQL: pg_dump's custom format (one snapshot) and pg_restore. The application's
role can read everything, so it makes the dump; only the tables' owner may drop and
recreate them, so the restore runs as QMS_DATABASE_OWNER_URL when that is set, and then
grants the application role its privileges again (the dump's own grants are not used).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from qms.database_roles import grant_application_role, migration_engine, owner_url
from qms.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    pass


def _dialect() -> str:
    return db.engine.dialect.name


def _libpq_url(url: str | None = None) -> str:
    """`url` (by default the application's) as the PostgreSQL tools take it."""
    url = url or db.engine.url.render_as_string(hide_password=False)
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _first_error(stderr: str) -> str:
    """The line that says what went wrong (pg_restore ends with the failed command)."""
    lines = stderr.strip().splitlines() or ["no message"]
    return next((line for line in lines if "error:" in line), lines[-1])


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
        raise BackupError(f"pg_dump failed: {_first_error(result.stderr)}")
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
    owner = owner_url()
    db.session.remove()
    db.engine.dispose()
    result = subprocess.run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            # With two roles the grants come from qms/database_roles.py, not from the
            # dump, which names the roles of wherever it was made.
            *(["--no-acl"] if owner else []),
            "--single-transaction",  # all or nothing: a refused restore changes nothing
            f"--dbname={_libpq_url(owner)}",
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        error = _first_error(result.stderr)
        if owner is None and ("must be owner" in error or "permission denied" in error):
            raise BackupError(
                "restoring needs the role that owns the tables: set QMS_DATABASE_OWNER_URL "
                "(the application's role may not drop and recreate them)"
            )
        raise BackupError(f"pg_restore failed: {error}")
    if owner:
        engine = migration_engine(db.engine)
        with engine.begin() as connection:
            grant_application_role(connection)
        engine.dispose()
