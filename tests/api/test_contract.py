"""The OpenAPI document as a generated client and an integrator read it."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from firstmile.api.api import api

SNAPSHOT = Path(__file__).with_name("operation_ids.txt")


@pytest.fixture(scope="module")
def schema():
    return json.loads(json.dumps(api.get_openapi_schema()))  # as served: status codes as strings


def _operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_operation_ids_are_short_unique_and_as_recorded(schema):
    """A generated client's function names: renaming one breaks every integration using it.

    If this fails because an operation was added, renamed or removed on purpose,
    update tests/api/operation_ids.txt in the same change.
    """
    ids = [operation["operationId"] for _path, _method, operation in _operations(schema)]
    assert len(ids) == len(set(ids))
    assert all(len(i) <= 40 and i.replace("_", "").isalnum() and i.islower() for i in ids), ids
    current = sorted(f"{op['operationId']} {method.upper()} {path}" for path, method, op in _operations(schema))
    assert current == SNAPSHOT.read_text().splitlines()


def test_every_list_documents_its_cursor_and_returns_it_beside_the_link(schema):
    lists = 0
    for path, method, operation in _operations(schema):
        names = {p["name"]: p for p in operation.get("parameters", [])}
        if method != "get" or "cursor" not in names:
            continue
        lists += 1
        assert "next_cursor" in names["cursor"]["description"], path
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        assert {"results", "next_cursor", "next"} <= set(page["properties"]), path
        assert "next_cursor" in page["required"], path
    assert lists >= 12


def test_every_download_declares_its_media_types(schema):
    downloads = {
        "/api/v1/waybills/{waybill_no}/label.pdf": {"application/pdf"},
        "/api/v1/waybills/{waybill_no}/label.zpl": {"application/zpl"},
        "/api/v1/labels.pdf": {"application/pdf"},
        "/api/v1/labels.zpl": {"application/zpl"},
        "/api/v1/handover-lists/{handover_id}/pdf": {"application/pdf"},
        "/api/v1/reverse-orders/export": {
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
        "/api/v1/jobs/{job_id}/result": {
            "application/pdf",
            "application/zpl",
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
        "/api/v1/dispatch/proofs/{proof_id}/photo": {"image/jpeg", "image/png", "image/webp", "image/gif"},
        "/api/v1/reverse-orders/{reverse_order_id}/destruction-photo": {
            "image/jpeg",
            "image/png",
            "image/webp",
            "image/gif",
        },
    }
    for path, types in downloads.items():
        content = schema["paths"][path]["get"]["responses"]["200"]["content"]
        assert set(content) == types, path
        assert all(c["schema"] == {"type": "string", "format": "binary"} for c in content.values())
    # And every 200 of a GET says what it carries: none is left without a body.
    for path, method, operation in _operations(schema):
        if method == "get":
            assert operation["responses"]["200"].get("content"), path


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", [None, 2])  # the prepared page and the generic one
def test_pages_carry_their_cursors_as_values_and_links(page_size, api):
    from firstmile.accounts.models import OrganisationKind, Role

    from .. import factories
    from ..shipping.conftest import HONGMEI

    merchant = factories.organisation(OrganisationKind.MERCHANT)
    client = api(factories.token(merchant, Role.ADMIN))
    for n in range(3 if page_size else 52):
        body = {**HONGMEI, "name": f"仓{n}", "code": f"W{n}", "address_detail": f"工业路{n}号"}
        assert client.post("/warehouses", body).status_code == 201
    params = {"page_size": page_size} if page_size else {}
    seen, pages, page = [], 0, client.get("/warehouses", **params).json()
    while True:
        pages += 1
        seen += [w["id"] for w in page["results"]]
        if page["next_cursor"] is None:
            assert page["next"] is None
            break
        assert parse_qs(urlsplit(page["next"]).query)["cursor"] == [page["next_cursor"]]
        following = client.get("/warehouses", cursor=page["next_cursor"], **params).json()
        assert following["previous_cursor"] is not None
        page = following
    assert len(seen) == len(set(seen)) == (3 if page_size else 52) and pages == 2
