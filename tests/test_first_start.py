"""What `make run` does on a fresh machine: upgrade, load the demo once, serve."""

from __future__ import annotations

import os
import subprocess
import sys

from qms import create_app


def _qms(tmp_path, *args):
    env = {**os.environ, "QMS_INSTANCE_PATH": str(tmp_path / "instance")}
    env.pop("QMS_DATABASE_URL", None)  # the default: SQLite in the instance folder
    return subprocess.run(
        [sys.executable, "-m", "qms.cli", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_first_start_creates_the_database_loads_the_demo_once_and_serves(tmp_path, monkeypatch):
    upgrade = _qms(tmp_path, "db", "upgrade")
    assert upgrade.returncode == 0, upgrade.stderr
    first = _qms(tmp_path, "demo", "--if-empty")
    assert first.returncode == 0, first.stderr
    assert "10 order(s) added" in first.stdout
    second = _qms(tmp_path, "demo", "--if-empty")
    assert "already has orders" in second.stdout

    assert (tmp_path / "instance" / "qms.sqlite").exists()
    assert (tmp_path / "instance" / "secret_key").exists()
    monkeypatch.setenv("QMS_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("QMS_DATABASE_URL", raising=False)
    app = create_app({"WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.get("/").status_code == 302  # to the login page
    login = client.post("/login", data={"username": "manager", "password": "manager-demo"})
    assert login.status_code == 302
    page = client.get("/orders")
    assert page.status_code == 200
    assert "Распределение запросов к электронному каталогу" in page.get_data(as_text=True)
    assert client.get("/healthz").get_json() == {
        "status": "ok",
        "database": "reachable",
        "migrations": "current",
        "writable": True,
    }
    with app.app_context():
        from qms.extensions import db

        assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(db.text("PRAGMA foreign_keys")).scalar() == 1
