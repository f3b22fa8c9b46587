from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from webapp.services.certificates.issuing import MAX_REASON


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for revoking"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Please give a reason for revoking.")),
            Length(
                max=MAX_REASON,
                message=_l("The reason may be at most %(max)d characters.", max=MAX_REASON),
            ),
        ],
    )
