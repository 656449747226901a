"""Reads standards/ into a Catalogue, refusing any reference it cannot resolve."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from qms.catalogue.model import (
    Catalogue,
    Clause2000,
    Clause2015,
    Document,
    Heading2000,
    Step,
    StepGroup,
    Text,
    clause_sort_key,
)

FILES = {
    "2015": "iso9001-2015.yaml",
    "2000": "iso9001-2000.yaml",
    "crosswalk": "crosswalk-2000-2015.yaml",
    "documents": "documents.yaml",
    "process_map": "process-map.yaml",
}


class CatalogueError(ValueError):
    """A standards file is missing, malformed or refers to something unknown."""


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error on one line: where, and what is wrong."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}" if mark else problem


# libyaml's parser when PyYAML has it (about ten times faster: every command reads the
# catalogue and the workflows), the same safe constructor either way.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """yaml.safe_load, through libyaml when available."""
    return yaml.load(text, Loader=_SafeLoader)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogueError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{path}: not valid YAML: {yaml_problem(exc)}") from None
    if not isinstance(data, dict):
        raise CatalogueError(f"{path}: expected a mapping at the top level")
    return data


def _text(entry: dict, where: str) -> Text:
    try:
        return Text(en=str(entry["en"]), ru=str(entry["ru"]))
    except (KeyError, TypeError):
        raise CatalogueError(f"{where}: needs both 'en' and 'ru' titles") from None


def _field(entry: Any, key: str, where: str) -> Any:
    if not isinstance(entry, dict) or key not in entry:
        raise CatalogueError(f"{where}: missing '{key}'")
    return entry[key]


def load_catalogue(directory: str | Path) -> Catalogue:
    """Load and cross-check every standards file in `directory`."""
    directory = Path(directory)
    paths = {name: directory / file for name, file in FILES.items()}

    clauses_2015: dict[str, Clause2015] = {}
    for i, entry in enumerate(_read(paths["2015"]).get("clauses") or []):
        where = f"{paths['2015']}: clause #{i + 1}"
        number = str(_field(entry, "number", where))
        if number in clauses_2015:
            raise CatalogueError(f"{paths['2015']}: clause {number}: listed twice")
        clauses_2015[number] = Clause2015(number, _text(entry, f"{paths['2015']}: clause {number}"))

    crosswalk_data = _read(paths["crosswalk"]).get("map") or {}
    crosswalk: dict[str, tuple[str, ...]] = {}
    for number, targets in crosswalk_data.items():
        for target in targets or []:
            if str(target) not in clauses_2015:
                raise CatalogueError(
                    f"{paths['crosswalk']}: {number}: unknown ISO 9001:2015 clause '{target}'"
                )
        crosswalk[str(number)] = tuple(str(t) for t in targets or [])

    data_2000 = _read(paths["2000"])
    headings = {}
    for entry in data_2000.get("headings") or []:
        number = str(_field(entry, "number", f"{paths['2000']}: heading"))
        headings[number] = Heading2000(number, _text(entry, f"{paths['2000']}: heading {number}"))
    clauses_2000: dict[str, Clause2000] = {}
    for entry in data_2000.get("requirements") or []:
        number = str(_field(entry, "number", f"{paths['2000']}: requirement"))
        where = f"{paths['2000']}: requirement {number}"
        if number not in crosswalk:
            raise CatalogueError(f"{where}: not mapped in {paths['crosswalk'].name}")
        heading = _nearest_heading(number, headings)
        if heading is None:
            raise CatalogueError(f"{where}: no heading above it")
        clauses_2000[number] = Clause2000(number, _text(entry, where), heading, crosswalk[number])
    for number in crosswalk:
        if number not in clauses_2000:
            raise CatalogueError(
                f"{paths['crosswalk']}: {number}: unknown ISO 9001:2000 requirement"
            )

    documents = _load_documents(paths["documents"])
    groups, steps = _load_process_map(paths["process_map"], documents, clauses_2000)

    reverse: dict[str, list[str]] = {}
    for clause in clauses_2000.values():
        for target in clause.maps_to:
            reverse.setdefault(target, []).append(clause.number)
    return Catalogue(
        clauses_2015=clauses_2015,
        clauses_2000=clauses_2000,
        headings_2000=headings,
        documents=documents,
        groups=groups,
        steps=steps,
        _clauses_2015_to_2000={
            k: tuple(sorted(v, key=clause_sort_key)) for k, v in reverse.items()
        },
    )


def _nearest_heading(number: str, headings: dict[str, Heading2000]) -> str | None:
    parts = number.split(".")
    for end in range(len(parts) - 1, 0, -1):
        if (candidate := ".".join(parts[:end])) in headings:
            return candidate
    return None


def _load_documents(path: Path) -> dict[str, Document]:
    data = _read(path)
    trees = {
        name: tuple(Text(en=en, ru=ru) for en, ru in zip(tree["en"], tree["ru"], strict=True))
        for name, tree in (data.get("trees") or {}).items()
    }
    documents: dict[str, Document] = {}
    for entry in data.get("documents") or []:
        register = str(_field(entry, "register", f"{path}: document"))
        where = f"{path}: document {register}"
        if register in documents:
            raise CatalogueError(f"{where}: listed twice")
        tree = entry.get("tree")
        if tree not in trees:
            raise CatalogueError(f"{where}: unknown document tree '{tree}'")
        parent = entry.get("parent")
        if parent is not None and str(parent) not in documents:
            raise CatalogueError(f"{where}: unknown parent document '{parent}'")
        documents[register] = Document(
            register=register,
            code=entry.get("code"),
            title=_text(entry, where),
            tree=trees[tree],
            parent=None if parent is None else str(parent),
            parent_inferred=bool(entry.get("parent_inferred", False)),
        )
    return documents


def _load_process_map(
    path: Path, documents: dict[str, Document], clauses: dict[str, Clause2000]
) -> tuple[dict[str, StepGroup], dict[str, Step]]:
    groups: dict[str, StepGroup] = {}
    steps: dict[str, Step] = {}
    for group in _read(path).get("groups") or []:
        group_number = str(_field(group, "number", f"{path}: group"))
        step_numbers = []
        for entry in group.get("steps") or []:
            number = str(_field(entry, "number", f"{path}: group {group_number}: step"))
            where = f"{path}: step {number}"
            if number in steps:
                raise CatalogueError(f"{where}: listed twice")
            for register in entry.get("documents") or []:
                if str(register) not in documents:
                    raise CatalogueError(f"{where}: unknown document '{register}'")
            for clause in entry.get("clauses") or []:
                if str(clause) not in clauses:
                    raise CatalogueError(f"{where}: unknown ISO 9001:2000 clause '{clause}'")
            steps[number] = Step(
                number=number,
                title=_text(entry, where),
                group=group_number,
                documents=tuple(str(d) for d in entry.get("documents") or []),
                clauses=tuple(str(c) for c in entry.get("clauses") or []),
                register_only=bool(entry.get("register_only", False)),
            )
            step_numbers.append(number)
        groups[group_number] = StepGroup(
            group_number, _text(group, f"{path}: group {group_number}"), tuple(step_numbers)
        )
    return groups, steps


@lru_cache(maxsize=4)
def get_catalogue(directory: str) -> Catalogue:
    """The catalogue for a directory, loaded once per process."""
    return load_catalogue(directory)
