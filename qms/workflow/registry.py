"""The workflow definitions of an app: loaded from workflows/ once, pinned per order."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from qms.catalogue import Catalogue, get_catalogue
from qms.extensions import db
from qms.workflow.definition import (
    WorkflowDefinition,
    WorkflowError,
    load_definition_file,
    parse_definition,
)
from qms.workflow.models import WorkflowVersion


@dataclass(frozen=True)
class WorkflowRegistry:
    by_version: dict[tuple[str, int], WorkflowDefinition]

    def latest(self, name: str) -> WorkflowDefinition:
        versions = [d for (n, _), d in self.by_version.items() if n == name]
        if not versions:
            known = ", ".join(sorted(self.names())) or "none"
            raise WorkflowError(f"unknown workflow '{name}' (known: {known})")
        return max(versions, key=lambda d: d.version)

    def names(self) -> set[str]:
        return {name for name, _ in self.by_version}


def load_workflows(directory: str | Path, catalogue: Catalogue) -> WorkflowRegistry:
    """Load and check every *.yaml in `directory`; the first error stops the load."""
    directory = Path(directory)
    if not directory.is_dir():
        raise WorkflowError(f"{directory}: workflows folder not found")
    found: dict[tuple[str, int], WorkflowDefinition] = {}
    for path in sorted(directory.rglob("*.yaml")):
        definition = load_definition_file(path, catalogue)
        key = (definition.name, definition.version)
        if key in found:
            raise WorkflowError(
                f"{path}: workflow '{definition.name}' version {definition.version} "
                f"is also defined in {found[key].source}"
            )
        found[key] = definition
    return WorkflowRegistry(found)


def catalogue() -> Catalogue:
    return get_catalogue(current_app.config["QMS_STANDARDS_DIR"])


def registry() -> WorkflowRegistry:
    """This app's workflows, loaded on first use and kept for the life of the process."""
    cached = current_app.extensions.get("qms.workflows")
    if cached is None:
        cached = load_workflows(current_app.config["QMS_WORKFLOWS_DIR"], catalogue())
        current_app.extensions["qms.workflows"] = cached
    return cached


def pin_version(definition: WorkflowDefinition) -> WorkflowVersion:
    """The stored row for a definition, made on first use.

    A file whose content changed without a version bump is refused: orders already
    started under that version must keep the rules they started with.
    """
    row = db.session.scalars(
        select(WorkflowVersion).filter_by(name=definition.name, version=definition.version)
    ).first()
    if row is None:
        row = WorkflowVersion(
            name=definition.name,
            version=definition.version,
            sha256=definition.sha256,
            document=definition.document,
        )
        db.session.add(row)
        db.session.flush()
    elif row.sha256 != definition.sha256:
        raise WorkflowError(
            f"{definition.source}: workflow '{definition.name}' version {definition.version} "
            "was changed after orders started under it; give the change a new version number"
        )
    return row


def definition_for(item) -> WorkflowDefinition:
    """The definition of an order or work item, by its pinned version id.

    Pinned versions never change, so each process keeps them by id and most calls read
    no row at all (this is on the path of every transition).
    """
    cache = current_app.extensions.setdefault("qms.definitions-by-id", {})
    definition = cache.get(item.workflow_version_id)
    if definition is None:
        definition = cache[item.workflow_version_id] = definition_of(item.workflow_version)
    return definition


def definition_of(version: WorkflowVersion) -> WorkflowDefinition:
    """The definition an order runs under: the file if it is unchanged, else the stored copy."""
    loaded = registry().by_version.get((version.name, version.version))
    if loaded is not None and loaded.sha256 == version.sha256:
        return loaded
    key = ("qms.stored-workflow", version.id, version.sha256)
    cached = current_app.extensions.get(key)
    if cached is None:
        cached = parse_definition(
            version.document, f"stored workflow {version.name} v{version.version}", catalogue()
        )
        current_app.extensions[key] = cached
    return cached
