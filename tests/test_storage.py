"""Photo storage backends: a local folder and an S3-compatible bucket (moto's
real HTTP server, so boto3 runs exactly as against COS or MinIO)."""
from __future__ import annotations

import hashlib
import os
import socket
import uuid

import pytest

from server.evidence import storage as storage_module
from server.evidence.storage import (
    InvalidKey,
    LocalStorage,
    S3Storage,
    StorageError,
    StorageNotFound,
    open_storage,
    photo_key,
    thumb_key,
)

SHA_A = hashlib.sha256(b"a").hexdigest()
SHA_B = hashlib.sha256(b"b").hexdigest()

BAD_KEYS = [
    "../etc/passwd",
    "photos/../../etc/passwd",
    f"photos/../{SHA_A}.jpg",
    f"/photos/{SHA_A}.jpg",
    f"photos/{SHA_A.upper()}.jpg",
    f"photos/{SHA_A}.png",
    f"photos/{SHA_A}.jpg\n",
    f"photos/{SHA_A}.jpg/..",
    f"photos\\..\\{SHA_A}.jpg",
    f"avatars/{SHA_A}.jpg",
    f"photos/{SHA_A[:-1]}.jpg",
    "",
]


def test_keys_are_named_by_hash_only():
    assert photo_key(SHA_A) == f"photos/{SHA_A}.jpg"
    assert thumb_key(SHA_A) == f"thumbs/{SHA_A}.jpg"
    with pytest.raises(InvalidKey):
        photo_key("../../etc/passwd")


# --- local folder -------------------------------------------------------------

@pytest.fixture
def local(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "store")


def test_a_stored_photo_reads_back_from_a_fanned_out_path(local):
    local.put(photo_key(SHA_A), b"jpeg bytes", "image/jpeg")

    assert local.get(photo_key(SHA_A)) == b"jpeg bytes"
    assert local.exists(photo_key(SHA_A))
    assert os.path.isfile(os.path.join(local.root, "photos", SHA_A[:2], SHA_A[2:4], f"{SHA_A}.jpg"))
    assert not local.exists(thumb_key(SHA_A))


def test_putting_again_replaces_the_file(local):
    local.put(photo_key(SHA_A), b"old", "image/jpeg")
    local.put(photo_key(SHA_A), b"new", "image/jpeg")
    assert local.get(photo_key(SHA_A)) == b"new"


def test_a_missing_photo_is_not_found(local):
    with pytest.raises(StorageNotFound):
        local.get(photo_key(SHA_A))
    with pytest.raises(KeyError):  # StorageNotFound is a KeyError for callers that care
        local.get(photo_key(SHA_A))


def test_deleting_is_idempotent(local):
    local.put(photo_key(SHA_A), b"x", "image/jpeg")
    local.delete(photo_key(SHA_A))
    local.delete(photo_key(SHA_A))
    assert not local.exists(photo_key(SHA_A))


def test_a_failed_write_leaves_the_previous_file_and_no_debris(local, monkeypatch):
    key = photo_key(SHA_A)
    local.put(key, b"complete old photo", "image/jpeg")

    def crash(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage_module.os, "replace", crash)
    with pytest.raises(StorageError) as caught:
        local.put(key, b"new photo that never lands", "image/jpeg")
    monkeypatch.undo()

    assert caught.value.status == 503 and caught.value.code == "STORAGE_UNAVAILABLE"
    assert isinstance(caught.value.__cause__, OSError)
    assert local.get(key) == b"complete old photo"
    folder = os.path.dirname(os.path.join(local.root, "photos", SHA_A[:2], SHA_A[2:4], "x"))
    assert os.listdir(folder) == [f"{SHA_A}.jpg"]


