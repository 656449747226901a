"""Workflow files: validated at load, and exported in the auditors' JSON contract."""

from __future__ import annotations

import json
import shutil

import pytest

from qms.config import PROJECT_ROOT

WORKFLOWS = PROJECT_ROOT / "workflows"
REFERENCE_STEPS = [
    "1.1.1",
    "1.1.2",
    "1.1.3",
    "1.1.4",
    "1.1.5",
    "1.2.1",
    "1.2.2",
    "1.2.3",
    "1.2.4",
    "1.2.5",
    "1.3.1",
    "1.3.2",
    "1.3.4",
]


def test_workflow_check_passes_on_the_shipped_files(runner):
    result = runner.invoke(args=["workflow", "check"])
    assert result.exit_code == 0, result.output
    assert "customer-order v2" in result.output
    assert "carries out all 13 process-map steps" in result.output
    for name in ("contract-change v1", "complaint v1", "corrective-action v1"):
        assert name in result.output


@pytest.mark.parametrize(
    ("old", "new", "entry"),
    [
        (
            "    dest: declined\n",
            "    dest: nowhere\n",
            "transition 'decline': unknown state 'nowhere'",
        ),
        (
            "    roles: [manager]\n    requires: [enquiry]",
            "    roles: [director]\n    requires: [enquiry]",
            "transition 'accept_enquiry': unknown role 'director'",
        ),
        (
            "requires: [scope_statement]",
            "requires: [scope_statment]",
            "transition 'confirm_scope': unknown record kind 'scope_statment'",
        ),
        (
            '    steps: ["1.1.1"]\n  pre_contract:',
            '    steps: ["1.1.9"]\n  pre_contract:',
            "state 'enquiry': unknown process-map step '1.1.9'",
        ),
        ("initial: enquiry", "initial: start", "initial: unknown state 'start'"),
        (
            "    reason_required: true\n  - trigger: sign_contract",
            "    reson_required: true\n  - trigger: sign_contract",
            "transition 'return_to_specification': unknown key(s) reson_required",
        ),
        (
            '  acceptance:\n    title: {en: "Acceptance", ru: "Приёмка"}\n    steps: ["1.1.5"]',
            '  acceptance:\n    title: {en: "Acceptance", ru: "Приёмка"}\n    steps: []',
            None,
        ),  # still valid: 1.1.5 is carried by other states too
        (
            '    steps: ["1.2.2", "1.1.5"]',
            '    steps: ["1.1.5"]',
            "states: no state carries out step(s) 1.2.2",
        ),
        ("version: 2", "version: one", "version: must be a positive whole number"),
        ("  - trigger: close\n", "  - trigger: close\n    source: [\n", "not valid YAML"),
    ],
)
def test_malformed_workflow_is_refused_naming_file_and_entry(runner, tmp_path, old, new, entry):
    folder = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, folder)
    path = folder / "customer-order.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")

    result = runner.invoke(args=["workflow", "check", "--dir", str(folder)])

    if entry is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code != 0
    assert str(path) in result.output
    assert entry in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("file", "old", "new", "entry"),
    [
        (
            "corrective-action.yaml",
            "not_by: [implement]\n  - trigger: fail_check",
            "not_by: [implemnt]\n  - trigger: fail_check",
            "transition 'verify': not_by: unknown trigger 'implemnt'",
        ),
        (
            "corrective-action.yaml",
            "inputs: [root_cause]",
            "inputs: [root_cuase]",
            "transition 'analyse': unknown input field 'root_cuase'",
        ),
        (
            "complaint.yaml",
            'clauses_2015: ["8.2.1", "9.1.2", "10.2"]',
            'clauses_2015: ["8.2.1", "9.1.9"]',
            "governance: unknown ISO 9001:2015 clause '9.1.9'",
        ),
        (
            "contract-change.yaml",
            "    type: kinds",
            "    type: kind",
            "field 'affected_records': type must be one of",
        ),
    ],
)
def test_malformed_work_item_workflows_are_refused(runner, tmp_path, file, old, new, entry):
    folder = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, folder)
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    result = runner.invoke(args=["workflow", "check", "--dir", str(folder)])
    assert result.exit_code != 0
    assert str(path) in result.output and entry in result.output


