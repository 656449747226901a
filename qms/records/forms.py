from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, PasswordField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from qms.auth.roles import SIGNATURE_MEANINGS
from qms.records.field_forms import RecordForm, kind_fields, record_form_for
from qms.records.meanings import MEANING_TITLES
from qms.web.choices import options

__all__ = [
    "AttachForm",
    "ConfirmForm",
    "RecordForm",
    "ReviseForm",
    "SignForm",
    "kind_fields",
    "record_form_for",
    "sign_form_for",
]


class SignForm(FlaskForm):
    meaning = SelectField(
        _l("Meaning of the signature"),
        choices=options({m: MEANING_TITLES[m] for m in SIGNATURE_MEANINGS}),
    )
    password = PasswordField(_l("Your password (to sign)"), validators=[DataRequired()])
    # The content hash of the record as the signer was shown it: signing anything else
    # is refused (409), so no one signs text they never saw.
    content_sha256 = HiddenField(validators=[DataRequired(), Length(min=64, max=64)])


def sign_form_for(meanings: tuple[str, ...], **kwargs) -> SignForm:
    """A sign form offering only the meanings this kind of record takes."""
    form = SignForm(**kwargs)
    form.meaning.choices = options({m: MEANING_TITLES[m] for m in meanings})
    return form


class ReviseForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is a new revision needed?"), validators=[DataRequired(), Length(max=2000)]
    )


class AttachForm(FlaskForm):
    file = FileField(_l("File"), validators=[FileRequired()])


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token is checked."""


class RequestSignatureForm(FlaskForm):
    # Any user id may come back: the service checks that they may sign, not the list.
    signer = SelectField(_l("Ask to sign"), coerce=int, choices=options({}), validate_choice=False)


class SendBackForm(FlaskForm):
    reason = TextAreaField(
        _l("What must change before you would sign?"),
        validators=[DataRequired(), Length(max=2000)],
    )
