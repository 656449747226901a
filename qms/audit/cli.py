from __future__ import annotations

import click

from qms.audit.trail import verify_chain


@click.group("audit")
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
def verify() -> None:
    """Walk the hash chain; exit 0 if intact, 1 naming the first broken event."""
    result = verify_chain()
    if not result.intact:
        raise click.ClickException(result.summary())
    click.echo(result.summary())


def _register_report() -> None:
    from qms.trace.cli import report

    audit.add_command(report)


_register_report()
