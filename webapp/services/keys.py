"""The process's signing key and keyring, from configuration.

Every environment: ``SIGNING_KEY`` (PEM or 32-byte seed) when set, else the PEM in
``SIGNING_KEY_FILE``. Production never generates a key: a missing or unreadable file is a
configuration error (start-up and ``/readyz`` fail), since a fresh key per server would sign
certificates nobody else can verify. Development and tests create the file on first use
(mode 0600).
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
        try:
            key = load_signing_key(config["SIGNING_KEY"])
        except ValueError as exc:
            raise KeyConfigError(f"SIGNING_KEY is unusable: {exc}") from exc
    elif config.get("ENV_NAME") == "production":
        path = config.get("SIGNING_KEY_FILE")
        if not path:
            raise KeyConfigError("SIGNING_KEY or SIGNING_KEY_FILE must be set in production.")
        try:
            key = load_signing_key(Path(path).read_bytes())
        except OSError as exc:
            raise KeyConfigError(f"SIGNING_KEY_FILE {path} cannot be read: {exc}") from exc
        except ValueError as exc:
            raise KeyConfigError(f"SIGNING_KEY_FILE {path} is unusable: {exc}") from exc
    else:
        key = load_or_create_key_file(config["SIGNING_KEY_FILE"])
    retired: list[VerifyingKey] = []
    retired_file = config.get("RETIRED_KEYS_FILE")
    if retired_file and Path(retired_file).is_file():
        for jwk in json.loads(Path(retired_file).read_text(encoding="utf-8")):
            retired.append(VerifyingKey.from_jwk(jwk))
    return key, Keyring(key, retired=retired)


def check(config: dict[str, Any]) -> None:
    """Raise KeyConfigError unless this configuration's key loads and signs what it verifies.

    Not cached: a key file removed or broken after start-up fails the readiness probe."""
    key, _keyring = _load(config)
    message = b"tanhui readiness probe"
    if not key.verifying_key.verify(message, key.sign(message)):
        raise KeyConfigError("the signing key does not verify its own signature")


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
