"""The OpenAPI document as a generated client and an integrator read it."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from firstmile.api.api import api

SNAPSHOT = Path(__file__).with_name("operation_ids.txt")


def _no_duplicate_keys(pairs):
    keys = [k for k, _v in pairs]
    assert len(keys) == len(set(keys)), f"duplicate keys: {keys}"
    return dict(pairs)


@pytest.fixture(scope="module")
def schema():
    # As served: status codes as strings, and no key twice (200 and "200" both became "200").
    return json.loads(json.dumps(api.get_openapi_schema()), object_pairs_hook=_no_duplicate_keys)


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


def test_the_document_names_its_server_licence_and_contact(schema):
    assert schema["servers"] and schema["servers"][0]["url"] == "/"
    assert schema["info"]["license"]["identifier"] == "Apache-2.0"
    assert schema["info"]["contact"]["name"]
    post = schema["paths"]["/api/v1/orders/arrange-shipment"]["post"]
    assert "Idempotent-Replayed" in post["responses"]["200"]["headers"]
    assert "413" in post["responses"]


def _arrays(schema, node, where, seen=frozenset()):
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            yield from _arrays(schema, schema["components"]["schemas"][name], where, seen | {name})
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for option in node.get(key, []):
            yield from _arrays(schema, option, where, seen)
    if node.get("type") == "array":
        yield where, node
        yield from _arrays(schema, node.get("items", {}), f"{where}[]", seen)
    for name, child in node.get("properties", {}).items():
        yield from _arrays(schema, child, f"{where}.{name}", seen)


def test_every_array_a_client_sends_is_bounded_by_what_the_service_accepts(schema):
    from firstmile.dispatch.services import ROUTE_MAX_AREAS
    from firstmile.pickup.services import MAX_BULK
    from firstmile.reverse.services import MAX_BATCH as REVERSE_BATCH
    from firstmile.shipping.api import SYNC_LABELS
    from firstmile.shipping.jobs import MAX_LABELS
    from firstmile.shipping.services import MAX_BATCH as ARRANGE_BATCH
    from firstmile.switchover.services import BATCH_MAX_AREAS

    limits = {}
    for path, method, operation in _operations(schema):
        for content in operation.get("requestBody", {}).get("content", {}).values():
            for where, array in _arrays(schema, content["schema"], f"{method} {path}"):
                limits[where] = array.get("maxItems")
        for parameter in operation.get("parameters", []):
            for where, array in _arrays(schema, parameter["schema"], f"{method} {path} ?{parameter['name']}"):
                limits[where] = array.get("maxItems")
    assert None not in limits.values(), [w for w, n in limits.items() if n is None]
    assert limits["post /api/v1/orders/arrange-shipment.order_ids"] == ARRANGE_BATCH
    assert limits["post /api/v1/reverse-orders/register-pickup.reverse_order_ids"] == REVERSE_BATCH
    assert limits["post /api/v1/reverse-orders/confirm-destruction.reverse_order_ids"] == REVERSE_BATCH
    assert limits["post /api/v1/pickup-requests/approve.subscription_ids"] == MAX_BULK
    assert limits["post /api/v1/label-batches.waybill_nos"] == MAX_LABELS
    assert limits["get /api/v1/labels.pdf ?waybill"] == SYNC_LABELS
    assert limits["post /api/v1/dispatch/routes.division_codes"] == ROUTE_MAX_AREAS
    assert limits["post /api/v1/switchovers/{switchover_id}/batches.division_codes"] == BATCH_MAX_AREAS


@pytest.mark.django_db
def test_one_id_past_the_batch_limit_is_refused_before_the_service(api):
    from firstmile.accounts.models import OrganisationKind, Role
    from firstmile.events.models import Event
    from firstmile.reverse.services import MAX_BATCH
    from firstmile.shipping.services import MAX_BATCH as ARRANGE_BATCH

    from .. import factories

    client = api(factories.token(factories.organisation(OrganisationKind.MERCHANT), Role.ADMIN))
    events = Event.objects.count()
    too_many = client.post("/orders/arrange-shipment", {"order_ids": list(range(1, ARRANGE_BATCH + 2))})
    assert too_many.status_code == 422 and too_many.json()["field"] == "order_ids"
    too_many = client.post("/reverse-orders/confirm-destruction", {"reverse_order_ids": list(range(1, MAX_BATCH + 2))})
    assert too_many.status_code == 422 and too_many.json()["field"] == "reverse_order_ids"
    assert Event.objects.count() == events
