from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from qms.auth.users import acting_user
from qms.extensions import db
from qms.orders.services import get_order

EXIT_INVALID = 1
EXIT_SUPERSEDED = 3


class PackGroup(click.Group):
    """`qms pack NUMBER -o FILE` issues; `qms pack verify FILE` checks a pack file."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["issue", *args]
        return super().parse_args(ctx, args)


@click.group("pack", cls=PackGroup)
def pack() -> None:
    """Issue an order's contract pack (`qms pack NUMBER -o FILE.pdf`), or verify one."""


@pack.command("issue")
@click.argument("number")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    required=True,
    help="Where to write the PDF.",
)
@click.option("--as", "username", default=None, help="Who issues it (recorded in the audit trail).")
def issue(number: str, output: str, username: str | None) -> None:
    """Write the contract pack of order NUMBER (issuing a new revision if it changed)."""
    from qms.packs.services import issue_pack  # every command starts without WeasyPrint

    actor = acting_user(username) if username else None
    order = get_order(number)
    issued, is_new = issue_pack(order, actor)
    db.session.commit()
    try:
        Path(output).write_bytes(issued.pdf)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
    state = "issued" if is_new else "unchanged, re-sent"
    click.echo(
        f"{order.number}: contract pack revision {issued.revision} ({state}), "
        f"{issued.pages} pages, SHA-256 {issued.pdf_sha256} -> {output}"
    )


@pack.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def verify(file: str) -> None:
    """Check a pack PDF: its signature, that it is unchanged, its manifest against this
    database, and whether a newer revision superseded it. Exit 0 when valid and current,
    1 when not valid, 3 when valid but superseded."""
    from qms.packs.verify import verify_pack

    result = verify_pack(Path(file).read_bytes())
    what = f"order {result.order}, pack revision {result.revision}" if result.order else file
    if result.signed_by:
        click.echo(f"signed by: {result.signed_by}")
    for note in result.notes:
        click.echo(f"note: {note}")
    if not result.valid:
        for problem in result.problems:
            click.echo(f"NOT VALID: {problem}", err=True)
        raise click.exceptions.Exit(EXIT_INVALID)
    if result.superseded_by:
        click.echo(
            f"SUPERSEDED: {what} is authentic, but revision {result.superseded_by} replaces it",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_SUPERSEDED)
    click.echo(f"valid: {what} is signed, unchanged, and the current revision in this database")


@click.group("keys")
def keys() -> None:
    """The key and certificate that sign contract packs."""


@keys.command("init")
@click.option("--force", is_flag=True, help="Replace existing files.")
def keys_init(force: bool) -> None:
    """Make a self-signed trial key and certificate at QMS_PACK_SIGNING_KEY/_CERT."""
    from qms.packs.signing import make_trial_certificate, signing_identity

    config = current_app.config
    key_path, cert_path = (
        Path(config["QMS_PACK_SIGNING_KEY"]),
        Path(config["QMS_PACK_SIGNING_CERT"]),
    )
    if (key_path.exists() or cert_path.exists()) and not force:
        raise click.ClickException(f"{key_path} or {cert_path} exists; --force replaces them")
    make_trial_certificate(key_path, cert_path, config["QMS_ORGANISATION"])
    identity = signing_identity()
    click.echo(f"made {key_path} (mode 0600) and {cert_path}")
    click.echo(f"certificate: {identity.subject}")
    click.echo(f"SHA-256: {identity.fingerprint}")
    click.secho(
        "This is a TRIAL certificate: packs signed with it say so. For real use, configure "
        "your organisation's PKCS#12 file or PEM key and certificate (see the README).",
        fg="yellow",
        err=True,
    )
