"""Walk every page as a Russian-speaking user and list what is not Russian.

Used by the browser tests (and runnable by hand while translating): English words that are
not the users' own data, internal codes (snake_case states, dotted event kinds), and pages
that scroll sideways. What users typed is theirs to write in any language, so every word of
the database's text columns is allowed; so are a few names of formats and standards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import JSON, String, Text, select

from qms.extensions import db

# Names that are the same in Russian text: formats, standards, the product, units.
ALLOWED = {
    "qms",
    "iso",
    "sha",
    "pdf",
    "csv",
    "xlsx",
    "json",
    "utc",
    "id",
    "url",
    "e",
    "mail",
    "ok",
    "http",
    "https",
    "www",
    "com",
    "example",
    "rub",
    "eur",
    "usd",
    "gbp",
    "pdf/a",
    "a",
    "english",
    "docx",
    "odt",
    "png",
    "jpeg",
    "jpg",
    "txt",
    "cc",
    "ca",
    "cp",
    "seq",
    "hash",
    "smtp",
    "api",
    "oidc",
    "pades",
    "kb",
    "mb",
    "gb",
}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")
CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b|\b[a-z]+(?:-[a-z]+)*\.[a-z_]+\b")


@dataclass
class PageReport:
    url: str
    english: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    scroll_width: int = 0
    viewport_width: int = 0

    @property
    def clean(self) -> bool:
        return not self.english and not self.codes and self.scroll_width <= self.viewport_width


def user_words(app: Flask) -> set[str]:
    """Every Latin word of every text column: what people wrote is not the UI's text."""
    words: set[str] = set()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns or table.name in ("audit_events", "alembic_version"):
                continue
            for row in db.session.execute(select(*columns)):
                for value in row:
                    for text in _strings(value):
                        words |= {w.lower() for w in LATIN_WORD.findall(text)}
                        words |= {t.lower().strip(".,:;()«»\"'") for t in text.split()}
    return words


def _words(text: str):
    """Whitespace-separated tokens, skipping those that are data by their shape: anything
    with a digit (numbers, hashes, dates, CC-2026-0001), an e-mail address or a path."""
    for token in text.split():
        if any(ch.isdigit() for ch in token) or "@" in token or "/" in token:
            continue
        yield token


def _strings(value):
    """The text in a column's value, JSON ones (structured record fields) included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def check_text(text: str, allowed: set[str]) -> tuple[set[str], set[str]]:
    english, codes = set(), set()
    for token in _words(text):
        codes |= {c for c in CODE.findall(token) if c.lower() not in allowed}
        english |= {
            w
            for w in LATIN_WORD.findall(token)
            if w.lower() not in allowed and w.lower() not in ALLOWED
        }
    return english, codes


def pages_to_walk(app: Flask, fill: dict[str, str]) -> list[str]:
    """Every GET page that takes only arguments we can fill (downloads excluded)."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static",):
            continue
        if rule.rule.endswith((".pdf", ".csv", ".xlsx", ".json")) or "<path:" in rule.rule:
            continue
        if any(arg not in fill for arg in rule.arguments):
            continue
        if rule.endpoint in ("auth.logout", "dashboard.healthz", "auth.login"):
            continue
        urls.add(rule.build({a: fill[a] for a in rule.arguments}, append_unknown=False)[1])
    return sorted(urls)


# What a page shows as an identifier on purpose (an API's event kinds, a setting's name)
# is set in <code>: the reader skips it.
VISIBLE_TEXT = """() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll('code, kbd, samp').forEach(el => el.remove());
  document.body.after(copy); copy.style.position = 'absolute'; copy.style.left = '-99999px';
  const text = copy.innerText; copy.remove(); return text;
}"""


def visible_text(page) -> str:
    return page.evaluate(VISIBLE_TEXT)


def walk(page, urls: list[str], allowed: set[str], width: int) -> list[PageReport]:
    page.set_viewport_size({"width": width, "height": 900})
    reports = []
    for url in urls:
        page.goto(url)
        report = PageReport(url)
        report.english, report.codes = check_text(visible_text(page), allowed)
        report.scroll_width = page.evaluate("document.documentElement.scrollWidth")
        report.viewport_width = page.evaluate("document.documentElement.clientWidth")
        reports.append(report)
    return reports


def describe(reports: list[PageReport]) -> str:
    lines = []
    for r in reports:
        if r.clean:
            continue
        parts = []
        if r.english:
            parts.append(f"English: {', '.join(sorted(r.english)[:25])}")
        if r.codes:
            parts.append(f"codes: {', '.join(sorted(r.codes)[:15])}")
        if r.scroll_width > r.viewport_width:
            parts.append(f"scrolls sideways ({r.scroll_width} > {r.viewport_width} px)")
        lines.append(f"{r.url}: {'; '.join(parts)}")
    return "\n".join(lines)
