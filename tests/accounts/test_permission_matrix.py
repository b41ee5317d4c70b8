"""Every role of every party against every operation of the permission table.

Each cell is tried through the API as a person would (portal session) and, for the
roles a token can carry, as an integration would (bearer token). An allowed cell
must get past the role check (and, where the world below makes it possible,
succeed); a refused one must get 403 and change nothing: no row, no event.
Operations the API does not offer are tried on the service itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client

from firstmile.accounts.actor import Actor
from firstmile.accounts.models import OrganisationKind, Role, User
from firstmile.accounts.permissions import PERMISSIONS, PRINCIPALS, Operation, allows, matrix_markdown
from firstmile.accounts.services import api_token_issue, organisation_create
from firstmile.carriers.services import coverage_assign, sorting_centre_create
from firstmile.core.clock import beijing, now
from firstmile.core.errors import Forbidden
from firstmile.dispatch.services import driver_create
from firstmile.pickup.models import PickupSubscription
from firstmile.pickup.services import warehouse_create
from firstmile.reverse.services import (
    confirm_destruction,
    consolidation_agree,
    exception_raise,
    reverse_order_create,
)

from .. import factories
from ..refusals import refused
from ..shipping.conftest import HONGMEI
from ..snapshots import database_snapshot

pytestmark = pytest.mark.django_db


# The rules as the product promises them, written out by hand: the test reads
# "allowed" from here, never from PERMISSIONS, so a change to the table in force
# (a role gaining or losing an operation) fails here until this is changed too.
EXPECTED_TABLE = """
                           m-admin  m-staff  c-admin  c-staff  c-driver  p-admin  p-staff
    organisation.manage       -        -        -        -        -        yes       -
    user.manage              yes       -       yes       -        -        yes       -
    token.manage             yes       -       yes       -        -        yes       -
    consolidation.manage      -        -        -        -        -        yes      yes
    records.view             yes      yes      yes      yes       -        yes      yes
    webhook.manage           yes       -       yes       -        -         -        -
    carrier.manage            -        -        -        -        -        yes      yes
    carrier.settings          -        -       yes       -        -        yes      yes
    coverage.manage           -        -        -        -        -        yes      yes
    coverage.request          -        -       yes       -        -         -        -
    warehouse.manage         yes      yes       -        -        -         -        -
    pickup.review             -        -       yes      yes       -         -        -
    shipping.manage          yes      yes       -        -        -         -        -
    dispatch.manage           -        -       yes      yes       -         -        -
    dispatch.drive            -        -        -        -       yes        -        -
    dispatch.inbound          -        -       yes      yes       -         -        -
    switchover.manage         -        -        -        -        -        yes      yes
    reverse.raise             -        -       yes      yes       -         -        -
    reverse.work              -        -       yes      yes       -         -        -
    reverse.exception_close   -        -       yes      yes       -        yes      yes
    reverse.register         yes      yes       -        -        -         -        -
