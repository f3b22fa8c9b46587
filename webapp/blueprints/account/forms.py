from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length

from webapp.services.accounts import PASSWORD_MAX, PASSWORD_MIN
from webapp.web.fields import strip

_required = InputRequired(message=_l("This field is required."))
_email = Email(message=_l("Please enter a valid e-mail address."), check_deliverability=False)
_password_length = Length(
    min=PASSWORD_MIN,
    max=PASSWORD_MAX,
    message=_l(
        "Password must be between %(min)d and %(max)d characters.",
        min=PASSWORD_MIN,
        max=PASSWORD_MAX,
    ),
)


class RegisterForm(FlaskForm):
    email = EmailField(
        _l("E-mail"), validators=[_required, _email, Length(max=254)], filters=[strip]
    )
    display_name = StringField(
        _l("Display name"),
        validators=[_required, Length(max=80, message=_l("At most 80 characters."))],
        filters=[strip],
        description=_l("Shown on certificates unless you choose otherwise."),
    )
    password = PasswordField(
        _l("Password"),
        validators=[_required, _password_length],
        description=_l("At least 8 characters."),
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[_required, EqualTo("password", message=_l("The passwords do not match."))],
    )


class LoginForm(FlaskForm):
    # No syntax check at login: accounts made by staff or the demo data may use reserved
    # domains such as tanhui.local, which the registration validator refuses.
    email = EmailField(_l("E-mail"), validators=[_required, Length(max=254)], filters=[strip])
    password = PasswordField(_l("Password"), validators=[_required])
    remember = BooleanField(_l("Remember me"))
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[_required])
    password = PasswordField(_l("New password"), validators=[_required, _password_length])
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[_required, EqualTo("password", message=_l("The passwords do not match."))],
    )


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[_required, _email], filters=[strip])


class ResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[_required, _password_length])
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[_required, EqualTo("password", message=_l("The passwords do not match."))],
    )


class PhoneForm(FlaskForm):
    phone = StringField(
        _l("Mobile number"),
        validators=[_required, Length(max=32)],
        filters=[strip],
        description=_l("A mainland China mobile number; we text you a 6-digit code."),
    )
    next = HiddenField()


class PhoneCodeForm(FlaskForm):
    code = StringField(
        _l("Verification code"),
        validators=[_required, Length(max=12)],
        filters=[strip],
        description=_l("The 6-digit code from the text message."),
    )
    display_name = StringField(
        _l("Display name (new accounts)"),
        validators=[Length(max=80, message=_l("At most 80 characters."))],
        filters=[strip],
        description=_l("Shown on certificates; if you leave it empty, your masked number is."),
    )
    remember = BooleanField(_l("Remember me"))


class BindPhoneCodeForm(FlaskForm):
    code = StringField(
        _l("Verification code"),
        validators=[_required, Length(max=12)],
        filters=[strip],
        description=_l("The 6-digit code from the text message."),
    )


class BindEmailForm(FlaskForm):
    email = EmailField(
        _l("E-mail"), validators=[_required, _email, Length(max=254)], filters=[strip]
    )
    password = PasswordField(
        _l("Password"),
        validators=[_required, _password_length],
        description=_l("At least 8 characters."),
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[_required, EqualTo("password", message=_l("The passwords do not match."))],
    )
