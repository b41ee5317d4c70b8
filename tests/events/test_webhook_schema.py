"""The webhooks in the OpenAPI document are what Firstmile sends: every real body validates against them."""

from __future__ import annotations

import json

import pytest
from jsonschema_rs import Draft202012Validator  # schemathesis's validator

from firstmile.api.api import api
from firstmile.core.clock import now
from firstmile.demo.data import load_demo
from firstmile.events import subjects
from firstmile.events.catalogue import EVENT_TYPES
from firstmile.events.delivery import event_body
from firstmile.events.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def document():
    return json.loads(json.dumps(api.get_openapi_schema()))


def test_every_event_type_has_a_webhook_entry_with_its_payload_schema(document):
    assert set(document["webhooks"]) == set(EVENT_TYPES)
    for kind, entry in document["webhooks"].items():
        operation = entry["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        payload = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        kinds = payload["properties"]["type"]
        assert kind in kinds.get("enum", [kinds.get("const")])
        assert {p["name"] for p in operation["parameters"]} == {"webhook-id", "webhook-timestamp", "webhook-signature"}
        assert operation["summary"] and not any("\u4e00" <= c <= "\u9fff" for c in operation["summary"])


def test_the_bodies_of_the_demos_events_match_their_webhook_schemas(document):
    load_demo()
    events = list(Event.objects.order_by("id"))
    described = {}
    for subject_type in {e.subject_type for e in events}:
        described[subject_type] = subjects.describe_many(
            subject_type, [e.subject_id for e in events if e.subject_type == subject_type]
        )
    components = document["components"]
    checked_objects = set()
    for event in events:
        # As render_bodies stores it: the JSON an endpoint receives.
        body = json.loads(
            json.dumps(event_body(event, described[event.subject_type].get(event.subject_id), now()), default=str)
        )
        ref = document["webhooks"][event.kind]["post"]["requestBody"]["content"]["application/json"]["schema"]
        validator = Draft202012Validator({**ref, "components": components})
        errors = [str(error) for error in validator.iter_errors(body)]
        assert not errors, (event.kind, event.subject_type, errors[0])
        if body["data"]["object"] is not None:
            checked_objects.add(event.subject_type)
        # The kind's prefix names the subject the catalogue promises.
        prefix = event.kind.split(".", 1)[0]
        if prefix in subjects.SUBJECT_OF_KIND_PREFIX:
            assert event.subject_type == subjects.SUBJECT_OF_KIND_PREFIX[prefix], event.kind
    assert checked_objects >= {
        "pickup.warehouse",
        "pickup.pickupsubscription",
        "shipping.order",
        "shipping.waybill",
        "reverse.reverseorder",
    }, checked_objects
