"""A database that answers but will not write: a full disk (507) or a read-only database
(503) is named as such, in the user's language, nothing is half-saved, and /healthz
reports it. Tried for real: a SQLite file on a small tmpfs filled up (or SQLite's page
limit where mounting is not allowed), SQLite's read-only open mode, and PostgreSQL's
default_transaction_read_only and a full tablespace."""

from __future__ import annotations

import errno
import io
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from qms import create_app
from qms.audit.verify import verify_trail
from qms.customers.models import Customer
from qms.extensions import db
from qms.records.models import Attachment, Record
from tests.conftest import BASE_URL, USE_POSTGRES, FreshContextClient, QmsRunner, _admin, _config
from tests.web_helpers import build_world, login

DISK_FULL_RU = "База данных отказалась записывать: диск заполнен."
READ_ONLY_EN = "The database refused the write: it is read-only."


@pytest.fixture
def small_disk():
    """An 8 MB tmpfs, or None where mounting is not allowed (not root, no privileges).

    Made under /tmp itself (not pytest's private folder), so that PostgreSQL's own user
    can reach it for a tablespace."""
    folder = Path(tempfile.mkdtemp(prefix="qms-small-disk-"))
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=8m,mode=0755", "qms-test", str(folder)],
            capture_output=True,
        ).returncode
        == 0
    )
    try:
        yield folder if mounted else None
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        shutil.rmtree(folder, ignore_errors=True)


