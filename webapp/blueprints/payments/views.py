from __future__ import annotations

import logging

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import OperationalError

from webapp.blueprints.payments import bp
from webapp.extensions import csrf, db
from webapp.models import DemoCheckout, Order, OrderStatus, PaymentMethod
from webapp.models.base import utcnow
from webapp.observability import PAYMENT_EVENTS
from webapp.services import keys, orders
from webapp.services.payments import alipay_provider, checkout, gateway, notifications
from webapp.services.payments import wechatpay_provider as wechatpay
from webapp.services.payments.alipay_provider import AlipayProvider
from webapp.services.payments.demo_provider import DemoProvider
from webapp.services.payments.providers import (
    PaymentProvider,
    ProviderError,
    ProviderEvent,
    SignatureError,
)
from webapp.services.payments.wechatpay_provider import WeChatPayProvider
from webapp.unit_of_work import committing
from webapp.web.checkout_fields import on_phone, return_urls

log = logging.getLogger(__name__)


def _process(provider: PaymentProvider, event: ProviderEvent) -> notifications.NotificationOutcome:
    """Handle one verified event in its own transaction, then the side effects."""
    key, _keyring = keys.signing(current_app.config)
    with committing(db.session):  # each paid order's receipt and PDFs follow the commit
        outcome = notifications.handle(db.session, provider, event, key=key)
    PAYMENT_EVENTS.labels(outcome.result).inc()
    return outcome


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    config = current_app.config
    if not (config.get("STRIPE_SECRET_KEY") and config.get("STRIPE_WEBHOOK_SECRET")):
        abort(404)
    provider = gateway.provider_for(config, PaymentMethod.STRIPE)
    payload = request.get_data(cache=False)
    try:
        event = provider.parse_event(payload, request.headers.get("Stripe-Signature"))
    except SignatureError as exc:
        log.warning("Stripe webhook refused: %s", exc)
        return jsonify(error="invalid signature"), 400
    try:
        outcome = _process(provider, event)
    except (ProviderError, OperationalError) as exc:
        # Stripe retries non-2xx deliveries: let it, rather than lose the event.
        db.session.rollback()
        log.warning("Stripe event %s deferred: %s", event.id, exc)
        return jsonify(error="try again later"), 503
    return jsonify(received=True, result=outcome.result)


def _demo() -> DemoProvider:
    if current_app.config.get("ENV_NAME") == "production":
        abort(404)
    return DemoProvider(current_app.config)


def _checkout(session_id: str) -> DemoCheckout:
    checkout = db.session.get(DemoCheckout, session_id) if len(session_id) <= 40 else None
    if checkout is None:
        abort(404)
    return checkout


@bp.get("/pay/demo/<session_id>")
def demo_checkout(session_id: str):
    _demo()
    checkout = _checkout(session_id)
    order = db.session.scalar(db.select(Order).where(Order.ref == checkout.order_ref))
    return render_template("payments/demo.html", checkout=checkout, order=order)


@bp.post("/pay/demo/<session_id>/<action>")
def demo_action(session_id: str, action: str):
    provider = _demo()
    checkout = _checkout(session_id)
    ref = checkout.order_ref
    if action not in ("pay", "cancel"):
        abort(404)
    try:
        # The provider's own record first, as a real provider would have it before notifying.
        with committing(db.session):
            if action == "pay":
                payload, signature = provider.pay(db.session, session_id)
            else:
                payload, signature = provider.cancel(db.session, session_id)
    except ProviderError as exc:
        flash(_("The demo payment could not be made: %(error)s", error=str(exc)), "error")
        return redirect(url_for("orders.detail", ref=ref))
    _process(provider, provider.parse_event(payload, signature))
    if action == "pay":
        return redirect(url_for("orders.returned", ref=ref))
    return redirect(url_for("orders.detail", ref=ref))


@bp.post("/webhooks/wechatpay")
@csrf.exempt
def wechatpay_webhook():
    """WeChat Pay's payment and refund notifications: 204 once handled (or a duplicate);
    4xx/5xx with ``{"code": "FAIL"}`` makes WeChat Pay retry (it signs each retry anew)."""
    config = current_app.config
    if not wechatpay.configured(config):
        abort(404)
    provider = gateway.provider_for(config, PaymentMethod.WECHAT_PAY)
    assert isinstance(provider, WeChatPayProvider)
    try:
        event = provider.parse_notification(request.headers, request.get_data(cache=False))
    except SignatureError as exc:
        log.warning("WeChat Pay notification refused: %s", exc)
        return jsonify(code="FAIL", message="invalid signature"), 401
    try:
        outcome = _process(provider, event)
    except (ProviderError, OperationalError) as exc:
        db.session.rollback()
        log.warning("WeChat Pay notification %s deferred: %s", event.id, exc)
        return jsonify(code="FAIL", message="try again later"), 503
    log.info("WeChat Pay notification %s: %s", event.id, outcome.result)
    return Response(status=204)


@bp.post("/webhooks/alipay")
@csrf.exempt
def alipay_webhook():
    """Alipay's asynchronous notifications, answered ``success`` (plain text) once handled
    or a duplicate; anything else makes Alipay retry."""
    config = current_app.config
    if not alipay_provider.configured(config):
        abort(404)
    provider = gateway.provider_for(config, PaymentMethod.ALIPAY)
    assert isinstance(provider, AlipayProvider)
    try:
        event = provider.parse_notification(request.form)
    except SignatureError as exc:
        log.warning("Alipay notification refused: %s", exc)
        return Response("fail", status=400, mimetype="text/plain")
    try:
        outcome = _process(provider, event)
    except (ProviderError, OperationalError) as exc:
        db.session.rollback()
        log.warning("Alipay notification %s deferred: %s", event.id, exc)
        return Response("fail", status=503, mimetype="text/plain")
    log.info("Alipay notification %s: %s", event.id, outcome.result)
    return Response("success", mimetype="text/plain")


@bp.get("/pay/alipay/<ref>")
@login_required
def alipay_checkout(ref: str):
    """Send the buyer to Alipay: page pay on a computer, WAP pay on a phone, signed now."""
    config = current_app.config
    order = orders.find(db.session, ref) if len(ref) <= 16 else None
    if (
        order is None
        or order.user_id != current_user.id
        or order.method is not PaymentMethod.ALIPAY
    ):
        abort(404)
    if order.status is not OrderStatus.PENDING:
        return redirect(url_for("orders.detail", ref=ref))
    expires_at = checkout.checkout_expires_at(order)
    if not alipay_provider.configured(config) or expires_at is None:
        flash(_("The payment service could not be reached; please try again."), "error")
        return redirect(url_for("orders.detail", ref=ref))
    if expires_at <= utcnow():
        flash(_("The time to pay for this order has ended; please start a new order."), "error")
        return redirect(url_for("orders.detail", ref=ref))
    provider = gateway.provider_for(config, PaymentMethod.ALIPAY)
    assert isinstance(provider, AlipayProvider)
    success_url, _cancel = return_urls(ref)
    return redirect(
        provider.pay_url(
            order,
            mobile=on_phone(),
            return_url=success_url.split("?", 1)[0],
            description=checkout.description(order),
            expires_at=expires_at,
        )
    )