def test_a_write_is_flushed_to_disk_before_it_becomes_visible(local, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append("fsync")
        real_fsync(fd)

    def replace(source, target):
        events.append("replace")
        real_replace(source, target)

    monkeypatch.setattr(storage_module.os, "fsync", fsync)
    monkeypatch.setattr(storage_module.os, "replace", replace)

    local.put(photo_key(SHA_A), b"x", "image/jpeg")

    # The file's own fsync, the rename, then the directories holding it.
    assert events[:2] == ["fsync", "replace"] and events[2:] and set(events[2:]) == {"fsync"}


@pytest.mark.parametrize("key", BAD_KEYS)
def test_a_key_that_could_leave_the_folder_is_refused(local, key):
    for operation in (
        lambda: local.put(key, b"x", "image/jpeg"),
        lambda: local.get(key),
        lambda: local.delete(key),
        lambda: local.exists(key),
    ):
        with pytest.raises(InvalidKey):
            operation()
    assert not any(files for _, _, files in os.walk(local.root))


def test_a_symlink_inside_the_folder_cannot_lead_writes_outside(local, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, os.path.join(local.root, "photos"))

    with pytest.raises(InvalidKey):
        local.put(photo_key(SHA_A), b"x", "image/jpeg")
    assert not list(outside.iterdir())


def test_listing_keys_skips_temp_files_and_strays(local):
    local.put(photo_key(SHA_A), b"a", "image/jpeg")
    local.put(thumb_key(SHA_A), b"a", "image/jpeg")
    local.put(photo_key(SHA_B), b"b", "image/jpeg")
    folder = os.path.join(local.root, "photos", SHA_A[:2], SHA_A[2:4])
    open(os.path.join(folder, ".tmp-abc.part"), "wb").close()
    open(os.path.join(local.root, "photos", f"{SHA_B}.jpg"), "wb").close()  # not where its key puts it
    open(os.path.join(local.root, "README"), "wb").close()

    assert set(local.iter_keys()) == {photo_key(SHA_A), thumb_key(SHA_A), photo_key(SHA_B)}
    assert list(LocalStorage(local.root + "-empty").iter_keys()) == []


def test_a_file_url_opens_a_local_folder(tmp_path):
    store = open_storage(f"file://{tmp_path}/photos%20store")
    assert isinstance(store, LocalStorage)
    assert store.root == os.path.realpath(tmp_path / "photos store")
    assert os.path.isdir(store.root)


@pytest.mark.parametrize("url", [
    "file://relative/dir",
    "file:relative",
    "ftp://host/dir",
    "/plain/path",
    "s3:///no-bucket",
    "s3://AKIA:secret@bucket/prefix",
    "s3://bucket/prefix?endpoint=http://typo",
])
def test_a_bad_storage_url_fails_at_startup(url):
    with pytest.raises(ValueError):
        open_storage(url)


# --- S3-compatible bucket -------------------------------------------------------

@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def bucket(s3_endpoint, aws_env) -> str:
    name = f"redvest-{uuid.uuid4().hex[:12]}"
    import boto3

    boto3.client("s3", endpoint_url=s3_endpoint, region_name="ap-shanghai").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-shanghai"})
    return name


@pytest.fixture
def s3(s3_endpoint, bucket) -> S3Storage:
    store = open_storage(f"s3://{bucket}/evidence/2024?endpoint_url={s3_endpoint}&region=ap-shanghai")
    assert isinstance(store, S3Storage)
    return store


def test_a_photo_round_trips_through_the_bucket_under_its_prefix(s3):
    s3.put(photo_key(SHA_A), b"jpeg bytes", "image/jpeg")

    assert s3.get(photo_key(SHA_A)) == b"jpeg bytes"
    assert s3.exists(photo_key(SHA_A))
    head = s3.client.head_object(Bucket=s3.bucket, Key=f"evidence/2024/photos/{SHA_A}.jpg")
    assert head["ContentType"] == "image/jpeg"


def test_a_missing_object_is_not_found_and_deleting_it_is_fine(s3):
    assert not s3.exists(photo_key(SHA_B))
    with pytest.raises(StorageNotFound):
        s3.get(photo_key(SHA_B))
    s3.delete(photo_key(SHA_B))

    s3.put(photo_key(SHA_B), b"b", "image/jpeg")
    s3.delete(photo_key(SHA_B))
    s3.delete(photo_key(SHA_B))
    assert not s3.exists(photo_key(SHA_B))


def test_listing_the_bucket_yields_only_our_keys(s3):
    s3.put(photo_key(SHA_A), b"a", "image/jpeg")
    s3.put(thumb_key(SHA_A), b"a", "image/jpeg")
    s3.client.put_object(Bucket=s3.bucket, Key="evidence/2024/photos/notes.txt", Body=b"x")
    s3.client.put_object(Bucket=s3.bucket, Key=f"elsewhere/photos/{SHA_B}.jpg", Body=b"x")

    assert set(s3.iter_keys()) == {photo_key(SHA_A), thumb_key(SHA_A)}


def test_listing_pages_through_many_objects(s3_endpoint, bucket):
    store = S3Storage(bucket, endpoint_url=s3_endpoint, region="ap-shanghai")
    keys = {photo_key(hashlib.sha256(str(i).encode()).hexdigest()) for i in range(1005)}
    for key in keys:
        store.client.put_object(Bucket=bucket, Key=key, Body=b"")
    assert set(store.iter_keys()) == keys


@pytest.mark.parametrize("key", BAD_KEYS)
def test_the_bucket_refuses_bad_keys_too(s3, key):
    with pytest.raises(InvalidKey):
        s3.put(key, b"x", "image/jpeg")


def test_an_unreachable_endpoint_is_a_storage_error(aws_env):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = open_storage(f"s3://bucket?endpoint_url=http://127.0.0.1:{port}"
                         "&region=ap-shanghai&max_attempts=1")

    for operation in (
        lambda: store.put(photo_key(SHA_A), b"x", "image/jpeg"),
        lambda: store.get(photo_key(SHA_A)),
        lambda: store.exists(photo_key(SHA_A)),
        lambda: store.delete(photo_key(SHA_A)),
        lambda: list(store.iter_keys()),
    ):
        with pytest.raises(StorageError) as caught:
            operation()
        assert caught.value.status == 503


def test_a_server_that_goes_away_is_a_storage_error(aws_env):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    store = open_storage(f"s3://gone?endpoint_url=http://{host}:{port}&region=us-east-1&max_attempts=1")
    store.client.create_bucket(Bucket="gone")
    store.put(photo_key(SHA_A), b"x", "image/jpeg")
    server.stop()

    with pytest.raises(StorageError):
        store.get(photo_key(SHA_A))


def test_a_missing_bucket_is_a_storage_error_not_a_missing_photo(s3_endpoint, aws_env):
    name = f"no-such-bucket-{uuid.uuid4().hex[:8]}"
    store = open_storage(f"s3://{name}?endpoint_url={s3_endpoint}&region=ap-shanghai")
    with pytest.raises(StorageError):
        store.put(photo_key(SHA_A), b"x", "image/jpeg")
    with pytest.raises(StorageError):
        store.get(photo_key(SHA_A))
