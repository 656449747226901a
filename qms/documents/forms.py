from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, IntegerField, PasswordField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class RevisionForm(FlaskForm):
    summary = TextAreaField(
        _l("What this revision changes"), validators=[DataRequired(), Length(max=2000)]
    )
    body = TextAreaField(_l("Text of the document"), validators=[Optional()])
    file = FileField(_l("Or a file (PDF, DOCX, ODT)"))
    effective_from = DateField(_l("Effective from"), validators=[DataRequired()])
    review_months = IntegerField(
        _l("Review every (months)"), default=12, validators=[DataRequired(), NumberRange(1, 120)]
    )


class ApproveForm(FlaskForm):
    password = PasswordField(_l("Your password (to sign)"), validators=[DataRequired()])
    # The content hash of the revision as the approver was shown it (sign what you read).
    content_sha256 = HiddenField(validators=[DataRequired(), Length(min=64, max=64)])


class AcknowledgeForm(FlaskForm):
    password = PasswordField(_l("Your password (to confirm)"), validators=[DataRequired()])


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is it withdrawn?"), validators=[DataRequired(), Length(max=2000)]
    )


class ReviewForm(FlaskForm):
    note = TextAreaField(
        _l("What did the review find?"), validators=[DataRequired(), Length(max=2000)]
    )
