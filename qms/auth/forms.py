from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp

from qms.auth.passwords import MAX_LENGTH
from qms.auth.roles import ROLES
from qms.web.choices import options

LANGUAGE_CHOICES = {"en": "English", "ru": "Русский"}
ROLE_CHOICES = {
    "admin": _l("Administrator"),
    "manager": _l("Project manager"),
    "engineer": _l("Engineer"),
    "auditor": _l("QA auditor"),
}
assert tuple(ROLE_CHOICES) == ROLES


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])


class LanguageForm(FlaskForm):
    language = SelectField(_l("Language"), choices=options(LANGUAGE_CHOICES))


class AccountForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[Optional(), Email(), Length(max=200)])
    language = SelectField(_l("Language"), choices=options(LANGUAGE_CHOICES))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two new passwords differ."))],
    )


class NewUserForm(FlaskForm):
    username = StringField(
        _l("User name"),
        validators=[
            DataRequired(),
            Length(max=64),
            Regexp(r"^\S+$", message=_l("A user name has no spaces.")),
        ],
    )
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=200)])
    role = SelectField(_l("Role"), choices=options(ROLE_CHOICES), default="engineer")
    language = SelectField(_l("Language"), choices=options(LANGUAGE_CHOICES), default="ru")


# The user's page holds both forms below: each has its prefix ("role-", "deactivate-"), so
# their fields' names and ids differ.
class RoleForm(FlaskForm):
    role = SelectField(_l("New role"), choices=options(ROLE_CHOICES))
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class DeactivateForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class PlainForm(FlaskForm):
    """A button and its CSRF token (reactivate, reset the password)."""
