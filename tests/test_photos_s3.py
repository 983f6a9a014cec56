"""Photos kept in S3-compatible object storage (Tencent COS, MinIO), end to end
through the app against moto's real HTTP server on 127.0.0.1."""
from __future__ import annotations

import json
import socket
import uuid

import pytest

from server.evidence.photo_files import storage
from server.evidence.storage import S3Storage, photo_key, thumb_key
from tests import factories
from tests.photo_helpers import photo_rows, scene_jpeg, start_shift, stored_keys, upload
from tests.test_storage import aws_env, s3_endpoint  # noqa: F401  (fixtures)

PREFIX = "redvest/evidence"


@pytest.fixture
def bucket(s3_endpoint, aws_env) -> str:  # noqa: F811
    import boto3

    name = f"photos-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="ap-shanghai").create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-shanghai"})
    return name


@pytest.fixture
def s3_app(make_app, s3_endpoint, bucket):  # noqa: F811
    app = make_app(STORAGE_URL=f"s3://{bucket}/{PREFIX}?endpoint_url={s3_endpoint}&region=ap-shanghai")
    with app.app_context():
        yield app


def test_a_photo_goes_to_the_bucket_and_comes_back_through_a_signed_link(s3_app, bucket):
    from tests.factories import County

    county = County.build()
    volunteer = factories.volunteer(county.unit_a)
    client = s3_app.test_client()
    shift_id = start_shift(client, volunteer, county.post_east)

    body = upload(client, volunteer, shift_id, scene_jpeg(50, (2000, 1500))).get_json()

    store = storage(s3_app)
    assert isinstance(store, S3Storage)
    [row] = photo_rows()
    names = {o["Key"] for o in store.client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert names == {f"{PREFIX}/photos/{row['sha256']}.jpg", f"{PREFIX}/thumbs/{row['sha256']}.jpg"}
    head = store.client.head_object(Bucket=bucket, Key=f"{PREFIX}/photos/{row['sha256']}.jpg")
    assert head["ContentType"] == "image/jpeg"
    picture = client.get(body["url"])
    assert picture.status_code == 200 and picture.data == store.get(photo_key(row["sha256"]))
    assert client.get(body["thumbnail_url"]).data == store.get(thumb_key(row["sha256"]))


def test_cleanup_works_on_the_bucket_too(s3_app):
    import hashlib

    store = storage(s3_app)
    orphan = hashlib.sha256(b"left by a crash").hexdigest()
    store.put(photo_key(orphan), b"jpeg", "image/jpeg")
    runner = s3_app.test_cli_runner()

    young = json.loads(runner.invoke(args=["photos", "cleanup", "--json"]).output)
    old = json.loads(runner.invoke(args=["photos", "cleanup", "--json", "--min-age", "0"]).output)

    assert (young["orphans"], young["skipped_young"]) == (0, 1)
    assert old["deleted"] == 1 and stored_keys(s3_app) == set()


def test_an_unreachable_bucket_refuses_the_upload_and_keeps_nothing(make_app, aws_env):  # noqa: F811
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = make_app(STORAGE_URL=f"s3://down?endpoint_url=http://127.0.0.1:{port}&region=ap-shanghai&max_attempts=1")
    with app.app_context():
        from tests.factories import County

        county = County.build()
        volunteer = factories.volunteer(county.unit_a)
        client = app.test_client()
        shift_id = start_shift(client, volunteer, county.post_east)

        res = upload(client, volunteer, shift_id, scene_jpeg(51))

        assert res.status_code == 503
        assert res.get_json()["error"]["code"] == "STORAGE_UNAVAILABLE"
        assert photo_rows() == []
