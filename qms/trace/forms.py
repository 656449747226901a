from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from qms.web.validators import sane_date


class TraceFilterForm(FlaskForm):
    class Meta:
        csrf = False

    customer = SelectField(
        _l("Customer"), coerce=lambda v: int(v) if v else None, validators=[Optional()]
    )
    state = SelectField(_l("State"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional(), sane_date])
    date_to = DateField(_l("To"), validators=[Optional(), sane_date])
    # Orders with a step taken (or a record approved) under this document revision.
    revision = SelectField(
        _l("Under revision"), coerce=lambda v: int(v) if v else None, validators=[Optional()]
    )


class EventFilterForm(FlaskForm):
    class Meta:
        csrf = False

    user = StringField(_l("User"), validators=[Optional(), Length(max=64)])
    order = StringField(_l("Order"), validators=[Optional(), Length(max=32)])
    # Choices are set by the view (qms.trace.events.kind_choices): titles, not codes.
    action = SelectField(_l("Kind"), choices=[], validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional(), sane_date])
    date_to = DateField(_l("To"), validators=[Optional(), sane_date])


class NoteForm(FlaskForm):
    clause = StringField(
        _l("ISO 9001:2015 clause (optional)"), validators=[Optional(), Length(max=16)]
    )
    body = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=5000)])


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False

    date_from = DateField(_l("From"), validators=[Optional(), sane_date])
    date_to = DateField(_l("To"), validators=[Optional(), sane_date])
