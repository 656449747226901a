"""Python run in a process of its own, from the project's root, on a fresh SQLite database
and instance folder in tmp_path: what a command or a worker starts with."""

from __future__ import annotations

import os
import subprocess
import sys

from qms.config import PROJECT_ROOT


def run_python(tmp_path, script: str, *, check: bool = False) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "QMS_DATABASE_URL": f"sqlite:///{tmp_path / 'qms.sqlite'}",
        "QMS_INSTANCE_PATH": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=check,
    )
