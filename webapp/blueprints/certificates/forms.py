from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField

from webapp.services.certificates.shares import MAX_ROWS


class SharesForm(FlaskForm):
    file = FileField(
        _l("CSV file of names"),
        validators=[FileRequired(message=_l("Choose a CSV file to upload."))],
        description=_l(
            "One person per line: the name, then optionally the kilograms for that person. "
            "At most %(max)d names.",
            max=MAX_ROWS,
        ),
    )
    privacy = SelectField(
        _l("Names on the public verification page"),
        choices=[
            SelectChoice("initials", _l("Initials only (王**, M. L.)")),
            SelectChoice("full", _l("Full names")),
            SelectChoice("anonymous", _l("No names (anonymous)")),
        ],
        default="initials",
        description=_l("Each person's own PDF always shows the full name."),
    )
    locale = SelectField(
        _l("Language printed first"),
        choices=[SelectChoice("zh_CN", "中文"), SelectChoice("en", "English")],
        default="zh_CN",
    )
