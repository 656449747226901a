"""Every text the code and templates can show is in the Russian catalogue, translated.

Extracted here the way `make extract-messages` does (babel.cfg), so a new message
without its translation fails the suite rather than showing English in the Russian UI.
"""

from __future__ import annotations

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from qms.config import PROJECT_ROOT

CATALOGUE = PROJECT_ROOT / "qms" / "translations" / "ru" / "LC_MESSAGES" / "messages.po"
METHODS = [("qms/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _source_messages() -> dict[str, str]:
    found = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(PROJECT_ROOT), method_map=METHODS, keywords=KEYWORDS
    ):
        if filename.startswith(("qms/migrations", "tests/", ".venv")):
            continue
        key = message if isinstance(message, str) else message[0]
        if key:
            found.setdefault(key, filename)
    return found


def test_every_message_in_the_code_is_in_the_russian_catalogue():
    with CATALOGUE.open("rb") as file:
        catalogue = read_po(file)
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in catalogue if m.id}
    missing = {m: f for m, f in _source_messages().items() if m not in known}
    assert not missing, "not in the catalogue (run make extract-messages, then translate):\n" + (
        "\n".join(f"{f}: {m!r}" for m, f in sorted(missing.items(), key=lambda x: x[1]))
    )


def test_every_catalogue_entry_is_translated_and_none_is_fuzzy():
    with CATALOGUE.open("rb") as file:
        catalogue = read_po(file)
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id)
    assert not problems, f"untranslated or fuzzy: {problems}"
