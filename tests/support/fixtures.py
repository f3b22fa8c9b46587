"""The fixtures shared by more than one test folder, registered for the whole suite by
``tests/conftest.py`` (``pytest_plugins``). Plain helpers are in the other modules of
``tests/support``; fixtures used by one folder only stay in that folder's conftest.

* Stripe stand-in: ``localstripe`` (session scope) ->
  :class:`~tests.support.localstripe_server.LocalStripe`: one localstripe subprocess for
  the whole run (``.url``, ``.request``, ``.register_webhook``), stopped (terminate, kill
  on timeout) at the end.
* ``stripe_fake`` (function scope, needs only ``localstripe``) -> the run's one running
  :class:`~tests.support.stripe_fake.StripeFake`, ``reset()`` before and after the test (no
  sessions, events, recorded requests, idempotency keys or webhook target left from another
  test; localstripe's objects are not flushed, their ids are random). Its ``url`` stays the
  same all run, so ``STRIPE_API_BASE = stripe_fake.url`` can be configured once.
  ``stripe_fake.client()`` is an SDK client on it.
* ``stripe_fake_session`` (session scope) -> the same StripeFake, not reset, for session-scoped
  fixtures such as a live server.
* ``webhook_receiver`` (function scope) -> a started
  :class:`~tests.support.stripe_fake.WebhookReceiver` (``.url``, ``.wait_for_event(type)``).
* ``stripe_app``: the app configured to pay through the Stripe stand-in.
* WeChat Pay and Alipay stand-ins: ``wechatpay_fake`` / ``alipay_fake`` (function scope,
  reset before and after; one server each per run: ``wechatpay_fake_session``,
  ``alipay_fake_session``) -> :class:`~tests.support.wechatpay_fake.WeChatPayFake`,
  :class:`~tests.support.alipay_fake.AlipayFake`; ``china_pay_app``: the app with both
  configured on them.
* Registry: ``admins`` (maker and checker), ``project``, ``on_sale`` (issuance factory);
  payments: ``credits`` (TA-CLS, 10 t at ¥80/t), ``buyer``; plots: ``photo_dir``, ``site``,
  ``species``, ``make_plot``, ``sponsor_plot``; certificates: ``issue_certificate``,
  ``issue_plot_certificate``, ``english`` (a client reading English), ``rendered`` (every
  kind in both languages, rendered once).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.support.alipay_fake import AlipayFake
from tests.support.certificates import KINDS, LOCALES, make
from tests.support.localstripe_server import LocalStripe, start_localstripe
from tests.support.payments import STRIPE_WEBHOOK_SECRET
from tests.support.plots import make_site
from tests.support.registry import HOLD, make_project
from tests.support.stripe_fake import StripeFake, WebhookReceiver
from tests.support.wechatpay_fake import WeChatPayFake
from webapp.extensions import db
from webapp.models import (
    Certificate,
    Delivery,
    IssuanceStatus,
    MemorialSite,
    Privacy,
    Purpose,
)
from webapp.services import keys
from webapp.services.certificates import issuing
from webapp.services.certificates.context import CertificateContext, Details
from webapp.services.certificates.render import Rendered, render
from webapp.services.certificates.token import CertificateKind
from webapp.services.plots import catalogue
from webapp.services.registry import allocation, ledger
from webapp.services.registry import allocation as alloc
from webapp.services.registry import issuance as issuance_service

# The one StripeFake per localstripe server; stopped with that server.
_shared_fakes: dict[str, StripeFake] = {}


def shared_stripe_fake(server: LocalStripe) -> StripeFake:
    """The running StripeFake in front of ``server`` (started on first use)."""
    fake = _shared_fakes.get(server.url)
    if fake is None:
        fake = _shared_fakes[server.url] = StripeFake(server.url)
    if not fake.running:  # new, or a test stopped it (say, to play "Stripe is down")
        fake.start()
    return fake


@pytest.fixture(scope="session")
def localstripe() -> Iterator[LocalStripe]:
    server = start_localstripe()
    try:
        yield server
    finally:
        fake = _shared_fakes.pop(server.url, None)
        if fake is not None:
            fake.stop()
        server.stop()


@pytest.fixture(scope="session")
def stripe_fake_session(localstripe: LocalStripe) -> StripeFake:
    return shared_stripe_fake(localstripe)


@pytest.fixture
def stripe_fake(localstripe: LocalStripe) -> Iterator[StripeFake]:
    fake = shared_stripe_fake(localstripe)
    fake.reset()
    yield fake
    fake.reset()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def stripe_app(app, stripe_fake):
    app.config.update(
        PAYMENT_PROVIDER="stripe",
        STRIPE_SECRET_KEY="sk_test_123",
        STRIPE_WEBHOOK_SECRET=STRIPE_WEBHOOK_SECRET,
        STRIPE_API_BASE=stripe_fake.url,
    )
    return app


# ---- WeChat Pay and Alipay stand-ins (one server each per run, emptied for every test)


@pytest.fixture(scope="session")
def wechatpay_fake_session(tmp_path_factory) -> Iterator[WeChatPayFake]:
    fake = WeChatPayFake(tmp_path_factory.mktemp("wechatpay")).start()
    yield fake
    fake.stop()


@pytest.fixture
def wechatpay_fake(wechatpay_fake_session: WeChatPayFake) -> Iterator[WeChatPayFake]:
    wechatpay_fake_session.reset()
    yield wechatpay_fake_session
    wechatpay_fake_session.reset()


@pytest.fixture(scope="session")
def alipay_fake_session(tmp_path_factory) -> Iterator[AlipayFake]:
    fake = AlipayFake(tmp_path_factory.mktemp("alipay")).start()
    yield fake
    fake.stop()


@pytest.fixture
def alipay_fake(alipay_fake_session: AlipayFake) -> Iterator[AlipayFake]:
    alipay_fake_session.reset()
    yield alipay_fake_session
    alipay_fake_session.reset()


@pytest.fixture
def china_pay_app(app, wechatpay_fake, alipay_fake):
    """The app with WeChat Pay and Alipay configured on the local servers (the demo
    provider stays the default)."""
    app.config.update(wechatpay_fake.app_config())
    app.config.update(alipay_fake.app_config())
    return app


# ---- registry


@pytest.fixture
def admins(make_user):
    return make_user("admin", email="maker@example.cn"), make_user("admin", email="checker@x.cn")


@pytest.fixture
def project(app):
    p = make_project()
    db.session.commit()
    return p


@pytest.fixture
def on_sale(admins):
    """Factory: an approved, on-sale issuance of ``quantity_kg`` for a project."""
    maker, checker = admins

    def make(project, quantity_kg=10_000, vintage=2024, price="80.00", delivery=Delivery.VERIFIED):
        extra = {}
        if delivery is Delivery.PROJECTED:
            extra = {"expected_from": 2027, "expected_to": 2031}
        draft = issuance_service.IssuanceDraft(
            vintage=vintage,
            period_start=date(vintage, 1, 1),
            period_end=date(vintage, 12, 31),
            quantity_kg=quantity_kg,
            price_per_tonne=Decimal(price),
            delivery=delivery,
            **extra,
        )
        iss = issuance_service.draft(db.session, project, draft, actor=maker)
        issuance_service.approve(db.session, iss, actor=checker)
        issuance_service.set_status(db.session, iss, IssuanceStatus.ON_SALE, actor=checker)
        db.session.commit()
        return iss

    return make


# ---- payments


@pytest.fixture
def credits(app, on_sale):
    """TA-CLS with 10 t on sale at ¥80/t (verified, vintage 2024)."""
    project = make_project()
    db.session.commit()
    on_sale(project, quantity_kg=10_000, price="80.00")
    return project


@pytest.fixture
def buyer(make_user, auth):
    user = make_user("resident", email="buyer@example.cn", name="林小树")
    auth.login("buyer@example.cn")
    return user


# ---- plots


@pytest.fixture
def photo_dir(app, tmp_path):
    """Rangers' photos in this test's own folder (autouse in the plots and scan folders)."""
    app.config["PLOT_PHOTO_DIR"] = str(tmp_path / "plot-photos")
    return tmp_path / "plot-photos"


@pytest.fixture
def site(app) -> MemorialSite:
    s = make_site()
    db.session.commit()
    return s


@pytest.fixture
def species(site):
    sp = catalogue.add_species(
        db.session,
        site,
        code="arborvitae",
        name_zh="侧柏",
        name_en="Chinese arborvitae",
        factor_id="forest.project.suichuan.per_mu",
        planting_seasons_zh="春季",
        planting_seasons_en="Spring",
    )
    db.session.commit()
    return sp


@pytest.fixture
def make_plot(site, species):
    """Factory: a committed plot of 1.5 mu and 100 trees at (x, y)."""
    counter = {"n": 0}

    def make(code: str | None = None, x: float | None = None, y: float = 10.0):
        counter["n"] += 1
        n = counter["n"]
        x0 = x if x is not None else 10.0 + (n - 1) * 25 % 100
        plot = catalogue.add_plot(
            db.session,
            site,
            code=code or f"A-{n:02d}",
            species=species,
            price=Decimal("600.00"),
            polygon=[[x0, y], [x0 + 20, y], [x0 + 20, y + 20], [x0, y + 20]],
            area_mu=Decimal("1.50"),
            tree_count=100,
        )
        db.session.commit()
        return plot

    return make


@pytest.fixture
def sponsor_plot():
    """Sponsor a plot through the services, as order fulfilment will."""

    from webapp.models import DedicationKind, Privacy
    from webapp.services.plots import reservations

    def sponsor(plot, user, name="李梅", privacy=Privacy.FULL, message="愿你长青"):
        ref = f"T-{plot.id}"
        reservations.reserve(db.session, [plot], ref, timedelta(minutes=30))
        reservations.sponsor(
            db.session,
            ref,
            user=user,
            sponsor_name=name,
            privacy=privacy,
            dedication=DedicationKind.WEDDING,
            message=message,
            locale="en",
        )
        db.session.commit()
        return plot

    return sponsor


# ---- certificates


@pytest.fixture
def issue_certificate(app, on_sale):
    """Factory: a committed, valid offset certificate on a retired allocation."""
    state: dict[str, object] = {"n": 0, "projects": {}}

    def project_for(code: str, delivery: Delivery):
        projects = state["projects"]
        if code not in projects:
            project = make_project(code)
            db.session.commit()
            on_sale(project, quantity_kg=1_000_000, delivery=delivery)
            projects[code] = project
        return projects[code]

    def make(
        *,
        owner=None,
        kg: int = 2417,
        name: str = "王小林",
        privacy: Privacy = Privacy.FULL,
        purpose: Purpose = Purpose.HOUSEHOLD_YEAR,
        detail: str = "2025",
        locale: str = "zh_CN",
        project_code: str = "TA-CLS",
        delivery: Delivery = Delivery.VERIFIED,
    ) -> Certificate:
        state["n"] += 1
        project = project_for(project_code, delivery)
        held = allocation.reserve(db.session, project, kg, f"cert-test-{state['n']}", hold=HOLD)
        allocation.retire(
            db.session,
            held,
            allocation.Beneficiary(
                name=name, privacy=privacy, purpose=purpose, purpose_detail=detail
            ),
        )
        key, _keyring = keys.signing(app.config)
        certificate = issuing.issue(
            db.session,
            key=key,
            kind=CertificateKind.OFFSET,
            holder_name=name,
            privacy=privacy,
            locale=locale,
            owner=owner,
            quantity_kg=kg,
            allocation_id=held.id,
        )
        db.session.commit()
        return certificate

    return make


@pytest.fixture
def english(client):
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def issue_plot_certificate(app):
    """A plot certificate as order fulfilment will issue it (owner = the plot's sponsor)."""

    def issue(plot, holder_name: str, privacy: Privacy = Privacy.FULL) -> Certificate:
        key, _keyring = keys.signing(app.config)
        certificate = issuing.issue(
            db.session,
            key=key,
            kind=CertificateKind.PLOT,
            holder_name=holder_name,
            privacy=privacy,
            locale="zh_CN",
            owner=plot.sponsor,
            plot_code=plot.code,
        )
        db.session.commit()
        return certificate

    return issue


@pytest.fixture(scope="session")
def rendered() -> dict[tuple[str, str], tuple[CertificateContext, Details, Rendered]]:
    """Every kind in both languages, rendered once for the whole session."""
    out = {}
    for kind in KINDS:
        for locale in LOCALES:
            ctx, details = make(kind, locale)
            out[kind, locale] = (ctx, details, render(ctx, details))
    return out


@pytest.fixture
def busy_ledger(project, on_sale):
    """An issuance plus a dozen reservations, retirements and a release: ~30 entries."""
    on_sale(project, 100_000)
    for i in range(12):
        a = alloc.reserve(db.session, project, 100 + i, f"order-{i}", hold=HOLD)
        if i % 4 == 3:
            alloc.release(db.session, a, expired=False)
        else:
            alloc.retire(
                db.session,
                a,
                alloc.Beneficiary(name=f"居民{i}", privacy=Privacy.FULL, purpose=Purpose.GIFT),
            )
    db.session.commit()
    return ledger.size(db.session)
