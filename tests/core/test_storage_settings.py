"""Files go to the local disk by default and to an S3-compatible bucket when configured."""

import json
import os
import subprocess
import sys

SCRIPT = """
import json
import django
django.setup()
from django.core.files.storage import storages
default_storage = storages["default"]
print(json.dumps({
    "class": type(default_storage).__module__ + "." + type(default_storage).__name__,
    "bucket": getattr(default_storage, "bucket_name", None),
    "endpoint": getattr(default_storage, "endpoint_url", None),
    "location": getattr(default_storage, "location", None),
    "acl": getattr(default_storage, "default_acl", "n/a"),
    "overwrite": getattr(default_storage, "file_overwrite", None),
}))
"""


def _storage(**env):
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "firstmile.settings", **env}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=environ, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_local_disk_by_default():
    assert _storage()["class"] == "django.core.files.storage.filesystem.FileSystemStorage"


def test_an_s3_compatible_bucket_when_asked():
    storage = _storage(
        FIRSTMILE_STORAGE="s3",
        FIRSTMILE_S3_BUCKET="firstmile-files",
        FIRSTMILE_S3_ENDPOINT_URL="https://oss-cn-shenzhen.aliyuncs.com",
    )
    assert storage == {
        "class": "storages.backends.s3.S3Storage",
        "bucket": "firstmile-files",
        "endpoint": "https://oss-cn-shenzhen.aliyuncs.com",
        "location": "firstmile",
        "acl": None,
        "overwrite": False,
    }
