"""Reserving plots for a pending order, releasing them, and sponsorship (认建认养).

These are the functions order fulfilment calls, inside its own transaction:

* :func:`reserve` holds one or many available plots for ``holder_ref`` (an order
  reference). It locks the plot rows (``SELECT … FOR UPDATE``, always in id order, so two
  buyers can never deadlock) and either takes all of them or none: if one is not available
  it raises :class:`Conflict` naming it. Asking again with the same holder returns the same
  plots, so retries are harmless.
* :func:`release` returns a holder's reserved plots (order cancelled); :func:`expire_due`
  returns every reservation whose time ran out.
* :func:`sponsor` turns the holder's reservation into a sponsorship with the sponsor's
  dedication and writes a ``sponsorship`` entry to the public ledger. Idempotent.

On SQLite the row locks are not needed: write transactions begin IMMEDIATE and are
serialised (see ``webapp/database.py``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError, NotFound
from webapp.models import DedicationKind, Plot, PlotStatus, Privacy, User
from webapp.models.base import utcnow
from webapp.models.plots import MAX_DEDICATION_MESSAGE, SPONSORED_STATUSES
from webapp.services import audit
from webapp.services.plots.states import plot_transition
from webapp.services.registry import ledger
from webapp.services.registry.privacy import display_name

MAX_PLOTS_PER_RESERVATION = 200
MAX_HOLDER_REF = 64
# A planted plot whose sponsorship was refunded keeps its trees; its holder becomes the
# order's ref with this suffix (see :func:`withdraw`).
WITHDRAWN_SUFFIX = "-refunded"
MAX_SPONSOR_NAME = 120


def _lock(session: Session, statement) -> list[Plot]:
    """Rows of ``statement`` locked for this transaction and re-read from the database."""
    return list(
        session.scalars(
            statement.order_by(Plot.id).with_for_update().execution_options(populate_existing=True)
        )
    )


def _check_holder(holder_ref: str) -> None:
    if not holder_ref or len(holder_ref) > MAX_HOLDER_REF:
        raise DomainError(_l("A reservation needs a reference of at most 64 characters."))


def is_free(plot: Plot, now: datetime) -> bool:
    if plot.status is PlotStatus.AVAILABLE:
        return True
    # A lapsed hold that expire_due has not swept yet is free to take.
    return (
        plot.status is PlotStatus.RESERVED
        and plot.reserved_until is not None
        and plot.reserved_until <= now
    )


def _free(plot: Plot, now: datetime) -> None:
    plot.status = plot_transition(plot.status, PlotStatus.AVAILABLE)
    plot.holder_ref = None
    plot.reserved_until = None
    plot.updated_at = now


def reserve(
    session: Session,
    plots: Sequence[Plot | int],
    holder_ref: str,
    hold: timedelta,
    now: datetime | None = None,
) -> list[Plot]:
    """Hold all of ``plots`` (objects or ids, one site) for ``holder_ref`` until now + hold.

    All or nothing: if any plot is neither available nor already this holder's, raises
    :class:`Conflict` naming it, and nothing changes. Idempotent per ``holder_ref``.
    """
    _check_holder(holder_ref)
    now = now or utcnow()
    ids = sorted({p.id if isinstance(p, Plot) else int(p) for p in plots})
    if not ids:
        raise DomainError(_l("Please choose at least one plot."))
    if len(ids) > MAX_PLOTS_PER_RESERVATION:
        raise DomainError(
            _l("At most %(n)s plots can be reserved at once.", n=MAX_PLOTS_PER_RESERVATION)
        )
    locked = _lock(session, select(Plot).where(Plot.id.in_(ids)))
    if len(locked) != len(ids):
        raise NotFound(_l("One of the chosen plots does not exist."))
    if len({p.site_id for p in locked}) != 1:
        raise DomainError(_l("Plots reserved together must be at the same site."))
    other = session.scalar(
        select(Plot.code).where(
            Plot.holder_ref == holder_ref,
            Plot.id.not_in(ids),
            Plot.status.in_((PlotStatus.RESERVED, *SPONSORED_STATUSES)),
        )
    )
    if other is not None:
        raise Conflict(_l("This reservation already holds other plots; nothing was changed."))

    mine = [
        p for p in locked if p.holder_ref == holder_ref and p.status is not PlotStatus.AVAILABLE
    ]
    taken = [p for p in locked if p not in mine and not is_free(p, now)]
    if taken:
        codes = ", ".join(p.code for p in taken)
        raise Conflict(
            _l(
                "No longer available: plot %(codes)s. Nothing was reserved; "
                "please choose another plot.",
                codes=codes,
            )
        )
    for plot in locked:
        if plot in mine:
            continue
        if plot.status is PlotStatus.RESERVED:  # someone else's lapsed hold
            _free(plot, now)
        plot.status = plot_transition(plot.status, PlotStatus.RESERVED)
        plot.holder_ref = holder_ref
        plot.reserved_until = now + hold
        plot.updated_at = now
    session.flush()
    return locked


def release(session: Session, holder_ref: str, now: datetime | None = None) -> list[Plot]:
    """Return the holder's reserved plots to available (the order was cancelled)."""
    _check_holder(holder_ref)
    now = now or utcnow()
    plots = _lock(
        session,
        select(Plot).where(Plot.holder_ref == holder_ref, Plot.status == PlotStatus.RESERVED),
    )
    for plot in plots:
        _free(plot, now)
    session.flush()
    return plots


