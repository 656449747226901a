from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from qms.orders.services import OrderError, parse_value
from qms.web.choices import options
from qms.web.validators import sane_date

CURRENCIES = {"RUB": "RUB", "EUR": "EUR", "USD": "USD", "GBP": "GBP"}


class OrderForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    customer_id = SelectField(_l("Customer"), coerce=int, validators=[DataRequired()])
    recommended_by_id = SelectField(
        _l("Recommended by"),
        coerce=lambda v: int(v) if v else None,
        validators=[Optional()],
    )
    manager_id = SelectField(_l("Project manager"), coerce=int, validators=[DataRequired()])
    value = StringField(_l("Value"), validators=[Optional(), Length(max=32)])
    currency = SelectField(_l("Currency"), choices=options(CURRENCIES), default="RUB")
    language = SelectField(
        _l("Language of the documents"),
        choices=options({"ru": "Русский", "en": "English"}),
        default="ru",
    )
    starts_on = DateField(_l("Starts on"), validators=[Optional(), sane_date])
    due_on = DateField(_l("Due on"), validators=[Optional(), sane_date])

    def validate_value(self, field):
        try:
            parse_value(field.data)
        except OrderError as exc:
            raise ValidationError(str(exc)) from None

    def validate_due_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The due date is before the start date."))


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    state = SelectField(_l("State"), choices=options({}), validators=[Optional()])
    manager_id = SelectField(
        _l("Manager"),
        coerce=lambda v: int(v) if v else None,
        choices=options({}),
        validators=[Optional()],
    )
    overdue = BooleanField(_l("Overdue only"))


class AdvanceForm(FlaskForm):
    trigger = HiddenField(validators=[DataRequired()])
    version = IntegerField(validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class SalesStageForm(FlaskForm):
    stage = HiddenField(validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class OrderEditForm(FlaskForm):
    """The order's own facts, changed with a reason; `version` is the one the editor read."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    manager_id = SelectField(_l("Project manager"), coerce=int, validators=[DataRequired()])
    value = StringField(_l("Value"), validators=[Optional(), Length(max=32)])
    currency = SelectField(_l("Currency"), choices=options(CURRENCIES), default="RUB")
    starts_on = DateField(_l("Starts on"), validators=[Optional(), sane_date])
    due_on = DateField(_l("Due on"), validators=[Optional(), sane_date])
    reason = TextAreaField(_l("Why does it change?"), validators=[DataRequired(), Length(max=2000)])
    version = HiddenField(validators=[DataRequired()])

    validate_value = OrderForm.validate_value
    validate_due_on = OrderForm.validate_due_on
