"""Schemathesis against the OpenAPI schema, with each party's token.

Every operation gets generated requests (valid and not) from a merchant's ERP, a
carrier's system and platform operations, each with an admin's and a staff token
(staff are refused what only admins may do: that 403 must be documented too). Whatever it sends, the API must not
answer 5xx, must answer only status codes the schema documents, and its bodies
must match the schema. Examples per operation are bounded so CI stays fast.
"""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from firstmile.accounts.models import OrganisationKind, Role
from firstmile.accounts.services import api_token_issue
from firstmile.api.api import api
from firstmile.carriers.services import coverage_assign
from firstmile.core.clock import beijing
from firstmile.reverse.services import consolidation_agree

from .. import factories

pytestmark = pytest.mark.django_db

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PARTIES = ("merchant", "carrier", "platform")
ROLES = (Role.ADMIN, Role.STAFF)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # The WSGI handler closes database connections at each request's end, which would
    # close the test's transaction; Django's own test client disconnects it the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(db):
    ws = factories.carrier("WS")
    coverage_assign(actor=None, division_code="441900", carrier=ws, valid_from=beijing(2023, 1, 1))
    merchant = factories.organisation(OrganisationKind.MERCHANT, code="dg-lighting")
    consolidation_agree(actor=None, carrier_code="WS", merchant_code="dg-lighting")
    platform = factories.organisation(OrganisationKind.PLATFORM)
    cache.clear()  # no throttle left over from another test
    return {
        (name, role): api_token_issue(actor=None, organisation=org, name=f"fuzz {name} {role}", role=role)[1]
        for name, org in (("merchant", merchant), ("carrier", ws.organisation), ("platform", platform))
        for role in ROLES
    }


# Generating the schema needs no database, so it is loaded once, at collection.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = get_wsgi_application()


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_for_every_party_and_role(case, tokens):
    for party in PARTIES:
        for role in ROLES:
            response = case.call(headers={"Authorization": f"Bearer {tokens[party, role]}"})
            case.validate_response(response, checks=CHECKS)