def expire_due(session: Session, now: datetime | None = None) -> list[Plot]:
    """Return every reservation whose hold ran out; skips rows another writer holds."""
    now = now or utcnow()
    plots = list(
        session.scalars(
            select(Plot)
            .where(Plot.status == PlotStatus.RESERVED, Plot.reserved_until <= now)
            .order_by(Plot.id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
    )
    freed = []
    for plot in plots:
        if is_free(plot, now):  # re-checked under the lock
            _free(plot, now)
            freed.append(plot)
    session.flush()
    return freed


def _clean_text(value: str) -> str:
    return "".join(ch for ch in value.strip() if ch == "\n" or unicodedata.category(ch)[0] != "C")


def check_dedication(
    sponsor_name: str, privacy: Privacy, dedication: DedicationKind, message: str = ""
) -> tuple[str, str | None]:
    """Validated (name, message); raises DomainError with a message for the form."""
    name = _clean_text(sponsor_name or "").replace("\n", " ")
    if not name or len(name) > MAX_SPONSOR_NAME:
        raise DomainError(_l("Please give the sponsor's name (at most 120 characters)."))
    if not isinstance(privacy, Privacy) or not isinstance(dedication, DedicationKind):
        raise DomainError(_l("Please choose a dedication and how the name may be shown."))
    text = _clean_text(message or "").replace("\r", "")
    if len(text) > MAX_DEDICATION_MESSAGE:
        raise DomainError(_l("The dedication message can have at most 120 characters."))
    return name, text or None


def total_price(plots: Sequence[Plot]) -> Decimal:
    return sum((p.price for p in plots), Decimal("0.00"))


def sponsor(
    session: Session,
    holder_ref: str,
    *,
    user: User,
    sponsor_name: str,
    privacy: Privacy,
    dedication: DedicationKind,
    message: str = "",
    locale: str | None = None,
    expected: Sequence[Plot | int] | None = None,
    names: Mapping[int, str] | None = None,
    now: datetime | None = None,
) -> list[Plot]:
    """Turn the holder's reserved plots into a sponsorship by ``user``.

    ``names`` (plot id → name; group sponsorship) dedicates single plots to other people
    than ``sponsor_name``; every name is checked like the sponsor's.

    A hold that lapsed but was not yet taken by anyone is still the holder's and is
    honoured. Raises :class:`Conflict` when the holder holds no plot any more (expired
    and released, or taken by someone else) or, when ``expected`` (the plots the order
    was for) is given, holds a different set: nothing changes, and the caller must refund
    or let the buyer choose again. Idempotent: once sponsored, asking again returns the
    same plots unchanged.
    """
    _check_holder(holder_ref)
    name, text = check_dedication(sponsor_name, privacy, dedication, message)
    plot_names = {
        plot_id: check_dedication(other, privacy, dedication)[0]
        for plot_id, other in (names or {}).items()
    }
    now = now or utcnow()
    head = ledger.lock_head(session)
    plots = _lock(session, select(Plot).where(Plot.holder_ref == holder_ref))
    plots = [p for p in plots if p.status is not PlotStatus.AVAILABLE]
    if not plots:
        raise Conflict(
            _l("This reservation has expired and its plots were released; nothing was sponsored.")
        )
    if expected is not None:
        wanted = {p.id if isinstance(p, Plot) else int(p) for p in expected}
        if wanted != {p.id for p in plots}:
            raise Conflict(
                _l("Some of the reserved plots were released meanwhile; nothing was sponsored.")
            )
    pending = [p for p in plots if p.status is PlotStatus.RESERVED]
    if not pending:
        return plots
    public = display_name(name, privacy)
    user_id, sponsor_locale = user.id, locale or user.locale or "zh_CN"
    for plot in pending:
        target = plot_transition(plot.status, PlotStatus.SPONSORED)
        plot_name = plot_names.get(plot.id, name)
        plot.reserved_until = None
        plot.sponsor_user_id = user_id
        plot.sponsor_name = plot_name
        plot.sponsor_privacy = privacy
        plot.sponsor_public = display_name(plot_name, privacy)
        plot.sponsor_locale = sponsor_locale
        plot.dedication_kind = dedication
        plot.dedication_message = text
        plot.sponsored_at = now
        plot.updated_at = now
        plot.status = target
    session.flush()
    site = pending[0].site
    ordered = sorted(pending, key=lambda p: p.code)
    body = {
        "site": site.code,
        "plots": [p.code for p in ordered],
        "sponsor": public,
        "dedication": dedication.value,
    }
    if plot_names:
        # Group sponsorship: each plot's name, as the sponsor allowed it to be shown.
        body["dedicated_to"] = [p.sponsor_public for p in ordered]
    ledger.append(session, head, "sponsorship", body, now=now)
    audit.record(
        session,
        "plot.sponsored",
        actor=user,
        subject=site,
        holder_ref=holder_ref,
        plots=[p.code for p in pending],
    )
    return plots


def withdrawn(plot: Plot) -> bool:
    """A plot whose sponsorship was refunded after planting (its trees stand)."""
    return bool(plot.holder_ref) and str(plot.holder_ref).endswith(WITHDRAWN_SUFFIX)


def withdraw(
    session: Session,
    holder_ref: str,
    *,
    reason: str,
    actor: User | None,
    now: datetime | None = None,
) -> list[Plot]:
    """Undo a refunded sponsorship: plots not yet planted become available again; planted
    ones keep their trees and their private record but lose the public name and the
    dedication. Appends a ``sponsorship_withdrawn`` ledger entry. Idempotent."""
    _check_holder(holder_ref)
    now = now or utcnow()
    head = ledger.lock_head(session)
    plots = _lock(
        session,
        select(Plot).where(Plot.holder_ref == holder_ref, Plot.status.in_(SPONSORED_STATUSES)),
    )
    if not plots:
        return []
    freed, kept = [], []
    for plot in plots:
        if plot.status is PlotStatus.SPONSORED:
            plot.status = plot_transition(plot.status, PlotStatus.AVAILABLE)
            plot.holder_ref = None
            for field in (
                "sponsor_user_id",
                "sponsor_name",
                "sponsor_privacy",
                "sponsor_public",
                "sponsor_locale",
                "dedication_kind",
                "dedication_message",
                "sponsored_at",
            ):
                setattr(plot, field, None)
            freed.append(plot.code)
        else:
            # The trees stand: keep who paid (private), hide the name, drop the dedication,
            # and release the holder so the refund is not applied twice.
            plot.sponsor_privacy = Privacy.ANONYMOUS
            plot.sponsor_public = None
            plot.dedication_kind = None
            plot.dedication_message = None
            plot.holder_ref = f"{holder_ref}{WITHDRAWN_SUFFIX}"[:MAX_HOLDER_REF]
            kept.append(plot.code)
        plot.updated_at = now
    session.flush()
    ledger.append(
        session,
        head,
        "sponsorship_withdrawn",
        {"site": plots[0].site.code, "freed": sorted(freed), "kept_planted": sorted(kept)},
        now=now,
    )
    audit.record(
        session,
        "plot.sponsorship_withdrawn",
        actor=actor,
        subject=plots[0].site,
        holder_ref=holder_ref,
        reason=reason[:200],
        freed=sorted(freed),
        kept=sorted(kept),
    )
    return plots
