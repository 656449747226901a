"""Fixtures: a real database per test, made by copying one migrated template.

SQLite by default. With QMS_DATABASE_URL pointing at PostgreSQL, each test gets its own
database cloned from a migrated template database on that server.
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
USE_POSTGRES = BASE_URL.startswith("postgresql")
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


def _admin(statement: str) -> None:
    """Run one statement on the server's maintenance database (CREATE/DROP DATABASE)."""
    url = make_url(BASE_URL).set(database="postgres")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def template_database(tmp_path_factory):
    """A database migrated once per run, which each test copies."""
    folder = tmp_path_factory.mktemp("template")
    os.environ["QMS_INSTANCE_PATH"] = str(folder / "instance")
    if USE_POSTGRES:
        name = f"qms_template_{uuid.uuid4().hex[:8]}"
        _admin(f'CREATE DATABASE "{name}"')
        url = make_url(BASE_URL).set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{folder / 'template.sqlite'}"
    app = create_app(_config(url, folder))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    if USE_POSTGRES:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(template_database, tmp_path):
    if USE_POSTGRES:
        template = make_url(template_database).database
        name = f"qms_test_{uuid.uuid4().hex[:10]}"
        _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield make_url(BASE_URL).set(database=name).render_as_string(hide_password=False)
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path / "qms.sqlite"
        shutil.copyfile(make_url(template_database).database, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(_config(database_url, tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def insider(app, database_url):
    """A connection with full write access to the test database, as an insider with the
    database's credentials (but not the audit key) would have. The test commits."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
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
