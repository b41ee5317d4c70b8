"""Test data made through the services, so every row is one the product could make."""

from __future__ import annotations

import itertools
from datetime import time

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import Organisation, OrganisationKind, Role, User
from firstmile.accounts.services import api_token_issue, organisation_create, user_create
from firstmile.carriers.models import Carrier
from firstmile.carriers.services import carrier_create, sorting_centre_create

PASSWORD = "correct-horse-battery-9"
_seq = itertools.count(1)


def organisation(
    kind: str = OrganisationKind.MERCHANT, code: str | None = None, name: str | None = None
) -> Organisation:
    n = next(_seq)
    return organisation_create(actor=None, kind=kind, code=code or f"{kind}-{n}", name=name or f"{kind} {n}")


def user(org: Organisation, role: str = Role.ADMIN, username: str | None = None) -> User:
    return user_create(
        actor=None, organisation=org, username=username or f"user{next(_seq)}", password=PASSWORD, role=role
    )


def actor(org: Organisation | None = None, kind: str = OrganisationKind.MERCHANT, role: str = Role.ADMIN) -> Actor:
    org = org or organisation(kind)
    return Actor.for_user(user(org, role))


def carrier(
    code: str = "JT",
    prefix: str | None = None,
    with_centre_in: str | None = "441900125",
    hotline: str = "4008206207",
) -> Carrier:
    org = organisation(OrganisationKind.CARRIER, name=f"carrier {code}")
    created = carrier_create(
        actor=None,
        organisation=org,
        code=code,
        name_zh=f"{code}速递",
        name_en=f"{code} Express",
        waybill_prefix=prefix or code,
        hotline=hotline,
        service_opens=time(9),
        service_closes=time(19),
    )
    if with_centre_in:
        sorting_centre_create(
            actor=None,
            carrier=created,
            code=f"{code}-HUB",
            name=f"{code} 分拨仓",
            division_code=with_centre_in,
            address_detail="工业路18号",
        )
    return created


def token(org: Organisation, role: str = Role.STAFF) -> str:
    _token, raw = api_token_issue(actor=None, organisation=org, name="test integration", role=role)
    return raw


def png_bytes(colour: str = "red") -> bytes:
    """A real 8 × 8 PNG, for uploads that must be images."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def png_upload(name: str = "photo.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def signature_data_url(*, blank: bool = False, size=(300, 100)) -> str:
    """A signature as the driver page's canvas sends it: a PNG data URL, strokes on transparency."""
    import base64
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(image).line([(20, 70), (90, 20), (160, 80), (260, 30)], fill=(20, 20, 20, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