"""
_COLUMNS = {
    "m-admin": (OrganisationKind.MERCHANT, Role.ADMIN),
    "m-staff": (OrganisationKind.MERCHANT, Role.STAFF),
    "c-admin": (OrganisationKind.CARRIER, Role.ADMIN),
    "c-staff": (OrganisationKind.CARRIER, Role.STAFF),
    "c-driver": (OrganisationKind.CARRIER, Role.DRIVER),
    "p-admin": (OrganisationKind.PLATFORM, Role.ADMIN),
    "p-staff": (OrganisationKind.PLATFORM, Role.STAFF),
}


def _expected() -> dict[str, dict[tuple[str, str], bool]]:
    header, *rows = EXPECTED_TABLE.strip().splitlines()
    columns = [_COLUMNS[name] for name in header.split()]
    table = {}
    for row in rows:
        operation, *cells = row.split()
        assert len(cells) == len(columns) and set(cells) <= {"yes", "-"}, row
        table[operation] = {column: cell == "yes" for column, cell in zip(columns, cells, strict=True)}
    return table


EXPECTED = _expected()


@dataclass
class World:
    users: dict[tuple[str, str], User]
    orgs: dict[str, object]
    pending_request: int
    destroy_order: int
    open_order: int
    open_exception: int


def _reverse(actor, merchant_code, n, disposition="return"):
    return reverse_order_create(
        actor=actor,
        merchant_code=merchant_code,
        order_no=f"TT{n}",
        reverse_type="customs_failed",
        disposition=disposition,
        business_mode="pop",
        warehouse_code="HZ",
        warehouse_name="杭州集货仓",
        owner_id="OW1",
        owner_name="货主",
    )


@pytest.fixture
def world(db) -> World:
    jt = factories.carrier("JT", with_centre_in="440111107")
    ws = factories.carrier("WS", with_centre_in="441900125")
    coverage_assign(actor=None, division_code="441900", carrier=ws, valid_from=beijing(2023, 1, 1))
    platform = organisation_create(actor=None, kind=OrganisationKind.PLATFORM, code="platform", name="平台")
    merchant = factories.organisation(OrganisationKind.MERCHANT, code="dg-lighting")
    factories.organisation(OrganisationKind.MERCHANT, code="sz-gadgets")
    orgs = {OrganisationKind.MERCHANT: merchant, OrganisationKind.CARRIER: ws.organisation, "platform": platform}
    users = {}
    for kind, role in PRINCIPALS:
        org = orgs[kind if kind != OrganisationKind.PLATFORM else "platform"]
        if role == Role.DRIVER:
            driver = driver_create(
                actor=Actor.for_user(users[(kind, Role.STAFF)]),
                name="王师傅",
                phone="13900000002",
                username="ws-driver",
                password=factories.PASSWORD,
            )
            users[(kind, role)] = driver.user
        else:
            users[(kind, role)] = factories.user(org, role=role, username=f"{kind}-{role}")
    merchant_staff = Actor.for_user(users[(OrganisationKind.MERCHANT, Role.STAFF)])
    carrier_staff = Actor.for_user(users[(OrganisationKind.CARRIER, Role.STAFF)])
    warehouse_create(actor=merchant_staff, **HONGMEI)
    pending = PickupSubscription.objects.get(carrier=ws, status="pending_review")
    consolidation_agree(actor=None, carrier_code="WS", merchant_code="dg-lighting")
    destroy = _reverse(carrier_staff, "dg-lighting", 1, "destroy")
    opened = _reverse(carrier_staff, "dg-lighting", 2)
    excepted = _reverse(carrier_staff, "dg-lighting", 3)
    exception = exception_raise(actor=carrier_staff, reverse_order_id=excepted.pk, kind="other", description="破损")
    assert jt  # the outgoing carrier a switchover needs
    return World(users, orgs, pending.pk, destroy.pk, opened.pk, exception.pk)


def _api_probes(w: World) -> dict[Operation, tuple[str, str, dict | None]]:
    """One request per operation that succeeds for a role the table allows."""
    return {
        Operation.USER_MANAGE: (
            "post",
            "/users",
            {"username": "new-person", "password": factories.PASSWORD, "role": "staff"},
        ),
        Operation.TOKEN_MANAGE: ("post", "/tokens", {"name": "ERP"}),
        Operation.CONSOLIDATION_MANAGE: (
            "post",
            "/consolidation-agreements",
            {"carrier_code": "WS", "merchant_code": "sz-gadgets"},
        ),
        Operation.RECORDS_VIEW: ("get", "/events", None),
        Operation.WEBHOOK_MANAGE: (
            "post",
            "/webhook-endpoints",
            {"url": "https://erp.example.com/hooks", "event_types": ["waybill.collected"]},
        ),
        Operation.CARRIER_SETTINGS: (
            "put",
            "/carriers/WS/settings",
            {"hotline": "4008206207", "service_opens": "08:00", "service_closes": "20:00", "service_weekdays": "12345"},
        ),
        Operation.COVERAGE_MANAGE: (
            "post",
            "/coverage",
            {"division_code": "440300", "carrier": "WS", "valid_from": (now() + timedelta(days=3)).isoformat()},
        ),
        Operation.COVERAGE_REQUEST: (
            "post",
            "/coverage-requests",
            {"division_code": "440300", "valid_from": (now() + timedelta(days=3)).isoformat(), "note": "深圳"},
        ),
        Operation.WAREHOUSE_MANAGE: ("post", "/warehouses", {**HONGMEI, "code": "DG-HM-2", "name": "二号仓"}),
        Operation.PICKUP_REVIEW: ("post", "/pickup-requests/approve", {"subscription_ids": [w.pending_request]}),
        Operation.SHIPPING_MANAGE: ("post", "/orders", {"order_no": "A-1", "warehouse_code": HONGMEI["code"]}),
        Operation.DISPATCH_MANAGE: ("post", "/dispatch/routes", {"name": "东莞", "division_codes": ["441900"]}),
        # No parcel is on the driver's stop list: an allowed role gets past the role check to "unknown waybill".
        Operation.DISPATCH_DRIVE: ("post", "/scans/pickup", {"waybill_no": "WS00000000019"}),
        Operation.INBOUND_SCAN: (
            "post",
            "/scans/inbound",
            {"sorting_centre": "WS-HUB", "waybill_no": "WS00000000019"},
        ),
        Operation.SWITCHOVER_MANAGE: (
            "post",
            "/switchovers",
            {"name": "极兔→万色", "from_carrier": "JT", "to_carrier": "WS"},
        ),
        Operation.REVERSE_RAISE: (
            "post",
            "/reverse-orders",
            {
                "merchant_code": "dg-lighting",
                "order_no": "TT9",
                "reverse_type": "intercept_refused",
                "business_mode": "pop",
                "warehouse_code": "HZ",
                "warehouse_name": "杭州集货仓",
                "owner_id": "OW1",
                "owner_name": "货主",
            },
        ),
        Operation.REVERSE_WORK: (
            "post",
            f"/reverse-orders/{w.open_order}/exceptions",
            {"kind": "other", "description": "外箱破损"},
        ),
        Operation.REVERSE_EXCEPTION_CLOSE: (
            "post",
            f"/reverse-exceptions/{w.open_exception}/close",
            {"resolution": "已联系商家"},
        ),
        Operation.REVERSE_REGISTER: (
            "post",
            "/reverse-orders/confirm-destruction",
            {"reverse_order_ids": [w.destroy_order]},
        ),
    }


# Reached only through services (Django admin or the command line), so tried there.
def _service_probes(w: World):
    def organisation(actor):
        organisation_create(actor=actor, kind=OrganisationKind.MERCHANT, code="new-shop", name="新店")

    def carrier(actor):
        ws = w.orgs[OrganisationKind.CARRIER].carrier
        sorting_centre_create(
            actor=actor, carrier=ws, code="WS-GZ", name="万色广州", division_code="440111107", address_detail="1号"
        )

    return {Operation.ORGANISATION_MANAGE: organisation, Operation.CARRIER_MANAGE: carrier}


# Allowed cells that cannot succeed in this world on purpose, with the answer they do get.
EXPECTED_NOT_SUCCESS = {
    Operation.DISPATCH_DRIVE: 404,
    Operation.INBOUND_SCAN: 404,
}


def _snapshot():
    return database_snapshot()


def _client_for(w: World, principal, channel):
    kind, role = principal
    if channel == "session":
        client = Client()
        client.force_login(w.users[principal])
        return client, {}
    org = w.orgs[kind if kind != OrganisationKind.PLATFORM else "platform"]
    _token, raw = api_token_issue(actor=None, organisation=org, name=f"{kind}-{role}", role=role)
    return Client(), {"Authorization": f"Bearer {raw}"}


CELLS = [
    pytest.param(operation, principal, channel, id=f"{operation.value}-{principal[0]}-{principal[1]}-{channel}")
    for operation in Operation
    for principal in PRINCIPALS
    for channel in ("session", "token")
    if not (channel == "token" and principal[1] == Role.DRIVER)  # drivers have no tokens
]


@pytest.mark.parametrize(("operation", "principal", "channel"), CELLS)
def test_role_by_operation(world, operation, principal, channel):
    allowed = EXPECTED[operation.value][principal]
    if operation in _service_probes(world):
        if channel == "token":
            pytest.skip("reached only by people (Django admin or the command line)")
        actor = Actor.for_user(world.users[principal])
        assert allows(actor, operation) == allowed
        before = _snapshot()
        if allowed:
            _service_probes(world)[operation](actor)
            assert _snapshot() != before
        else:
            with refused(Forbidden, "forbidden"):
                _service_probes(world)[operation](actor)
            assert _snapshot() == before
        return

    client, headers = _client_for(world, principal, channel)
    method, path, body = _api_probes(world)[operation]
    before = _snapshot()
    kwargs = {"content_type": "application/json", "headers": headers} if body is not None else {"headers": headers}
    response = (
        getattr(client, method)(f"/api/v1{path}", body, **kwargs)
        if body is not None
        else client.get(f"/api/v1{path}", headers=headers)
    )
    if allowed:
        expected = EXPECTED_NOT_SUCCESS.get(operation)
        if expected:
            assert response.status_code == expected, response.content
        else:
            assert response.status_code in (200, 201), response.content
    else:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "forbidden"
        after = _snapshot()
        if channel == "token":  # the token's own last_used_at is the one thing a request may write
            before.pop("accounts.ApiToken")
            after.pop("accounts.ApiToken")
        assert after == before


def test_the_table_in_force_is_the_table_written_out_here():
    assert set(EXPECTED) == {operation.value for operation in Operation}
    assert set(PRINCIPALS) == set(_COLUMNS.values())
    differences = [
        (operation.value, principal)
        for operation in Operation
        for principal in PRINCIPALS
        if (principal in PERMISSIONS[operation]) != EXPECTED[operation.value][principal]
    ]
    assert differences == []


def test_the_readme_shows_the_table_in_force():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert matrix_markdown() in readme


def test_every_operation_has_a_probe(world):
    probed = set(_api_probes(world)) | set(_service_probes(world))
    assert probed == set(Operation)


def test_confirmed_destruction_by_a_driver_session_changes_nothing(world):
    """The attack of the report: a driver's own session calling the API."""
    client = Client()
    client.force_login(world.users[(OrganisationKind.CARRIER, Role.DRIVER)])
    before = _snapshot()
    for path, body in (
        ("/pickup-requests/approve", {"subscription_ids": [world.pending_request]}),
        ("/dispatch/plan", {}),
        (f"/reverse-orders/{world.open_order}/exceptions", {"kind": "other", "description": "x"}),
        (f"/reverse-orders/{world.destroy_order}/destroyed", None),
    ):
        response = client.post(f"/api/v1{path}", body or {}, content_type="application/json")
        assert response.status_code == 403, (path, response.content)
    assert _snapshot() == before
    with refused(Forbidden, "forbidden"):
        confirm_destruction(
            actor=Actor.for_user(world.users[(OrganisationKind.CARRIER, Role.DRIVER)]),
            reverse_order_ids=[world.destroy_order],
        )
