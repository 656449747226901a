from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class LetterheadForm(FlaskForm):
    name = StringField(_l("Organisation"), validators=[DataRequired(), Length(max=300)])
    details = TextAreaField(
        _l("Details (address, registration numbers, phone, bank)"),
        validators=[Optional(), Length(max=2000)],
    )
    logo = FileField(_l("Logo (PNG or JPEG)"))
    remove_logo = BooleanField(_l("Remove the logo"))
