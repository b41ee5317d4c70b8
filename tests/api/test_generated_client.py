"""An ERP's view: a client generated from the live schema drives the first mile end to end.

openapi-python-client generates a typed client from /api/v1/openapi.json with the
settings docs/clients/openapi-python-client.yaml gives integrators; any warning
about the schema fails the test. The client then talks HTTP to a live server:
warehouse → order → arrange shipment → label → cursor pages → webhook endpoint.
Each answer is parsed by the generated models, so a response that strays from
the schema fails here too.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.carriers.services import coverage_assign
from firstmile.core.clock import beijing

from .. import factories
from ..shipping.conftest import HONGMEI

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "docs" / "clients" / "openapi-python-client.yaml"


@pytest.fixture
def generated(live_server, tmp_path, divisions):
    with urllib.request.urlopen(f"{live_server.url}/api/v1/openapi.json", timeout=30) as response:
        (tmp_path / "openapi.json").write_bytes(response.read())
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("openapi-python-client")),
            "generate",
            "--path",
            str(tmp_path / "openapi.json"),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / "firstmile_client"),
            "--config",
            str(CONFIG),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "Warning" not in output and "Error" not in output, output
    sys.path.insert(0, str(tmp_path))
    try:
        for name in [m for m in sys.modules if m == "firstmile_client" or m.startswith("firstmile_client.")]:
            del sys.modules[name]
        yield importlib.import_module("firstmile_client")
    finally:
        sys.path.remove(str(tmp_path))


def test_an_erp_ships_through_a_generated_client(generated, live_server):
    jt = factories.carrier("JT", with_centre_in="440111107")
    coverage_assign(actor=None, division_code="441900", carrier=jt, valid_from=beijing(2023, 1, 1))
    merchant = factories.organisation(OrganisationKind.MERCHANT, code="dg-lighting")
    token = factories.token(merchant, Role.ADMIN)
    models = importlib.import_module("firstmile_client.models")
    erp = generated.AuthenticatedClient(base_url=live_server.url, token=token, raise_on_unexpected_status=True)

    warehouses_create = importlib.import_module("firstmile_client.api.pickup.warehouses_create")
    warehouses_list = importlib.import_module("firstmile_client.api.pickup.warehouses_list")
    orders_create = importlib.import_module("firstmile_client.api.shipping.orders_create")
    orders_list = importlib.import_module("firstmile_client.api.shipping.orders_list")
    arrange = importlib.import_module("firstmile_client.api.shipping.orders_arrange_shipment")
    label_pdf = importlib.import_module("firstmile_client.api.shipping.waybills_label_pdf")
    label_zpl = importlib.import_module("firstmile_client.api.shipping.waybills_label_zpl")
    endpoints_create = importlib.import_module("firstmile_client.api.webhooks.webhook_endpoints_create")
    deliveries_list = importlib.import_module("firstmile_client.api.webhooks.webhook_deliveries_list")

    saved = warehouses_create.sync(client=erp, body=models.WarehouseIn(**HONGMEI, is_default=True))
    assert isinstance(saved, models.SavedOut) and saved.pickup_requested

    ids = []
    for n in range(3):
        order = orders_create.sync(client=erp, body=models.OrderIn(order_no=f"TT-GEN-{n}"), idempotency_key=f"k{n}")
        assert isinstance(order, models.OrderOut), order
        ids.append(order.id)
    # A retry with the same key acts once and says so.
    again = orders_create.sync_detailed(client=erp, body=models.OrderIn(order_no="TT-GEN-0"), idempotency_key="k0")
    assert again.parsed.id == ids[0] and again.headers["Idempotent-Replayed"] == "true"

    arranged = arrange.sync(client=erp, body=models.ArrangeIn(order_ids=ids))
    assert isinstance(arranged, models.ArrangedOut), arranged
    numbers = [w.waybill_no for w in arranged.waybills]
    assert len(numbers) == 3 and all(n.startswith("JT") for n in numbers)
    # DROP OFF until J&T approves the warehouse's pickup request.
    assert {w.handover_method for w in arranged.waybills} == {"DROP_OFF"}

    pdf = label_pdf.sync(numbers[0], client=erp)
    assert pdf.payload.read().startswith(b"%PDF")
    zpl = label_zpl.sync(numbers[0], client=erp)
    assert zpl.payload.read().startswith(b"^XA")

    seen, cursor = [], generated.types.UNSET
    while True:
        page = orders_list.sync(client=erp, page_size=2, cursor=cursor)
        assert isinstance(page, models.PagedOrderOut), page
        seen += [o.order_no for o in page.results]
        if page.next_cursor is None:
            assert page.next_ is None
            break
        cursor = page.next_cursor
    assert sorted(seen) == ["TT-GEN-0", "TT-GEN-1", "TT-GEN-2"]
    first = warehouses_list.sync(client=erp)
    assert [w.code for w in first.results] == ["DG-HM"] and first.next_cursor is None

    endpoint = endpoints_create.sync(
        client=erp,
        body=models.EndpointIn(url="http://127.0.0.1:9/erp-hook", event_types=["waybill.issued", "order.shipped"]),
    )
    assert isinstance(endpoint, models.EndpointWithSecretOut), endpoint
    assert endpoint.secret.startswith("whsec_")
    log = deliveries_list.sync(client=erp, endpoint_id=endpoint.id)
    assert isinstance(log, models.PagedDeliveryOut) and log.results == []

    # A refusal comes back as the documented error model.
    missing = label_pdf.sync("JT99999999999", client=erp)
    assert isinstance(missing, models.ErrorOut) and missing.field == "waybill"
