"""Reusable pytest fixtures for the Stripe stand-in. In a conftest.py:

    from tests.support.fixtures import localstripe, stripe_fake  # noqa: F401

* ``localstripe`` (session scope) -> :class:`~tests.support.localstripe_server.LocalStripe`:
  one localstripe subprocess for the whole run (``.url``, ``.request``, ``.register_webhook``),
  stopped (terminate, kill on timeout) at the end.
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
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.localstripe_server import LocalStripe, start_localstripe
from tests.support.stripe_fake import StripeFake, WebhookReceiver

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
