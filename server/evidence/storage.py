"""Where photo files live: a local folder or an S3-compatible bucket.

The backend is picked by one URL in the config, so development, a single
server and Tencent COS / MinIO differ only in settings:

    file:///var/lib/redvest/photos
    s3://bucket/prefix?endpoint_url=https://cos.ap-shanghai.myqcloud.com&region=ap-shanghai

Keys are never built from anything a client sent. They are ``photos/<sha256>.jpg``
or ``thumbs/<sha256>.jpg`` and every backend refuses anything else, so a key
cannot name a path outside the store. S3 credentials come from the usual
``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` environment, never the URL.
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

from server.errors import ServiceUnavailable

_KEY = re.compile(r"(photos|thumbs)/([0-9a-f]{64})\.jpg")
_FILE_NAME = re.compile(r"[0-9a-f]{64}\.jpg")


class StorageError(ServiceUnavailable):
    """The backend failed (disk, network, permissions). Surfaces as a 503; the
    cause is chained for the log."""

    status, code, message = 503, "STORAGE_UNAVAILABLE", "照片存储暂时不可用，请稍后重试"


class StorageNotFound(KeyError):
    """No object under this key."""


class InvalidKey(ValueError):
    """A key that is not ``photos/<sha256>.jpg`` or ``thumbs/<sha256>.jpg``:
    a programming error, never a client's."""


def photo_key(sha256: str) -> str:
    return _checked(f"photos/{sha256}.jpg")


def thumb_key(sha256: str) -> str:
    return _checked(f"thumbs/{sha256}.jpg")


def is_valid_key(key: str) -> bool:
    return isinstance(key, str) and _KEY.fullmatch(key) is not None


def _checked(key: str) -> str:
    if not is_valid_key(key):
        raise InvalidKey(f"invalid storage key: {key!r}")
    return key


class StoredObject(NamedTuple):
    key: str
    modified_at: datetime  # aware UTC; lets a cleanup leave files of in-flight uploads alone


class Storage(ABC):
    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store `data` under `key`, replacing what was there, all or nothing."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """Return the bytes, or raise :class:`StorageNotFound`."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def iter_objects(self) -> Iterator[StoredObject]:
        """Every valid key in the store with its last modification time, in no
        particular order. Anything else found there (temp files, foreign
        objects) is skipped."""

    def check(self) -> None:
        """Raise :class:`StorageError` unless the store answers (for /readyz)."""
        self.exists(photo_key("0" * 64))

    def iter_keys(self) -> Iterator[str]:
        """Every valid key in the store, in no particular order."""
        for found in self.iter_objects():
            yield found.key


