"""Text in the reader's language, decided when it is shown (messages are data until the edge).

Services raise errors whose text is lazy: it is rendered in the language of the request,
PDF or command that shows it, never fixed in English where it was raised.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar

from flask_babel import LazyString, get_locale
from flask_babel import gettext as _

from qms.auth.roles import ROLE_TITLES
from qms.catalogue import Text

LANGUAGES = ("en", "ru")

# The language a command speaks (`qms --lang ru ...`); unset: QMS_LANGUAGE.
command_language: ContextVar[str | None] = ContextVar("qms_command_language", default=None)


def current_language() -> str:
    locale = get_locale()
    language = locale.language if locale is not None else "en"
    return language if language in LANGUAGES else "en"


def lazy_text(text: Text) -> LazyString:
    """A catalogue Text (a title in both languages) shown in the reader's language."""
    return LazyString(lambda: text.get(current_language()))


def role_title(role: str) -> str:
    return ROLE_TITLES[role][current_language()]


def role_titles(roles: Iterable[str]) -> LazyString:
    """ "Project manager or Administrator", in the reader's language."""
    roles = tuple(roles)
    return LazyString(lambda: f" {_('or')} ".join(role_title(r) for r in roles))
