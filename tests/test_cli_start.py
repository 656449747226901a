"""The command line starts light (issue 18): `qms --help` lists every command without
importing any of them, and a command that serves no page runs on an app without the web
blueprints, the API or the migrations. The real `qms` executable, in processes of its own."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest
from flask.cli import ScriptInfo

from qms.cli import LANGUAGES, cli
from qms.commands import COMMANDS, WEB_COMMANDS
from tests.processes import run_python

# Loaded only by the commands (or pages) that use them.
HEAVY = ("sqlalchemy", "flask_sqlalchemy", "flask_migrate", "alembic", "flask_smorest")
WEB = (
    *("flask_migrate", "alembic", "flask_smorest", "weasyprint", "openpyxl", "markdown"),
    *("flask_wtf", "wtforms"),  # forms and CSRF are the pages'
)
OTHER_COUNTRIES = ("holidays.countries", "holidays.countries.germany")
OTHER_DATABASES = ("sqlalchemy.dialects.postgresql", "psycopg")  # on SQLite


def _run(tmp_path, *args: str, modules: tuple[str, ...] = ()) -> subprocess.CompletedProcess:
    """`qms ARGS` on a SQLite database in tmp_path; with `modules`, the loaded modules among
    them (and every qms.*.views/qms.*.cli module) are printed last, as JSON."""
    # Printed by an exit handler: main() runs the exit handlers, then ends the process
    # without the interpreter's teardown (qms.cli._exit_without_teardown).
    script = (
        "import atexit, json, sys\n"
        "from qms.cli import main\n"
        f"sys.argv = ['qms', *{list(args)!r}]\n"
        "def report():\n"
        f"    loaded = [m for m in sys.modules if m in {modules!r}\n"
        f"              or m.split('.')[0] in {modules!r}\n"
        "              or (m.startswith('qms.') and m != 'qms.cli'\n"
        "                  and m.rsplit('.', 1)[-1] in ('views', 'cli'))]\n"
        "    print(json.dumps(sorted(loaded)))\n"
        "atexit.register(report)\n"
        "main()\n"
    )
    return run_python(tmp_path, script)


def _output(result: subprocess.CompletedProcess):
    """What the command printed as JSON (the list of loaded modules follows it)."""
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().rsplit("\n", 1)[0])


def _loaded(result: subprocess.CompletedProcess) -> list[str]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_help_lists_every_command_without_importing_any(tmp_path):
    result = _run(tmp_path, "--help", modules=HEAVY)
    assert _loaded(result) == []  # no database library, no command module
    listed = result.stdout.split("Commands:")[1]
    for name in (*COMMANDS, *WEB_COMMANDS):
        assert f"\n  {name} " in listed
    assert "Fire workflow TRIGGER on order NUMBER" in listed


def test_a_command_that_serves_no_page_starts_without_the_web(tmp_path):
    assert _run(tmp_path, "db", "upgrade").returncode == 0  # `db` gets the whole app
    result = _run(
        tmp_path, "overdue", "--format", "json", modules=(*WEB, *OTHER_COUNTRIES, *OTHER_DATABASES)
    )
    assert _loaded(result) == ["qms.workitems.cli"]
    assert _output(result) == []
    # The connections are closed at the end (the pool is frozen with the start, see
    # qms.cli.main): SQLite's write-ahead log is folded back and removed by the last one.
    assert not (tmp_path / "qms.sqlite-wal").exists()
    refused = _run(tmp_path, "overdue", "--owner", "nobody")  # its status and its words
    assert (refused.returncode, refused.stderr) == (1, "Error: no user 'nobody'\n")
    for args in (["audit", "verify"], ["workflow", "check"]):  # the light app too
        assert _run(tmp_path, *args).returncode == 0, args
    assert _output(_run(tmp_path, "--lang", "ru", "orders", "--format", "json")) == []
    routes = _run(tmp_path, "routes")  # Flask's own commands see every page
    assert "/orders" in routes.stdout and "/api/v1/" in routes.stdout, routes.stderr


def test_the_list_in_help_is_each_commands_own_summary(app):
    """COMMANDS says each command's line in `--help` without importing it; this checks it
    against the command itself, so a new or reworded command cannot drift from it."""
    ctx = click.Context(cli, obj=ScriptInfo(create_app=lambda: app))
    with ctx:
        assert set(app.cli.list_commands(ctx)) == {n for n, e in COMMANDS.items() if not e.target}
        for name, entry in COMMANDS.items():
            command = cli.get_command(ctx, name)
            assert command is not None, name
            for limit in (45, 60, 300):
                summary = click.Command(name, help=entry.summary).get_short_help_str(limit)
                assert command.get_short_help_str(limit) == summary, name


def test_the_languages_offered_are_the_catalogues():
    from qms.i18n import LANGUAGES as CATALOGUED

    assert LANGUAGES == CATALOGUED


@pytest.mark.parametrize("name", sorted(n for n, e in COMMANDS.items() if e.target))
def test_every_command_module_is_where_commands_says(name):
    module, attribute = COMMANDS[name].target.split(":")
    assert isinstance(getattr(__import__(module, fromlist=[attribute]), attribute), click.Command)


def test_the_production_calendar_loads_its_country_alone_and_the_same():
    import holidays

    script = (
        "import json, sys\n"
        "from qms.workcalendar.countries import country_holidays\n"
        "days = country_holidays('RU', years=2026, language='ru')\n"
        "print(json.dumps([sorted((d.isoformat(), n) for d, n in days.items()),\n"
        "                  'holidays.countries' in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    days, every_country_loaded = json.loads(result.stdout)
    expected = holidays.country_holidays("RU", years=2026, language="ru").items()
    assert days == [[d.isoformat(), n] for d, n in sorted(expected)]
    assert not every_country_loaded
