"""A per-process cache of rendered verify pages for anonymous visitors.

A scanned certificate is the page the public opens most. Most of its cost is the
coverage look-ups, the inclusion proof and the Jinja page, none of which change while
the certificate's own row does not, except the signed tree head the proof is checked
against, which may be a little older than "now" and still prove inclusion. So:

* key: (public id, language); a hit costs no database round trip;
* an entry lives ``VERIFY_PAGE_CACHE_SECONDS`` (30 by default, 0 = off). That bounds the
  age of the tree head shown and how long a revocation takes to appear on a page already
  cached by another app server (the server that revokes drops its own copy at once). The
  signed revocation list is cached by clients for 300 s, so this is well inside what
  the registry already promises;
* only anonymous GETs without flashed messages use it, and the visitor's own CSRF token
  (the language form) is put back into the stored HTML, so nothing personal is shared.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable

MARK = "\x00csrf\x00"


class PageCache:
    def __init__(self, seconds: float, max_entries: int = 2048) -> None:
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] < now:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, html: str) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + self.seconds, html)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def forget_cached_pages() -> None:
    """Drop this process's cached verify pages (after a revocation it committed)."""
    from flask import current_app

    cache = current_app.extensions.get("tanhui_verify_pages")
    if cache is not None:
        cache.clear()
