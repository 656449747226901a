"""Which Python `make` builds the virtual environment with: the distribution's own when it
is recent enough (Debian's is built with profile-guided and link-time optimisation, and
qms runs faster on it), else the first python3 on PATH; PYTHON=... always wins."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _chosen(*settings: str) -> str:
    """The interpreter `make` would make .venv with, given these variable settings."""
    shown = subprocess.run(
        ["make", "-s", "-C", str(ROOT), *settings, "--eval", "shown: ; @echo $(PYTHON)", "shown"],
        capture_output=True,
        text=True,
        check=True,
    )
    return shown.stdout.strip()


def _pretending(tmp_path: Path, version: tuple[int, int]) -> Path:
    """A stand-in for the distribution's python3 that says it is `version`."""
    fake = tmp_path / "python3"
    fake.write_text(
        "#!/bin/sh\n"
        f'exec "{sys.executable}" -c '
        f'"import sys; sys.version_info = {version}; exec(sys.argv[1])" "$2"\n'
    )
    fake.chmod(0o755)
    return fake


def test_the_distributions_python_3_11_or_later_makes_the_environment():
    assert _chosen(f"SYSTEM_PYTHON={sys.executable}") == sys.executable


def test_a_distribution_python_older_than_3_11_is_passed_over_for_python3_on_path(tmp_path):
    assert _chosen(f"SYSTEM_PYTHON={_pretending(tmp_path, (3, 9))}") == "python3"
    recent = _pretending(tmp_path, (3, 12))
    assert _chosen(f"SYSTEM_PYTHON={recent}") == sys.executable


def test_without_a_distribution_python_the_first_python3_on_path_does(tmp_path):
    assert _chosen(f"SYSTEM_PYTHON={tmp_path / 'nowhere' / 'python3'}") == "python3"


def test_python_named_on_the_command_line_wins(tmp_path):
    assert _chosen("PYTHON=/opt/python3.13/bin/python3") == "/opt/python3.13/bin/python3"
