"""Racing real requests: several logged-in clients, each in its own thread with its own
app context and database connection, held at a barrier and then released at once.

Each client first reads the page its form is on and sends the form as that page offers
it (CSRF token and hidden fields included), as a person would.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

from tests.conftest import FreshContextClient
from tests.web_helpers import login


class _Forms(HTMLParser):
    """The forms of a page: action and the values a browser would send unchanged."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "fields": {}}
            self.forms.append(self._form)
            return
        if self._form is None or (not a.get("name") and tag != "option"):
            return
        fields = self._form["fields"]
        if tag == "input" and a.get("type") not in ("submit", "file"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select:
            if self._select not in fields or "selected" in a:
                fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            fields[a["name"]] = ""

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_on(html: str, url: str, action: str, **having: str) -> dict[str, str]:
    """The fields of the form on page `url` posting to `action` (whose fields include
    `having`); a form with no action posts to its own page."""
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if (form["action"] or urlsplit(url).path) == action and all(
            form["fields"].get(k) == v for k, v in having.items()
        ):
            return dict(form["fields"])
    raise AssertionError(f"no form posting to {action} {having or ''} on the page")


@dataclass
class Answer:
    status: int
    text: str
    location: str

    @property
    def succeeded(self) -> bool:
        return self.status < 400

    @property
    def conflict(self) -> bool:
        return self.status == 409


def race(
    app,
    usernames: list[str],
    page: str | Callable[[int], str],
    action: str | Callable[[int], str],
    fill: dict | Callable[[int], dict] | None = None,
    having: dict | None = None,
) -> list[Answer]:
    """Each user reads `page`, then all send its form to `action` at the same moment.

    `page`, `action` and `fill` (fields to override) may be functions of the client's
    index, for clients acting on different things. An exception that escapes a view (a
    500 in production) fails the test there and then.
    """
    clients, forms, actions = [], [], []
    for index, username in enumerate(usernames):
        client = FreshContextClient(app, app.response_class, use_cookies=True)
        assert login(client, username).status_code == 302, f"{username} cannot log in"
        url = page(index) if callable(page) else page
        target = action(index) if callable(action) else action
        html = client.get(url).get_data(as_text=True)
        forms.append(form_on(html, url, target, **(having or {})))
        # A form with no action posts back to its page, query string and all.
        actions.append(url if urlsplit(url).path == target else target)
        clients.append(client)
    for index, form in enumerate(forms):
        form.update(fill(index) if callable(fill) else fill or {})
    barrier = threading.Barrier(len(clients), timeout=60)
    answers: list[Answer | BaseException | None] = [None] * len(clients)

    def send(index: int) -> None:
        try:
            barrier.wait()
            response = clients[index].post(actions[index], data=forms[index])
            answers[index] = Answer(
                response.status_code,
                response.get_data(as_text=True),
                response.headers.get("Location", ""),
            )
        except BaseException as exc:  # reported below, in the test's own thread
            answers[index] = exc

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [a for a in answers if not isinstance(a, Answer)]
    assert not errors, (
        f"{len(errors)} of {len(answers)} requests failed with a 500; the first:\n"
        + "".join(traceback.format_exception(errors[0]))
    )
    return answers  # type: ignore[return-value]


def assert_success_or_clear_conflict(answers: list[Answer], *also: int) -> None:
    """Every answer is a success, or a 409 that says what happened and links back;
    `also` names other refusals allowed (a 422 for a form refused after the fact)."""
    for answer in answers:
        assert answer.succeeded or answer.status in (409, *also), (answer.status, answer.text)
        if answer.conflict:
            assert "Someone else" in answer.text, answer.text
            assert 'class="back"' in answer.text, answer.text
