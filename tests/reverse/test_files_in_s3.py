"""Files through an S3 API for real: the storage docs/deploy.md configures, against a bucket over HTTP.

moto's S3 server (an implementation of the S3 API in Python, on a local port) stands in
for the object store, since CI has none; the product's side is unchanged: the
`STORAGES["default"]` that settings.py builds from the FIRSTMILE_S3_* variables,
django-storages and boto3 signing and sending every request over the network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import boto3
import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from moto.server import ThreadedMotoServer

from firstmile.reverse.models import ReverseOrder

from .. import factories
from ..jobs import finished
from .test_api import _raise as raise_reverse_order

pytestmark = pytest.mark.django_db
BUCKET = "firstmile-files"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "firstmile-test", "AWS_SECRET_ACCESS_KEY": "firstmile-test-secret"}

SETTINGS_SCRIPT = """
import json
from django.conf import settings
print(json.dumps(settings.STORAGES["default"]))
"""


@pytest.fixture(scope="module")
def s3_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server, settings, monkeypatch):
    """A fresh private bucket, and the default storage as settings.py configures it for that bucket."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    environ = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "firstmile.settings",
        "FIRSTMILE_STORAGE": "s3",
        "FIRSTMILE_S3_BUCKET": BUCKET,
        "FIRSTMILE_S3_ENDPOINT_URL": s3_server,
        "FIRSTMILE_S3_REGION": "cn-shenzhen",
        "FIRSTMILE_S3_ADDRESSING_STYLE": "path",
    }
    out = subprocess.run([sys.executable, "-c", SETTINGS_SCRIPT], env=environ, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    default = json.loads(out.stdout.strip().splitlines()[-1])
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"

    client = boto3.client("s3", endpoint_url=s3_server, region_name="cn-shenzhen")
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "cn-shenzhen"})
    settings.STORAGES = {**settings.STORAGES, "default": default}
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys(client) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def _private(client, key: str) -> bool:
    grants = client.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
    return all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers / AuthenticatedUsers grant


def test_a_file_saved_twice_under_one_name_keeps_both(bucket):
    storage = storages["default"]
    first = storage.save("jobs/result/report.csv", ContentFile(b"first"))
    second = storage.save("jobs/result/report.csv", ContentFile(b"second"))
    assert first != second
    assert _keys(bucket) == sorted([f"firstmile/{first}", f"firstmile/{second}"])
    with storage.open(first, "rb") as fh:
        assert fh.read() == b"first"
    assert all(_private(bucket, key) for key in _keys(bucket))


def _raised(client, **extra) -> int:
    created = raise_reverse_order(client, **extra)
    assert created.status_code == 201, created.content
    return created.json()["id"]


def test_an_export_job_writes_to_the_bucket_and_is_downloaded_through_its_owner(
    bucket, api, warehouse_operator, merchant
):
    merchant_api = api(factories.token(merchant.organisation))
    warehouse_api = api(factories.token(warehouse_operator.organisation))
    for n in range(3):
        _raised(warehouse_api, order_no=f"S3-{n}")

    queued = merchant_api.client.post("/api/v1/reverse-orders/exports?format=csv", headers=merchant_api.headers)
    assert queued.status_code == 202, queued.content
    job = finished(queued).job
    [key] = _keys(bucket)
    assert key == f"firstmile/{job.result_file.name}" and key.startswith("firstmile/jobs/result/")
    assert _private(bucket, key)

    result = merchant_api.client.get(f"/api/v1/jobs/{job.pk}/result", headers=merchant_api.headers)
    assert result.status_code == 200
    body = b"".join(result.streaming_content)
    assert body == bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert body.decode("utf-8-sig").count("\n") == 4
    assert warehouse_api.client.get(f"/api/v1/jobs/{job.pk}/result", headers=warehouse_api.headers).status_code == 404


def test_an_uploaded_import_is_read_back_by_the_worker(bucket, api, warehouse_operator, merchant):
    warehouse_api = api(factories.token(warehouse_operator.organisation))
    content = (
        "商家编码,订单号,逆向类型,处理方式,经营方式,仓库编码,仓库名称,货主ID,货主名称\n"
        "dg-lighting,S3-IMPORT,仓拦截成功,退运,寄售,W,仓,O,主\n"
    ).encode()
    response = warehouse_api.client.post(
        "/api/v1/reverse-orders/import", {"file": SimpleUploadedFile("r.csv", content)}, headers=warehouse_api.headers
    )
    assert response.status_code == 202, response.content
    [key] = _keys(bucket)
    assert key.startswith("firstmile/jobs/input/")
    assert bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read() == content
    assert finished(response).json()["imported"] == 1
    assert ReverseOrder.objects.filter(order_no="S3-IMPORT").exists()


def test_a_destruction_photo_goes_to_the_bucket_and_only_its_merchant_reads_it(
    bucket, api, warehouse_operator, merchant
):
    warehouse_api = api(factories.token(warehouse_operator.organisation))
    merchant_api = api(factories.token(merchant.organisation))
    with time_machine.travel(datetime(2024, 7, 24, 2, 0, tzinfo=UTC), tick=False):
        order_id = _raised(warehouse_api, order_no="S3-PHOTO", reverse_type="customs_failed", disposition="destroy")
        confirmed = merchant_api.post("/reverse-orders/confirm-destruction", {"reverse_order_ids": [order_id]})
        assert confirmed.status_code == 200
    with time_machine.travel(datetime(2024, 7, 24, 4, 0, tzinfo=UTC), tick=False):
        done = warehouse_api.client.post(
            f"/api/v1/reverse-orders/{order_id}/destroyed",
            {
                "destroyed_at": "2024-07-24T11:30:00+08:00",
                "photo": SimpleUploadedFile("p.png", factories.png_bytes(), content_type="image/png"),
            },
            headers=warehouse_api.headers,
        )
    assert done.status_code == 200, done.content
    [key] = _keys(bucket)
    assert key.startswith("firstmile/destruction/2024/07/") and _private(bucket, key)

    photo = merchant_api.client.get(
        f"/api/v1/reverse-orders/{order_id}/destruction-photo", headers=merchant_api.headers
    )
    assert photo.status_code == 200
    assert b"".join(photo.streaming_content) == bucket.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    stranger = api(factories.token(factories.organisation()))
    assert stranger.get(f"/reverse-orders/{order_id}/destruction-photo").status_code == 404
