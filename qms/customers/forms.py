from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from qms.web.choices import options

SIZES = {"": "—", "small": _l("Small"), "medium": _l("Medium"), "large": _l("Large")}
INFLUENCE = {
    "decides": _l("Decides"),
    "high": _l("High"),
    "medium": _l("Medium"),
    "low": _l("Low"),
}


class CustomerForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    address = TextAreaField(_l("Address"), validators=[Optional(), Length(max=1000)])
    directions = TextAreaField(_l("How to get there"), validators=[Optional(), Length(max=1000)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=64)])
    email = StringField(_l("E-mail"), validators=[Optional(), Email(), Length(max=200)])
    bank_details = TextAreaField(_l("Bank details"), validators=[Optional(), Length(max=1000)])
    size = SelectField(_l("Size"), choices=options(SIZES), validators=[Optional()])
    financial_standing = TextAreaField(
        _l("Financial stability and potential"), validators=[Optional(), Length(max=2000)]
    )
    structure = TextAreaField(
        _l("Structure, decision path and deadlines"), validators=[Optional(), Length(max=2000)]
    )
    payment_practice = TextAreaField(
        _l("Invoice payment practice"), validators=[Optional(), Length(max=1000)]
    )
    head_of_company = StringField(
        _l("Head of the company"), validators=[Optional(), Length(max=200)]
    )
    problems_solved = TextAreaField(
        _l("Problems our product solves for them"), validators=[Optional(), Length(max=2000)]
    )
    competitors = TextAreaField(
        _l("Competitors and substitutes"), validators=[Optional(), Length(max=2000)]
    )
    purchase_frequency = StringField(
        _l("Purchase frequency"), validators=[Optional(), Length(max=200)]
    )
    heard_of_us_from = StringField(
        _l("Where they heard of us"), validators=[Optional(), Length(max=200)]
    )
    support_hourly_rate = DecimalField(
        _l("Support: hourly rate"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=10_000_000)],
    )
    support_rounding_minutes = IntegerField(
        _l("Support: time rounded up to (minutes)"),
        validators=[Optional(), NumberRange(min=1, max=480)],
    )
    support_minimum_hours = DecimalField(
        _l("Support: minimum hours per month"),
        places=2,
        validators=[Optional(), NumberRange(min=0, max=10_000)],
    )


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    position = StringField(_l("Position"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=64)])
    email = StringField(_l("E-mail"), validators=[Optional(), Email(), Length(max=200)])
    role_in_decision = StringField(
        _l("Part in decisions"), validators=[Optional(), Length(max=200)]
    )
    influence = SelectField(_l("Influence"), choices=options(INFLUENCE), default="medium")
    is_decision_maker = BooleanField(_l("Decision maker"))
