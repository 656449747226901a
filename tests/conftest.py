"""Fixtures: a real database per test, made by copying one migrated template.

SQLite by default. With QMS_DATABASE_URL pointing at PostgreSQL, each test gets its own
database cloned from a migrated template database on that server. With
QMS_DATABASE_OWNER_URL as well (tools/test-postgres.sh), the owner role creates, migrates
and clones the databases and grants the application role its privileges; the app
connects as the application role, and the `insider` as the owner.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from qms import create_app
from qms.cli import cli
from qms.extensions import db

BASE_URL = os.environ.get("QMS_DATABASE_URL", "")
# Taken out of the environment: the suite gives it to each test's app for that test's
# database, and a `qms` command a test starts must not migrate the server's as the owner.
OWNER_URL = os.environ.pop("QMS_DATABASE_OWNER_URL", "")
USE_POSTGRES = BASE_URL.startswith("postgresql")
TWO_ROLES = USE_POSTGRES and bool(OWNER_URL)
FAST_HASH = "pbkdf2:sha256:1000"  # real hashing, just quick enough for a test suite


def _config(url: str, instance: Path, **extra) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "QMS_PASSWORD_HASH_METHOD": FAST_HASH,
        "SECRET_KEY": "test",
        # Each test's trail is anchored in its own file, as each installation's is.
        "QMS_AUDIT_CHECKPOINT_FILE": str(instance / "audit-checkpoints.log"),
        **extra,
    }


def _on(server_url: str, database: str) -> str:
    return make_url(server_url).set(database=database).render_as_string(hide_password=False)


def _owner_url(database: str) -> str | None:
    """The owner role's URL for one database; None with a single role."""
    return _on(OWNER_URL, database) if TWO_ROLES else None


def _admin(statement: str) -> None:
    """Run one statement on the server's maintenance database (CREATE/DROP DATABASE), as the
    owner role when there is one: the databases are the owner's."""
    url = make_url(OWNER_URL if TWO_ROLES else BASE_URL).set(database="postgres")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def _drop_database(name: str) -> None:
    # Not WITH (FORCE) with two roles: the owner may not end the application role's
    # sessions, and FORCE refuses even those just closing, which a plain DROP waits for.
    force = "" if TWO_ROLES else " WITH (FORCE)"
    _admin(f'DROP DATABASE IF EXISTS "{name}"{force}')


@pytest.fixture(scope="session")
def template_database(tmp_path_factory):
    """A database migrated once per run, which each test copies."""
    folder = tmp_path_factory.mktemp("template")
    os.environ["QMS_INSTANCE_PATH"] = str(folder / "instance")
    if USE_POSTGRES:
        name = f"qms_template_{uuid.uuid4().hex[:8]}"
        _admin(f'CREATE DATABASE "{name}"')
        url, owner_url = _on(BASE_URL, name), _owner_url(name)
    else:
        url, owner_url = f"sqlite:///{folder / 'template.sqlite'}", None
    # Migrated as the owner, which then grants the application role its privileges; the
    # grants are part of the template, so every clone has them.
    app = create_app(_config(url, folder, QMS_DATABASE_OWNER_URL=owner_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    if USE_POSTGRES:
        _drop_database(name)


@pytest.fixture
def database_url(template_database, tmp_path):
    if USE_POSTGRES:
        template = make_url(template_database).database
        name = f"qms_test_{uuid.uuid4().hex[:10]}"
        _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield _on(BASE_URL, name)
        _drop_database(name)
    else:
        path = tmp_path / "qms.sqlite"
        shutil.copyfile(make_url(template_database).database, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def owner_database_url(database_url):
    """The test database as its owner role sees it: the same URL with a single role."""
    if TWO_ROLES:
        return _owner_url(make_url(database_url).database)
    return database_url


@pytest.fixture
def app(database_url, owner_database_url, tmp_path):
    # The app connects as the application role; its migrations (flask_migrate's
    # upgrade/downgrade in a test) run as the owner, as `qms db upgrade` does.
    owner_url = owner_database_url if TWO_ROLES else None
    app = create_app(_config(database_url, tmp_path, QMS_DATABASE_OWNER_URL=owner_url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def insider(app, owner_database_url):
    """A connection with full write access to the test database, as an insider with the
    database's credentials (but not the audit key) would have: on PostgreSQL the owner
    role's, the only one that can alter tables and their triggers. The test commits."""
    engine = sa.create_engine(owner_database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


class QmsRunner:
    """Runs the real `qms` command group (with its error handling) against the test app."""

    def __init__(self, app):
        self._runner = app.test_cli_runner()

    def invoke(self, args, **kwargs):
        return self._runner.invoke(cli, args=args, **kwargs)


@pytest.fixture
def runner(app):
    return QmsRunner(app)


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (its own `g` and database session), as in
    production, even though the test itself holds an app context open."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = FreshContextClient
    return app.test_client()
