"""Copies derived from a certificate (its public record, its rendered verify page), keyed by
the state they were built from, so that none can be served once that state has changed.

Every verify request reads the certificate's own row (by its unique public id) and the
size of the latest published tree head, in one query. The key of every derived copy holds
what of them the copy shows: the status, the revocation time and reason, the holder's
public name, and the published head (its size: one head is published per size). A
revocation changes the row in the transaction that revokes, so the first request after
that commit, on any process, has a key no copy was built for: it builds afresh. Nothing
here expires by time and nothing needs to be told about a change for the answers to be
right; :func:`certificates_changed` only frees the memory of copies that can no longer be
hit.

Registry facts shown on the page (serials, project, purpose, the ledger entry) are fixed
once a certificate is issued (a partial refund that moves serials revokes and re-issues);
display names of a project refresh with the next published head or
:func:`certificates_changed`.

Copies live per process (an LRU of :data:`MAX_ENTRIES`); there is no shared copy to keep
in step across servers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

MAX_ENTRIES = 4096
_ATTRIBUTE = "_tanhui_certificate_copies"


class Copies:
    """A thread-safe LRU of derived copies; keys are ``(kind, public id, ...)``."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def drop(self, public_ids: Iterable[str]) -> int:
        wanted = set(public_ids)
        with self._lock:
            gone = [k for k in self._entries if isinstance(k, tuple) and k[1] in wanted]
            for k in gone:
                del self._entries[k]
            return len(gone)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


_fallback = Copies()


def copies(config: Mapping[str, Any]) -> Copies:
    """This process's copies for the app of ``config`` (apps in one process never share)."""
    found = getattr(config, _ATTRIBUTE, None)
    if found is None:
        try:
            found = Copies()
            setattr(config, _ATTRIBUTE, found)
        except AttributeError:  # a plain mapping: one store for all of them
            return _fallback
    return found


def state_key(
    certificate_id: int,
    public_id: str,
    status: object,
    revoked_at: datetime | None,
    revocation_reason: str | None,
    holder_public: str | None,
    head_size: int | None,
) -> tuple[Hashable, ...]:
    """What a copy of a certificate's record shows that may change after issue, and the
    published head it proves against (one head per tree size, so the size names it)."""
    if revoked_at is not None:
        # The same instant whichever way it was read: typed by the ORM (aware, UTC) or
        # as the driver gives it (aware, in the connection's time zone; naive is UTC).
        if revoked_at.tzinfo is None:
            revoked_at = revoked_at.replace(tzinfo=UTC)
        revoked_at = revoked_at.astimezone(UTC)
    return (
        public_id,
        certificate_id,
        str(getattr(status, "value", status)),
        revoked_at.isoformat() if revoked_at is not None else None,
        revocation_reason,
        holder_public,
        head_size,
    )


def certificates_changed(config: Mapping[str, Any], public_ids: Iterable[str]) -> int:
    """Drop this process's copies of these certificates (after a commit that changed them).

    An optimisation only: copies are keyed by the state they show, so a stale one is never
    served even when this is not called (the process died after the commit, or another
    server committed). Returns how many copies were dropped.
    """
    ids = [p for p in public_ids if p]
    if not ids:
        return 0
    return copies(config).drop(ids)
