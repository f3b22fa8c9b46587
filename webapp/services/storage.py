"""One small interface for shared files: a local folder (default) or S3-compatible storage.

``from_config(config, area)`` gives the store for an area (``certificates``, ``photos``):
the local folder of that area (``CERTIFICATE_DIR``, ``PLOT_PHOTO_DIR``), or, when
``STORAGE_S3_BUCKET`` is set, the bucket under the prefix ``<area>/`` (endpoint from
``STORAGE_S3_ENDPOINT_URL`` for MinIO, Ceph or any S3-compatible server; credentials from
``STORAGE_S3_ACCESS_KEY_ID`` / ``STORAGE_S3_SECRET_ACCESS_KEY`` or boto3's usual chain).
Keys are relative paths made by the callers from validated ids (``ab/ABCDEF.v1.pdf``);
``_check_key`` refuses anything else. Local writes are atomic (temp file, fsync, rename);
an S3 PUT is atomic by nature.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")
FILE_MODE = 0o640  # the app writes, a front server in the group may send


class Store(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def get(self, key: str) -> bytes: ...  # FileNotFoundError when missing
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> bool: ...
    def keys(self, prefix: str) -> list[str]: ...
    def local_path(self, key: str) -> Path | None: ...  # only a local store has paths


def _check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key) or ".." in key.split("/"):
        raise ValueError(f"invalid storage key {key!r}")
    return key


class LocalStore:
    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def local_path(self, key: str) -> Path:
        return self.directory / _check_key(key)

    def put(self, key: str, data: bytes) -> None:
        path = self.local_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fchmod(handle.fileno(), FILE_MODE)
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
        fsync_directory(path.parent)

    def get(self, key: str) -> bytes:
        return self.local_path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self.local_path(key).is_file()

    def delete(self, key: str) -> bool:
        path = self.local_path(key)
        try:
            path.unlink()
        except FileNotFoundError:  # a concurrent cleanup won
            return False
        fsync_directory(path.parent)
        return True

    def keys(self, prefix: str) -> list[str]:
        """Keys in the folder of ``prefix`` whose name starts with its last part."""
        folder, _, start = prefix.rpartition("/")
        base = self.directory / folder if folder else self.directory
        if not base.is_dir():
            return []
        return sorted(
            f"{folder}/{p.name}" if folder else p.name
            for p in base.iterdir()
            if p.is_file() and p.name.startswith(start) and not p.name.startswith(".")
        )


class S3Store:
    def __init__(self, client: Any, bucket: str, prefix: str) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix else ""

    def _key(self, key: str) -> str:
        return self.prefix + _check_key(key)

    def local_path(self, key: str) -> None:
        return None

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            raise FileNotFoundError(key) from None
        return response["Body"].read()

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, key: str) -> bool:
        existed = self.exists(key)
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        return existed

    def keys(self, prefix: str) -> list[str]:
        found = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            found.extend(item["Key"][len(self.prefix) :] for item in page.get("Contents", []))
        return sorted(k for k in found if "/" not in k[len(prefix.rpartition("/")[0]) + 1 :])


_clients: dict[tuple, Any] = {}


def s3_client(config: Mapping[str, Any]) -> Any:
    """One boto3 client per process and settings (clients are thread-safe)."""
    import boto3
    from botocore.config import Config

    settings = (
        config.get("STORAGE_S3_ENDPOINT_URL"),
        config.get("STORAGE_S3_REGION") or "us-east-1",
        config.get("STORAGE_S3_ACCESS_KEY_ID"),
        config.get("STORAGE_S3_SECRET_ACCESS_KEY"),
    )
    if settings not in _clients:
        endpoint, region, key_id, secret = settings
        _clients[settings] = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=3,
                read_timeout=10,
                s3={"addressing_style": "path"},
            ),
        )
    return _clients[settings]


AREAS = {"certificates": "CERTIFICATE_DIR", "photos": "PLOT_PHOTO_DIR"}


def from_config(config: Mapping[str, Any], area: str) -> Store:
    bucket = config.get("STORAGE_S3_BUCKET")
    if bucket:
        return S3Store(s3_client(config), bucket, area)
    return LocalStore(config[AREAS[area]])


def probe(store: Store) -> None:
    """Write, read back and delete a small object; raises when the store is not usable."""
    key = f"readyz/{uuid.uuid4().hex}"
    payload = key.encode()
    store.put(key, payload)
    try:
        if store.get(key) != payload:
            raise OSError("storage probe read back different bytes")
    finally:
        store.delete(key)


def fsync_directory(directory: Path) -> None:
    """Make a rename or unlink durable (POSIX: the directory entry must be synced)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
