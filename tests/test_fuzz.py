"""Fuzzing (hypothesis): whatever is sent to any route, the answer is never a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web_helpers import build_world, login

# Names the forms use, so that the fuzzer reaches past "field missing" into the services.
FIELD_NAMES = [
    "username",
    "title",
    "body",
    "value",
    "currency",
    "language",
    "starts_on",
    "due_on",
    "customer_id",
    "manager_id",
    "trigger",
    "version",
    "reason",
    "stage",
    "note",
    "meaning",
    "password",
    "name",
    "email",
    "phone",
    "size",
    "influence",
    "clause",
    "workflow",
    "order",
    "channel",
    "source",
    "received_on",
    "customer",
    "input_findings",
    "input_owner",
    "input_due_on",
    "input_affected_records",
    "input_corrective_action_needed",
    "field_reason",
    "q",
    "state",
    "overdue",
    "page",
    "date_from",
    "date_to",
    "user",
    "action",
    "kind",
]
VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "99999999999999999999",
            "2026-02-30",
            "NaN",
            "1e309",
            "approved",
            "accept_enquiry",
            "sign_contract",
            "complaint",
            "\x00",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "../../etc/passwd",
            "manager",
            "contract,requirements_review",
            "yes",
        ]
    ),
)
FORMS = st.dictionaries(st.sampled_from(FIELD_NAMES), VALUES, max_size=8)


def _routes(app, world):
    fill = {
        "number": world["order"].number,
        "record_id": world["draft"].id,
        "customer_id": world["customer"].id,
        "attachment_id": 1,
        "filename": "x.pdf",
        "revision": 1,
        "fmt": "csv",
        "user_id": world["team"]["engineer"].id,
        "notification_id": 1,
        "token_id": 1,
        "subscription_id": 1,
        "delivery_id": 1,
        "rest": "nothing-here",
    }
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        args = {name: fill.get(name, world["item"].number) for name in rule.arguments}
        url = rule.build(args, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, url))
    return routes


@pytest.mark.parametrize("role", ["manager", "auditor"])
def test_no_input_makes_any_route_fail_with_a_500(app, client, role):
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world()
    routes = _routes(app, world)
    assert len(routes) > 40

    @settings(
        max_examples=400,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(route=st.sampled_from(routes), form=FORMS)
    def fuzz(route, form):
        method, url = route
        if url == "/logout":
            return
        if method == "GET":
            response = client.get(url, query_string=form)
        else:
            response = client.open(url, method=method, data=form)
        assert response.status_code < 500, (method, url, form, response.status_code)

    login(client, role)
    fuzz()


def test_nul_characters_are_refused_clearly_on_every_database(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    build_world()
    response = client.post("/login", data={"username": "a\x00b", "password": "x"})
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    login(client, "manager")
    for url in ("/orders?q=a%00b", "/customers?q=%00"):
        assert client.get(url).status_code == 400
    assert client.post("/customers/new", data={"name": "A\x00B"}).status_code == 400
