"""State machines of the registry: one table and one transition function each."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from webapp.errors import Conflict
from webapp.models import AllocationState, IssuanceStatus

ISSUANCE_TRANSITIONS: dict[IssuanceStatus, frozenset[IssuanceStatus]] = {
    IssuanceStatus.DRAFT: frozenset({IssuanceStatus.APPROVED}),
    IssuanceStatus.APPROVED: frozenset({IssuanceStatus.ON_SALE, IssuanceStatus.CLOSED}),
    IssuanceStatus.ON_SALE: frozenset({IssuanceStatus.CLOSED}),
    IssuanceStatus.CLOSED: frozenset({IssuanceStatus.ON_SALE}),
}

ALLOCATION_TRANSITIONS: dict[AllocationState, frozenset[AllocationState]] = {
    AllocationState.RESERVED: frozenset(
        {AllocationState.RETIRED, AllocationState.EXPIRED, AllocationState.RELEASED}
    ),
    AllocationState.RETIRED: frozenset({AllocationState.REVERSED}),
    AllocationState.EXPIRED: frozenset(),
    AllocationState.RELEASED: frozenset(),
    AllocationState.REVERSED: frozenset(),
}


def issuance_transition(current: IssuanceStatus, target: IssuanceStatus) -> IssuanceStatus:
    if target not in ISSUANCE_TRANSITIONS[current]:
        raise Conflict(
            _l("An issuance cannot go from %(a)s to %(b)s.", a=current.value, b=target.value)
        )
    return target


def allocation_transition(current: AllocationState, target: AllocationState) -> AllocationState:
    if target not in ALLOCATION_TRANSITIONS[current]:
        raise Conflict(
            _l("A reservation cannot go from %(a)s to %(b)s.", a=current.value, b=target.value)
        )
    return target
