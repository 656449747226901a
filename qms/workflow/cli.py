from __future__ import annotations

import json

import click
from flask import current_app

from qms.catalogue import load_catalogue
from qms.workflow.export import export_workflow, workflow_text
from qms.workflow.registry import load_workflows


@click.group("workflow")
def workflow() -> None:
    """Workflow definitions (workflows/*.yaml)."""


def _load(directory: str | None):
    catalogue = load_catalogue(current_app.config["QMS_STANDARDS_DIR"])
    return catalogue, load_workflows(
        directory or current_app.config["QMS_WORKFLOWS_DIR"], catalogue
    )


@workflow.command("check")
@click.option("--dir", "directory", default=None, help="Check this folder instead.")
def check(directory: str | None) -> None:
    """Validate every workflow file against the standards catalogue."""
    catalogue, registry = _load(directory)
    for (name, version), definition in sorted(registry.by_version.items()):
        carried = {step for state in definition.states.values() for step in state.steps}
        coverage = (
            f"carries out all {len(catalogue.steps)} process-map steps"
            if carried >= set(catalogue.steps)
            else f"carries out {len(carried)} steps"
        )
        click.echo(
            f"ok  {name} v{version} ({definition.source}): {len(definition.states)} "
            f"states, {len(definition.transitions)} transitions, {coverage}"
        )


@workflow.command("show")
@click.argument("name")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True
)
@click.option("--version", "version", type=int, default=None, help="Default: the latest.")
def show(name: str, fmt: str, version: int | None) -> None:
    """Print workflow NAME with its states, transitions and process-map steps."""
    catalogue, registry = _load(None)
    if version is None:
        definition = registry.latest(name)
    elif (definition := registry.by_version.get((name, version))) is None:
        raise click.ClickException(f"workflow '{name}' has no version {version}")
    if fmt == "json":
        click.echo(json.dumps(export_workflow(definition, catalogue), ensure_ascii=False, indent=2))
    else:
        click.echo(workflow_text(definition, catalogue))
