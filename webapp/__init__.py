"""Tanhui (碳汇) application factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from webapp.config import ROOT, BaseConfig, ConfigError, load_config


def create_app(config: BaseConfig | str | None = None, **overrides: Any) -> Flask:
    """Build the app. No queries run here: the database is touched only by requests and commands."""
    cfg = config if isinstance(config, BaseConfig) else load_config(config)
    if cfg.ENV_NAME == "production":
        _refuse_unusable_production_settings(cfg)
    app = Flask(
        __name__,
        instance_path=cfg.INSTANCE_PATH,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    app.config.from_object(cfg)
    app.config.update(overrides)
    app.config["ENV_NAME"] = cfg.ENV_NAME
    # The SQLite file, the outbox and the development key live here; a fresh clone has none.
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from webapp import localtime

    localtime.configure(app.config["BABEL_DEFAULT_TIMEZONE"])

    if app.config.get("PROXY_FIX_X_FOR"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_FIX_X_FOR"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)  # type: ignore[method-assign]
    configure_logging(app)
    follow_served_address(app)
    register_extensions(app)
    register_domains(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_cli(app)
    return app


def follow_served_address(app: Flask) -> None:
    """Development without BASE_URL: the base URL becomes the address each request came to.

    Printed links and QR codes are drawn from ``BASE_URL`` in many places (PDFs, plaques,
    posters, e-mails, the scan pack), some of them outside a request. Setting it from the
    request keeps all of them on the address the developer is actually using — another
    port (``flask run --port 5101``) or the machine's LAN address for a phone — where the
    HOST/PORT-derived default (``config.served_address``) cannot know it.
    """
    if not app.config.get("BASE_URL_FOLLOWS_REQUEST"):
        return
    from flask import request

    @app.before_request
    def _base_url_from_request() -> None:
        served = request.host_url.rstrip("/")
        if app.config["BASE_URL"] != served:
            app.config["BASE_URL"] = served


def register_domains(app: Flask) -> None:
    """Domains add their certificate kinds, order fulfillers and after-commit handlers."""
    from webapp import background
    from webapp.services.events import registration as events_registration
    from webapp.services.planting import registration as planting_registration
    from webapp.services.plots import registration as plots_registration

    plots_registration.register()
    events_registration.register()
    planting_registration.register(app)
    background.init_app(app)


def configure_logging(app: Flask) -> None:
    """JSON or text logs with request ids, and request metrics (``webapp/observability.py``)."""
    from webapp import observability

    observability.register(app)


def register_extensions(app: Flask) -> None:
    from webapp import database, models  # noqa: F401 - registers the mappers
    from webapp.extensions import babel, csrf, db, limiter, login_manager, migrate
    from webapp.i18n import register_i18n, select_locale
    from webapp.security import register_security_headers

    database.install_sqlite_pragmas()
    from webapp.services.registry import published

    published.install()  # a transaction that grows the ledger publishes its signed head
    database.register_request_hooks(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "webapp" / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "account.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str):
        # Cookies carry the user's session id (User.get_id), not the row id: rotating it
        # revokes every session and remember-me cookie issued before.
        from webapp.models import User

        if len(session_id) != 32:
            return None
        return db.session.scalar(db.select(User).where(User.session_id == session_id))

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")

    register_i18n(app)
    register_security_headers(app)
    from webapp import input_guard

    input_guard.register(app)


def register_blueprints(app: Flask) -> None:
    from webapp.blueprints.account import bp as account_bp
    from webapp.blueprints.admin import bp as admin_bp
    from webapp.blueprints.api import bp as api_bp
    from webapp.blueprints.calculator import bp as calculator_bp
    from webapp.blueprints.certificates import bp as certificates_bp
    from webapp.blueprints.events import bp as events_bp
    from webapp.blueprints.health import bp as health_bp
    from webapp.blueprints.offset import bp as offset_bp
    from webapp.blueprints.orders import bp as orders_bp
    from webapp.blueprints.payments import bp as payments_bp
    from webapp.blueprints.planting import bp as planting_bp
    from webapp.blueprints.plots import bp as plots_bp
    from webapp.blueprints.public import bp as public_bp
    from webapp.blueprints.registry import bp as registry_bp
    from webapp.blueprints.scan import bp as scan_bp
    from webapp.blueprints.sponsor import bp as sponsor_bp
    from webapp.blueprints.verify import bp as verify_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(registry_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(calculator_bp)
    app.register_blueprint(offset_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(verify_bp)
    app.register_blueprint(certificates_bp)
    app.register_blueprint(plots_bp)
    app.register_blueprint(sponsor_bp)
    app.register_blueprint(scan_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(planting_bp)
    if app.config.get("DEV_PAGES"):
        from webapp.blueprints.dev import bp as dev_bp

        app.register_blueprint(dev_bp)

    from webapp.navigation import register_navigation

    register_navigation(app)
    from webapp.labels import register_labels

    register_labels(app)
    from webapp.web.footprint_presenting import province_name

    app.jinja_env.globals["province_name"] = province_name
    from webapp.web.checkout_fields import register_checkout_globals

    register_checkout_globals(app)

    @app.context_processor
    def inject_globals() -> dict[str, Any]:
        return {
            "languages": app.config["LANGUAGES"],
            "env_name": app.config["ENV_NAME"],
            "config_views": app.view_functions,
        }


def register_error_handlers(app: Flask) -> None:
    from webapp.errors import register_error_handlers as register

    register(app)


def register_cli(app: Flask) -> None:
    from webapp import commands

    commands.register(app)


def _refuse_unusable_production_settings(cfg: BaseConfig) -> None:
    """Production settings whose check needs a service (config.py, the ground floor, does
    not reach up to services): without a usable key every signed page and a paid order's
    fulfilment would fail after start-up, and a half-configured SMS provider would fail at
    the first code sent; refuse to start instead."""
    from webapp.services import keys, sms

    try:
        sms.check_config(vars(cfg))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc

    settings = {
        name: getattr(cfg, name) for name in ("ENV_NAME", "SIGNING_KEY", "SIGNING_KEY_FILE")
    }
    try:
        keys.check(settings)
    except keys.KeyConfigError as exc:
        raise ConfigError(str(exc)) from exc