def _fill(folder: Path) -> Path:
    """Write a file until the file system has no room left."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 16, 1 << 12, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def _client(app, username: str) -> FreshContextClient:
    client = FreshContextClient(app, app.response_class, use_cookies=True)
    assert login(client, username).status_code == 302
    return client


def _sqlite_app(url: str, instance: Path):
    app = create_app(_config(url, instance))
    app.config["WTF_CSRF_ENABLED"] = False
    return app


@pytest.mark.skipif(USE_POSTGRES, reason="a SQLite file on a full disk")
@pytest.mark.parametrize("full", ["tmpfs", "page limit"])
def test_a_full_disk_answers_507_in_the_users_language_and_loses_nothing(
    database_url, tmp_path, small_disk, full
):
    if full == "tmpfs" and small_disk is None:
        pytest.skip("mounting a tmpfs is not allowed here; the page limit stands in")
    small_disk = small_disk if full == "tmpfs" else None
    path = Path(make_url(database_url).database)
    if small_disk is not None:
        path = Path(shutil.copyfile(path, small_disk / "qms.sqlite"))
    app = _sqlite_app(f"sqlite:///{path}", tmp_path)
    with app.app_context():
        world = build_world()
        world["team"]["manager"].language = "ru"
        db.session.commit()
        record_id, body = world["draft"].id, world["draft"].body
        if small_disk is None:  # SQLite's own limit gives the same SQLITE_FULL
            pages = db.session.execute(sa.text("PRAGMA page_count")).scalar()
            db.engine.dispose()
            event.listen(
                db.engine,
                "connect",
                lambda conn, _: conn.execute(f"PRAGMA max_page_count={pages}"),
            )
    client = _client(app, "manager")
    filler = _fill(small_disk) if small_disk is not None else None

    # A large draft needs new pages, whatever room the last ones had left.
    response = client.post(f"/records/{record_id}/edit", data={"title": "ТТ", "body": "я" * 99_000})
    assert response.status_code == 507
    page = response.get_data(as_text=True)
    assert DISK_FULL_RU in page and f'href="/records/{record_id}"' in page
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json["writable"] is False and "disk full" in health.json["problem"]

    with app.app_context():
        assert db.session.get(Record, record_id).body == body  # nothing half-saved
        assert verify_trail().intact
    if filler is not None:  # room again: the same form goes through, nothing was lost
        filler.unlink()
        response = client.post(
            f"/records/{record_id}/edit", data={"title": "ТТ", "body": "я" * 99_000}
        )
        assert response.status_code == 302
        assert client.get("/healthz").json["writable"] is True
    with app.app_context():
        db.engine.dispose()


@pytest.mark.skipif(USE_POSTGRES, reason="SQLite's read-only open mode")
def test_a_read_only_sqlite_database_answers_503_saying_so(database_url, tmp_path):
    writable = _sqlite_app(database_url, tmp_path)
    with writable.app_context():
        build_world()
        customers = db.session.scalar(select(func.count()).select_from(Customer))
    # Signing in writes (the attempt is reserved first), so the manager signed in before.
    session = _client(writable, "manager").get_cookie("session").value
    with writable.app_context():
        db.engine.dispose()
    path = make_url(database_url).database
    app = _sqlite_app(f"sqlite:///file:{path}?mode=ro&uri=true", tmp_path)
    client = FreshContextClient(app, app.response_class, use_cookies=True)
    client.set_cookie("session", session)
    refused_login = FreshContextClient(app, app.response_class, use_cookies=True)
    assert login(refused_login, "auditor").status_code == 503  # says why, changes nothing

    response = client.post("/customers/new", data={"name": "ООО «Только чтение»"})
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert READ_ONLY_EN in page and 'href="/customers"' in page
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json == {
        "status": "error",
        "database": "reachable",
        "migrations": "current",
        "writable": False,
        "problem": "the database refuses writes: read-only",
    }
    result = QmsRunner(app).invoke(["advance", "2026-0001", "accept_enquiry", "--as", "manager"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: the database refused the write: it is read-only; nothing was saved "
        "(attempt to write a readonly database)"
    ]
    with writable.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == customers
    with app.app_context():
        db.engine.dispose()


def test_a_writable_database_is_reported_writable(app, client):
    build_world()
    login(client, "auditor")
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json["writable"] is True


@pytest.mark.skipif(not USE_POSTGRES, reason="PostgreSQL's default_transaction_read_only")
def test_a_read_only_postgresql_database_answers_503_saying_so(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    build_world()
    name = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    login(client, "manager")  # signing in writes (the attempt is reserved first)
    _admin(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    db.session.remove()
    db.engine.dispose()  # the setting applies to new sessions

    response = client.post("/customers/new", data={"name": "ООО «Только чтение»"})
    assert response.status_code == 503
    assert READ_ONLY_EN in response.get_data(as_text=True)
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json["writable"] is False
    assert not db.session.scalar(select(func.count()).where(Customer.name.like("%чтение%")))


def _as_superuser(url, statement: str) -> None:
    engine = sa.create_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


def _local_postgres_user() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


@pytest.mark.skipif(not USE_POSTGRES, reason="a PostgreSQL tablespace on a full disk")
def test_a_full_postgresql_tablespace_answers_507(app, client, small_disk):
    server = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    owner = _local_postgres_user()
    if small_disk is None or owner is None or server.host not in ("127.0.0.1", "localhost"):
        pytest.skip("needs root and a PostgreSQL server on this machine")
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world()
    os.chown(small_disk, owner.pw_uid, owner.pw_gid)
    space = f"qms_small_{uuid.uuid4().hex[:8]}"
    # Tablespaces are the server administrator's (the throwaway cluster's "postgres"
    # superuser), as is moving a table onto one: neither qms role may.
    superuser = make_url(BASE_URL).set(username="postgres", password=None)
    _as_superuser(superuser, f"CREATE TABLESPACE {space} LOCATION '{small_disk}'")
    admin = superuser.set(database=server.database)
    engine = sa.create_engine(admin, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(f"ALTER TABLE blobs SET TABLESPACE {space}"))
        login(client, "engineer")
        big = b"%PDF-1.4\n" + os.urandom(9 * 1024 * 1024)  # more than the 8 MB there is
        # Encoded here, in memory: the test client would spool it to a file it never closes.
        boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(big), "scan.pdf")})
        response = client.post(
            f"/records/{world['draft'].id}/attachments",
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
        assert response.status_code == 507
        assert "The database refused the write: the disk is full." in response.get_data(
            as_text=True
        )
        assert not db.session.scalar(select(func.count()).select_from(Attachment))
    finally:
        with engine.begin() as connection:
            connection.execute(sa.text("ALTER TABLE blobs SET TABLESPACE pg_default"))
        engine.dispose()
        _as_superuser(superuser, f"DROP TABLESPACE IF EXISTS {space}")