def test_two_files_with_the_same_version_are_refused(runner, tmp_path):
    folder = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS, folder)
    shutil.copy(folder / "customer-order.yaml", folder / "copy.yaml")
    result = runner.invoke(args=["workflow", "check", "--dir", str(folder)])
    assert result.exit_code != 0
    assert "version 2 is also defined in" in result.output


@pytest.fixture
def exported(runner):
    result = runner.invoke(args=["workflow", "show", "customer-order", "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_export_has_the_contract_shape(exported):
    assert exported["name"] == "customer-order"
    assert exported["version"] == 2
    for state in exported["states"]:
        assert set(state) >= {"name", "steps", "title"}
        assert set(state["title"]) == {"en", "ru"}
    for transition in exported["transitions"]:
        assert set(transition) >= {"trigger", "source", "dest", "roles", "requires"}
        assert transition["roles"]
    for step in exported["steps"]:
        assert set(step) >= {"number", "title", "documents", "clauses", "states"}
        for document in step["documents"]:
            assert set(document) >= {"register", "code", "title"}
        for clause in step["clauses"]:
            assert clause["standard"] in ("ISO 9001:2000", "ISO 9001:2015")
            assert set(clause) >= {"standard", "number", "title"}
            if clause["standard"] == "ISO 9001:2000":
                assert clause["maps_to"], clause
                assert all(m["standard"] == "ISO 9001:2015" for m in clause["maps_to"])


def test_export_carries_out_every_step_of_the_process_map(exported):
    assert [s["number"] for s in exported["steps"]] == REFERENCE_STEPS
    assert all(step["states"] for step in exported["steps"])


def test_export_links_steps_to_their_standards(exported):
    steps = {s["number"]: s for s in exported["steps"]}
    control = steps["1.1.5"]
    assert [d["register"] for d in control["documents"]] == [
        "2.2.1.2.3.2",
        "2.2.1.2.4.1",
        "2.2.1.2.4.2",
    ]
    assert control["documents"][0]["code"] == "СТП-3-01 §"
    review = steps["1.3.4"]
    assert {c["number"] for c in review["clauses"] if c["standard"] == "ISO 9001:2000"} == {
        "7.3.3.1",
        "7.3.3.2",
        "7.3.3.4",
        "7.3.5.1",
        "7.3.6",
    }
    assert {"8.3.4", "8.3.5"} <= {
        c["number"] for c in review["clauses"] if c["standard"] == "ISO 9001:2015"
    }
    assert steps["1.2.1"]["documents"] == [] and steps["1.2.1"]["register_only"]


@pytest.mark.parametrize(
    ("trigger", "records", "clause_2015"),
    [
        ("sign_contract", {"requirements_review", "contract", "technical_specification"}, "8.2.3"),
        ("approve_design", {"design_review", "design_verification", "design_validation"}, "8.3.4"),
    ],
)
def test_guards_demand_the_evidence_iso_9001_asks_for(exported, trigger, records, clause_2015):
    transition = next(t for t in exported["transitions"] if t["trigger"] == trigger)
    assert records <= set(transition["requires"])


def test_show_text_and_unknown_workflow(runner):
    text = runner.invoke(args=["workflow", "show", "customer-order"])
    assert text.exit_code == 0
    assert "1.1.3 Drawing up the technical specification / Формирование Технического задания" in (
        text.output
    )
    unknown = runner.invoke(args=["workflow", "show", "warranty"])
    assert unknown.exit_code != 0
    assert "unknown workflow 'warranty'" in unknown.output
