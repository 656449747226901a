"""Fuzzing (hypothesis): whatever is sent to any route, the answer is never a 500.

Besides random text, every route meets the shapes that once reached the database:
integers beyond the id columns, NaN and infinities, far dates, NUL in the path, and
text one character longer than each column holds. The fields get plausible values
too, so that a hostile one is met by the services and not only by the first check.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import String

from qms.extensions import db
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
INTEGERS = ["2147483648", "99999999999999999999999", "-9223372036854775809"]
NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "9" * 31, "1000000000000"]
DATES = ["9999-12-31", "0001-01-01", "2201-01-01"]
NUL = ["a\x00b"]


def too_long() -> list[str]:
    """Text one character longer than each text column holds (PostgreSQL counts
    characters, so Cyrillic is as long as ASCII there)."""
    lengths = {
        column.type.length
        for table in db.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, String) and column.type.length
    }
    return ["я" * (n + 1) for n in sorted(lengths)]


def hostile_shapes() -> list[str]:
    return [*INTEGERS, *NUMBERS, *DATES, *NUL, *too_long()]


def hostile_path_shapes() -> list[str]:
    """What a path argument (an id, an order number) may meet."""
    return [*INTEGERS, *NUL, *too_long()]


def _plausible(world) -> dict[str, list[str]]:
    team = world["team"]
    return {
        "title": ["Заказ"],
        "value": ["100", "1 000,50"],
        "currency": ["RUB"],
        "language": ["ru"],
        "starts_on": ["2026-01-05"],
        "due_on": ["2026-03-05"],
        "customer_id": [str(world["customer"].id)],
        "customer": [str(world["customer"].id)],
        "manager_id": [str(team["manager"].id)],
        "trigger": ["accept_enquiry", "plan", "acknowledge"],
        "version": ["1"],
        "meaning": ["approved"],
        "password": ["manager-pw", "auditor-pw"],
        "name": ["ООО «Новый»"],
        "workflow": ["complaint", "corrective-action"],
        "order": [world["order"].number],
        "channel": ["email"],
        "source": ["other"],
        "received_on": ["2026-01-05"],
        "input_owner": ["engineer"],
        "input_due_on": ["2026-02-01"],
        "stage": ["contact"],
        "influence": ["high"],
    }


def _routes(app, world):
    """(method, url, path arguments as a dict) for every route, and how to build it."""
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
        if rule.endpoint == "static" or rule.rule == "/logout":
            continue
        args = {name: fill.get(name, world["item"].number) for name in rule.arguments}
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, rule, args))
    return routes


def _url(rule, args: dict) -> str:
    """The rule's URL with `args` in its place holders, whatever their converters accept."""
    return re.sub(
        r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: quote(str(args[m.group(1)]), safe=""), rule.rule
    )


def _send(client, method: str, url: str, form: dict):
    if method == "GET":
        return client.get(url, query_string=form)
    return client.open(url, method=method, data=form)


@pytest.mark.parametrize("role", ["manager", "auditor"])
def test_no_input_makes_any_route_fail_with_a_500(app, client, role):
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world()
    routes = _routes(app, world)
    assert len(routes) > 40
    hostile = hostile_shapes()
    plausible = _plausible(world)
    values = st.one_of(st.text(max_size=60), st.sampled_from(["", "0", "-1", "yes", *hostile]))
    in_path = st.sampled_from([None, *hostile_path_shapes()])
    forms = st.dictionaries(
        st.sampled_from(FIELD_NAMES),
        values,
        max_size=8,
    ).flatmap(
        lambda chosen: st.fixed_dictionaries(
            {k: st.sampled_from(v) for k, v in plausible.items() if k not in chosen}
        ).map(lambda base: base | chosen)
    )

    @settings(
        max_examples=400,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(route=st.sampled_from(routes), form=forms, in_path=in_path)
    def fuzz(route, form, in_path):
        method, rule, args = route
        if in_path is not None and args:  # the hostile value as every path argument
            args = dict.fromkeys(args, in_path)
        url = _url(rule, args)
        response = _send(client, method, url, form)
        assert response.status_code < 500, (method, url, form, response.status_code)

    login(client, role)
    fuzz()


def _sweep(client, routes) -> list[tuple]:
    """Each hostile shape in every field of each route, and in each of its path arguments."""
    attempts = [
        (method, _url(rule, args), dict.fromkeys(FIELD_NAMES, shape))
        for shape in hostile_shapes()
        for method, rule, args in routes
    ] + [
        (method, _url(rule, dict.fromkeys(args, shape)), {})
        for shape in hostile_path_shapes()
        for method, rule, args in routes
        if args
    ]
    failures = []
    for method, url, form in attempts:
        status = _send(client, method, url, form).status_code
        if status >= 500:
            failures.append((method, url[:80], repr(next(iter(form.values()), "")[:20]), status))
    return failures


def test_every_hostile_shape_in_every_field_and_path_of_every_route_is_refused_clearly(app, client):
    """As the manager on every route they may use, as the auditor on the rest (the audit
    notes, verification and report); the random run above covers both on all of them."""
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world()
    routes = _routes(app, world)
    login(client, "manager")
    theirs = [r for r in routes if _send(client, r[0], _url(r[1], r[2]), {}).status_code != 403]
    failures = _sweep(client, theirs)
    client.post("/logout")
    login(client, "auditor")
    failures += _sweep(client, [r for r in routes if r not in theirs])
    assert len(theirs) > 30
    assert not failures


def test_nul_characters_are_refused_clearly_on_every_database(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    build_world()
    response = client.post("/login", data={"username": "a\x00b", "password": "x"})
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)
    login(client, "manager")
    for url in ("/orders?q=a%00b", "/customers?q=%00", "/orders/%00", "/items/a%00"):
        assert client.get(url).status_code == 400
    assert client.post("/customers/new", data={"name": "A\x00B"}).status_code == 400
