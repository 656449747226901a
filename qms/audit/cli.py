from __future__ import annotations

import re

import click
from flask_babel import gettext as _

from qms.audit.anchor import ROLLBACK_ACCEPTED, checkpoint_file, write_checkpoint
from qms.audit.parallel_walk import default_processes
from qms.audit.trail import record_event
from qms.audit.verify import verify_trail
from qms.extensions import db

ANCHOR = re.compile(r"^#?(\d+):([0-9a-f]{64})$")


def _anchor(ctx, param, values) -> tuple[tuple[int, str], ...]:
    anchors = []
    for value in values:
        match = ANCHOR.match(value.strip())
        if match is None:
            raise click.BadParameter(f"'{value}' is not SEQ:HASH (as printed on packs and reports)")
        anchors.append((int(match.group(1)), match.group(2)))
    return tuple(anchors)


@click.group("audit")
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
@click.option(
    "--since-checkpoint",
    is_flag=True,
    help="Walk the chain from the latest checkpoint only (quick, for cron).",
)
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    callback=_anchor,
    help="A head printed on a pack or report, as SEQ:HASH; may be repeated.",
)
@click.option("--skip-data", is_flag=True, help="Check the trail only, not the data against it.")
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes sharing the walk of a long trail (default: the CPUs, at most 4).",
)
def verify(since_checkpoint: bool, anchors, skip_data: bool, processes: int | None) -> None:
    """Verify the trail: chain, signatures, checkpoints, and the data against the trail.

    Exits 0 when everything agrees, 1 naming each disagreement.
    """
    report = verify_trail(
        since_checkpoint=since_checkpoint,
        check_data=not skip_data,
        anchors=anchors,
        processes=processes or default_processes(),
    )
    click.echo(report.summary())
    if not report.intact:
        raise click.exceptions.Exit(1)


@audit.command("checkpoint")
@click.option("--note", default=None, help="Why this checkpoint was made (optional).")
def checkpoint(note: str | None) -> None:
    """Write a signed checkpoint of the head to the database and the checkpoint file."""
    made = write_checkpoint(note=note)
    db.session.commit()
    click.echo(
        _(
            "checkpoint: head #%(seq)s %(hash)s -> the database and %(file)s",
            seq=made.seq,
            hash=made.hash,
            file=checkpoint_file(),
        )
    )


@audit.command("accept-rollback")
@click.option("--reason", required=True, help="Why the trail went back (e.g. the restore).")
def accept_rollback(reason: str) -> None:
    """After a deliberate restore: accept that the trail now ends before earlier checkpoints.

    The checkpoints beyond the restored head stay where they are and verification keeps
    naming the rollback as a note; the acceptance itself is signed and is an audit event.
    """
    if not reason.strip():
        raise click.ClickException("say why the trail was rolled back (--reason)")
    report = verify_trail(check_data=False)
    if not report.findings:
        raise click.ClickException("there is no rollback to accept: the trail verifies")
    if any(f.kind != "rollback" for f in report.findings):
        raise click.ClickException(
            "the trail has other problems than a rollback; they are not accepted:\n"
            + "\n".join(f"- {f.kind}: {f.message}" for f in report.findings)
        )
    accepted = write_checkpoint(ROLLBACK_ACCEPTED, note=reason.strip())
    record_event(
        actor=None,
        action="audit.rollback_accepted",
        entity_type="audit",
        entity_id=None,
        changes={"restored_head": accepted.seq, "findings": len(report.findings)},
        reason=reason.strip(),
    )
    db.session.commit()
    click.echo(
        _(
            "rollback to #%(seq)s accepted; it stays in the trail and in %(file)s",
            seq=accepted.seq,
            file=checkpoint_file(),
        )
    )


def _register_report() -> None:
    from qms.trace.cli import report

    audit.add_command(report)


_register_report()
