"""The process's signing key and keyring, from configuration.

Production: ``SIGNING_KEY`` (PEM or 32-byte seed) is required and never generated.
Development and tests: ``SIGNING_KEY_FILE`` is created on first use (mode 0600).
Retired public keys (JWK list in ``RETIRED_KEYS_FILE``) keep verifying after a rotation.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from webapp.services.signing import (
    Keyring,
    SigningKey,
    VerifyingKey,
    load_or_create_key_file,
    load_signing_key,
)

_lock = threading.Lock()
_cache: dict[tuple[str, str, str], tuple[SigningKey, Keyring]] = {}


class KeyConfigError(RuntimeError):
    pass


def _load(config: dict[str, Any]) -> tuple[SigningKey, Keyring]:
    if config.get("SIGNING_KEY"):
        key = load_signing_key(config["SIGNING_KEY"])
    elif config.get("ENV_NAME") == "production":
        raise KeyConfigError("SIGNING_KEY must be set in production.")
    else:
        key = load_or_create_key_file(config["SIGNING_KEY_FILE"])
    retired: list[VerifyingKey] = []
    retired_file = config.get("RETIRED_KEYS_FILE")
    if retired_file and Path(retired_file).is_file():
        for jwk in json.loads(Path(retired_file).read_text(encoding="utf-8")):
            retired.append(VerifyingKey.from_jwk(jwk))
    return key, Keyring(key, retired=retired)


def signing(config: dict[str, Any]) -> tuple[SigningKey, Keyring]:
    """(current signing key, keyring) for this configuration, loaded once per process."""
    cache_key = (
        str(config.get("SIGNING_KEY") or ""),
        str(config.get("SIGNING_KEY_FILE")),
        str(config.get("RETIRED_KEYS_FILE") or ""),
    )
    with _lock:
        if cache_key not in _cache:
            _cache[cache_key] = _load(config)
        return _cache[cache_key]
