from __future__ import annotations

from pathlib import Path

import click
from flask_babel import gettext as _

from qms.audit.verify import verify_trail
from qms.backup.services import BackupError, backup, restore


@click.command("backup")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="The backup file to write.",
)
def backup_command(output: str) -> None:
    """Back up the whole database, online and consistent."""
    try:
        kind = backup(Path(output))
    except (BackupError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    size = Path(output).stat().st_size
    click.echo(
        _("backup written: %(file)s (%(kind)s, %(size)s bytes)", file=output, kind=kind, size=size)
    )


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="Confirm: the current database is replaced.")
def restore_command(source: str, yes: bool) -> None:
    """Replace the whole database with a backup made by `qms backup`."""
    if not yes:
        raise click.ClickException("restoring replaces the whole database; add --yes to do it")
    try:
        restore(Path(source))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    result = verify_trail()
    click.echo(_("restored from %(file)s", file=source))
    click.echo(result.summary())
    if not result.intact:
        if all(f.kind == "rollback" for f in result.findings):
            raise click.ClickException(
                "the restored trail ends before checkpoints made since this backup: the events "
                "after it are lost. If this restore is deliberate, record it with "
                '`qms audit accept-rollback --reason "..."`'
            )
        raise click.ClickException("the restored audit trail does not verify")
