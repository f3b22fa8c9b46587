"""Locale selection and locale-aware formatting filters."""

from __future__ import annotations

from decimal import Decimal

from flask import Flask, current_app, has_request_context, request
from flask_babel import format_decimal, get_locale
from flask_login import current_user

LANG_COOKIE = "lang"


def select_locale() -> str:
    """The user's saved choice, then the language cookie, then Chinese."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, workers: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    cookie = request.cookies.get(LANG_COOKIE)
    if cookie in languages:
        return cookie
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_lang() -> str:
    """'zh' or 'en' — for picking bilingual model fields."""
    return "en" if str(get_locale()).startswith("en") else "zh"


def html_lang() -> str:
    return "en" if current_lang() == "en" else "zh-CN"


def money(value: Decimal | int | str | None) -> str:
    """An amount in 元 with the sign people in China read in both languages (¥, not the
    "CN¥" an English locale would print), grouped and with its fen, as :func:`yuan` does."""
    if value is None:
        return ""
    amount = Decimal(value)
    sign = "−" if amount < 0 else ""
    return f"{sign}¥{format_decimal(abs(amount), format='#,##0.00')}"


def yuan(value: Decimal | int | str | None) -> str:
    """An amount in 元 as Chinese receipts print it, in every language: ¥1,234.50."""
    if value is None:
        return ""
    return f"¥{Decimal(value):,.2f}"


def tonnes_from_kg(kg: int | Decimal | None, digits: int = 3) -> str:
    if kg is None:
        return ""
    tonnes = Decimal(kg) / Decimal(1000)
    return format_decimal(tonnes, format=f"#,##0.{'0' * digits}")


def number(value: Decimal | int | float | None, digits: int = 2) -> str:
    if value is None:
        return ""
    pattern = "#,##0" + (f".{'#' * digits}" if digits else "")
    return format_decimal(value, format=pattern)


def colon() -> str:
    """The colon after a label: full-width in Chinese text (「合计：」), "Total: " in English."""
    return ": " if current_lang() == "en" else "："


def paren(text: object) -> str:
    """``text`` in brackets: full-width in Chinese (（…）), half-width in English."""
    return f"({text})" if current_lang() == "en" else f"（{text}）"


def register_i18n(app: Flask) -> None:
    app.jinja_env.globals["colon"] = colon
    app.jinja_env.globals["paren"] = paren
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["yuan"] = yuan
    app.jinja_env.filters["tonnes"] = tonnes_from_kg
    app.jinja_env.filters["number"] = number
    app.jinja_env.globals["current_lang"] = current_lang
    app.jinja_env.globals["html_lang"] = html_lang
