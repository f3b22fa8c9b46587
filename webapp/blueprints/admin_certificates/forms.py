from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from webapp.blueprints.fields import strip_multiline
from webapp.services.certificates.issuing import MAX_REASON


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for revoking"),
        filters=[strip_multiline],
        validators=[
            DataRequired(message=_l("Please give a reason for revoking.")),
            Length(
                max=MAX_REASON,
                message=_l("The reason may be at most %(max)d characters.", max=MAX_REASON),
            ),
        ],
    )
