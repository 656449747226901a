"""What a signature means, titled for people. Apart from the forms, so that the commands and
the pack, which show the titles but take no form, do not load WTForms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

MEANING_TITLES = {
    "reviewed": _l("Reviewed"),
    "approved": _l("Approved"),
    "verified": _l("Verified"),
    "validated": _l("Validated"),
}