def open_storage(url: str) -> Storage:
    """Build the backend a storage URL names; raises ValueError on a bad URL so
    a misconfigured server fails at startup, not on the first upload."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or parts.query:
            raise ValueError(f"storage URL must look like file:///absolute/dir: {url!r}")
        path = unquote(parts.path)
        if not os.path.isabs(path):
            raise ValueError(f"storage folder must be absolute: {url!r}")
        return LocalStorage(path)
    if parts.scheme == "s3":
        if not parts.hostname or "@" in parts.netloc:
            raise ValueError("storage URL must look like s3://bucket/prefix; "
                             "credentials belong in AWS_* environment variables")
        options = {name: values[-1] for name, values in parse_qs(parts.query, strict_parsing=False).items()}
        unknown = set(options) - {"endpoint_url", "region", "addressing_style", "max_attempts"}
        if unknown:
            raise ValueError(f"unknown s3 storage option(s): {sorted(unknown)}")
        return S3Storage(
            parts.netloc,
            unquote(parts.path).strip("/"),
            endpoint_url=options.get("endpoint_url"),
            region=options.get("region"),
            addressing_style=options.get("addressing_style"),
            max_attempts=int(options.get("max_attempts", 3)),
        )
    raise ValueError(f"unsupported storage URL scheme: {parts.scheme!r}")


class LocalStorage(Storage):
    """Files under one folder, fanned out as ``photos/ab/cd/<sha256>.jpg`` so
    no directory grows past a few hundred entries."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = os.path.realpath(root)
        os.makedirs(self.root, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalStorage({self.root!r})"

    def check(self) -> None:
        # A mount that went away or turned read-only fails uploads; say so before they do.
        if not os.path.isdir(self.root) or not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageError()

    def _path(self, key: str) -> str:
        kind, sha = _KEY.fullmatch(_checked(key)).groups()  # type: ignore[union-attr]
        path = os.path.realpath(os.path.join(self.root, kind, sha[:2], sha[2:4], f"{sha}.jpg"))
        # The key pattern already rules out "..", but a symlink placed inside
        # the folder could still lead elsewhere; resolve and compare.
        if os.path.commonpath([self.root, path]) != self.root:
            raise InvalidKey(f"storage key resolves outside {self.root}: {key!r}")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        folder = os.path.dirname(path)
        try:
            created = not os.path.isdir(folder)
            os.makedirs(folder, exist_ok=True)
            # Write beside the target and rename over it: readers see the old
            # file or the new one, never half of one, even if we crash midway.
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(tmp, 0o644)
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            # The rename is only durable once the directory entry is on disk,
            # and so are any fan-out folders we just created.
            for directory in _dirs_up_to(folder, self.root if created else folder):
                _fsync_dir(directory)
        except OSError as exc:
            raise StorageError() from exc

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            with open(path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            raise StorageNotFound(key) from None
        except OSError as exc:
            raise StorageError() from exc

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StorageError() from exc

    def exists(self, key: str) -> bool:
        return os.path.isfile(self._path(key))

    def iter_objects(self) -> Iterator[StoredObject]:
        def fail(exc: OSError) -> None:
            raise StorageError() from exc

        for kind in ("photos", "thumbs"):
            top = os.path.join(self.root, kind)
            if not os.path.isdir(top):
                continue
            for folder, _dirs, files in os.walk(top, onerror=fail):
                for name in files:
                    if not _FILE_NAME.fullmatch(name):
                        continue
                    # Only a file where its own key would put it counts: a copy
                    # elsewhere is not reachable through get().
                    if os.path.join(top, name[:2], name[2:4]) != folder:
                        continue
                    try:
                        mtime = os.stat(os.path.join(folder, name)).st_mtime
                    except FileNotFoundError:
                        continue  # deleted while we walked
                    except OSError as exc:
                        raise StorageError() from exc
                    yield StoredObject(f"{kind}/{name}", datetime.fromtimestamp(mtime, timezone.utc))


def _dirs_up_to(folder: str, stop: str) -> list[str]:
    dirs = [folder]
    while folder != stop and os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
        dirs.append(folder)
    return dirs


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3Storage(Storage):
    """An S3-compatible bucket (AWS, Tencent COS, MinIO), objects under
    ``<prefix>/<key>``."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 region: str | None = None, addressing_style: str | None = None,
                 max_attempts: int = 3, client: Any = None) -> None:
        # Imported here so processes on local storage never load boto3 (~40 MB).
        from botocore.exceptions import BotoCoreError, ClientError

        self._errors = (BotoCoreError, ClientError)
        self._client_error = ClientError
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if client is None:
            import boto3
            from botocore.config import Config

            config = Config(
                region_name=region,
                connect_timeout=5,
                read_timeout=30,
                # total, first try included ("max_attempts" here would mean retries)
                retries={"total_max_attempts": max_attempts, "mode": "standard"},
                s3={"addressing_style": addressing_style} if addressing_style else None,
                # botocore >= 1.36 adds CRC checksums and aws-chunked uploads by
                # default, which COS and older MinIO reject; ask only when needed.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            )
            client = boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)
        self.client = client

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def _name(self, key: str) -> str:
        _checked(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _is_missing(self, exc: Exception) -> bool:
        if not isinstance(exc, self._client_error):
            return False
        # HEAD answers have no body, so a missing object is just "404" there.
        return exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound")

    def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data,
                                   ContentType=content_type)
        except self._errors as exc:
            raise StorageError() from exc

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
            return response["Body"].read()
        except self._errors as exc:
            if self._is_missing(exc):
                raise StorageNotFound(key) from None
            raise StorageError() from exc

    def delete(self, key: str) -> None:
        try:  # S3 deletes are already idempotent
            self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        except self._errors as exc:
            raise StorageError() from exc

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
            return True
        except self._errors as exc:
            if self._is_missing(exc):
                return False
            raise StorageError() from exc

    def iter_objects(self) -> Iterator[StoredObject]:
        start = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start)
        try:
            for page in pages:
                for item in page.get("Contents", ()):
                    key = item["Key"][len(start):]
                    if is_valid_key(key):
                        yield StoredObject(key, item["LastModified"].astimezone(timezone.utc))
        except self._errors as exc:
            raise StorageError() from exc
