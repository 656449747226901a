"""The standards catalogue reproduces the source process map exactly.

tests/data/process-map.md is the reference document itself; these tests read its
tables and compare them, row by row, with what qms loads from standards/.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from qms.catalogue import CatalogueError, load_catalogue
from qms.config import PROJECT_ROOT

REFERENCE = Path(__file__).parent / "data" / "process-map.md"
STANDARDS = PROJECT_ROOT / "standards"
REGISTER = re.compile(r"\b2(?:\.\d+){2,}\b")
CLAUSE = re.compile(r"\b7(?:\.\d+)+\b")


def table_rows(first_cell: str) -> list[list[str]]:
    """Rows of the reference's tables whose first cell matches `first_cell`."""
    rows = []
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if re.fullmatch(first_cell, cells[0]):
            rows.append(cells)
    return rows


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue(STANDARDS)


STEP_ROWS = table_rows(r"1\.\d\.\d")
REGISTER_ROWS = table_rows(r"2(\.\d+)+")
CLAUSE_ROWS = table_rows(r"7(\.\d+)+")


def test_reference_tables_were_read():
    assert (len(STEP_ROWS), len(REGISTER_ROWS), len(CLAUSE_ROWS)) == (13, 13, 26)


@pytest.mark.parametrize("row", STEP_ROWS, ids=lambda r: r[0])
def test_every_step_matches_the_source(catalogue, row):
    number, ru, en, documents, clauses = row
    step = catalogue.steps[number]
    assert (step.title.ru, step.title.en) == (ru, en)
    assert list(step.documents) == REGISTER.findall(documents)
    assert list(step.clauses) == CLAUSE.findall(clauses)
    assert step.register_only == ("no document named" in documents)


def test_no_step_beyond_the_source(catalogue):
    assert sorted(catalogue.steps) == sorted(row[0] for row in STEP_ROWS)
    assert "1.3.3" not in catalogue.steps


@pytest.mark.parametrize("row", REGISTER_ROWS, ids=lambda r: r[0])
def test_every_internal_document_matches_the_register(catalogue, row):
    register, code, ru, en = row
    document = catalogue.documents[register]
    assert (document.title.ru, document.title.en) == (ru, en)
    assert document.code == (None if code == "(plan)" else code)


def test_document_tree_is_the_sources(catalogue):
    stp = catalogue.documents["2.2.1.2.1"].tree
    plan = catalogue.documents["2.3.3.3"].tree
    assert [t.ru for t in stp][-1] == "Стандарты предприятия Эллат (СТП)"
    assert [t.en for t in plan] == [
        "Regulations",
        "Company organisational and administrative documents",
        "Programmes and action plans",
    ]
    assert catalogue.documents["2.2.1.2.4.1"].parent == "2.2.1.2.4"
    assert catalogue.documents["2.2.1.2.4.1"].parent_inferred


@pytest.mark.parametrize("row", CLAUSE_ROWS, ids=lambda r: r[0])
def test_every_iso_2000_requirement_matches_and_maps_to_2015(catalogue, row):
    number, ru, en = row
    clause = catalogue.clauses_2000[number]
    assert (clause.title.ru, clause.title.en) == (ru, en)
    assert clause.maps_to, f"{number} has no ISO 9001:2015 counterpart"
    assert all(target in catalogue.clauses_2015 for target in clause.maps_to)


@pytest.mark.parametrize(
    ("number_2000", "expected_2015"),
    [
        ("7.2.2.1", "8.2.3.1"),
        ("7.2.2.5", "8.2.3.2"),
        ("7.3.4.1", "8.3.4"),
        ("7.3.6", "8.3.4"),
        ("7.3.7", "8.3.6"),
        ("7.3.1.1", "8.3.2"),
        ("7.2.3.1", "8.2.1"),
        ("7.1.1", "8.1"),
    ],
)
def test_crosswalk_follows_the_correlation_between_editions(catalogue, number_2000, expected_2015):
    assert expected_2015 in catalogue.clauses_2000[number_2000].maps_to


def test_iso_2015_catalogue_covers_clauses_4_to_10(catalogue):
    top = {n for n in catalogue.clauses_2015 if "." not in n}
    assert top == {"4", "5", "6", "7", "8", "9", "10"}
    assert catalogue.clauses_2015["8.2.3"].title.en == (
        "Review of the requirements for products and services"
    )


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "process-map.yaml",
            'clauses: ["7.2.3.1"]',
            'clauses: ["7.9.9"]',
            "step 1.1.1: unknown ISO 9001:2000 clause '7.9.9'",
        ),
        (
            "process-map.yaml",
            'documents: ["2.2.1.2.1"]',
            'documents: ["9.9"]',
            "step 1.1.2: unknown document '9.9'",
        ),
        (
            "crosswalk-2000-2015.yaml",
            '"7.3.7": ["8.3.6"]',
            '"7.3.7": ["8.3.66"]',
            "7.3.7: unknown ISO 9001:2015 clause '8.3.66'",
        ),
    ],
)
def test_unknown_reference_is_an_error_naming_file_and_entry(tmp_path, file, old, new, message):
    folder = tmp_path / "standards"
    shutil.copytree(STANDARDS, folder)
    path = folder / file
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CatalogueError) as error:
        load_catalogue(folder)
    assert str(path) in str(error.value)
    assert message in str(error.value)
