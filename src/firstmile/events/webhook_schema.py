"""The webhooks as OpenAPI 3.1 describes them: one entry per event type, with its payload's schema.

Built from the same catalogue as docs/webhooks.md (events/catalogue.py) and the
object schemas each app registers with its describer (events/subjects.py), so an
integrator generates receiver models from /api/v1/openapi.json as well as the
client.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.utils import translation
from pydantic import BaseModel, ConfigDict, Field, create_model

from . import subjects
from .catalogue import EVENT_TYPES

REF = "#/components/schemas/{model}"


class WebhookSubject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(..., description="The object's kind: waybill, order, reverseorder, …")
    id: str


class WebhookData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    event_id: int
    subject: WebhookSubject
    from_state: str | None
    to_state: str | None = Field(..., description="The state the event moved the object to")
    changes: dict[str, Any] = Field(..., description="What the event recorded (reason, batch, driver, …)")
    actor: str = Field(..., description="Who acted: `user@organisation`, `token:<prefix>@organisation`, or empty")
    object: None = Field(..., description="The object as it stood when the delivery was first rendered")
    object_as_of: datetime


class WebhookEvent(BaseModel):
    """The body Firstmile POSTs, signed per Standard Webhooks (docs/webhooks.md)."""

    model_config = ConfigDict(extra="forbid")
    type: str
    timestamp: datetime = Field(..., description="When the event happened, Beijing time")
    data: WebhookData


def event_models() -> dict[str, type[BaseModel]]:
    """The payload model of each event type: one per kind of object, typed with its object."""
    kinds_by_object: dict[type[BaseModel] | None, list[str]] = {}
    for kind in EVENT_TYPES:
        kinds_by_object.setdefault(subjects.schema_of_kind(kind), []).append(kind)
    models: dict[str, type[BaseModel]] = {}
    for described, kinds in kinds_by_object.items():
        stem = described.__name__.removesuffix("Object") if described else ""
        data = (
            create_model(
                f"{stem}WebhookData",
                __base__=WebhookData,
                object=(described | None, Field(..., description=WebhookData.model_fields["object"].description)),
            )
            if described
            else WebhookData
        )
        event = create_model(
            f"{stem}WebhookEvent",
            __base__=WebhookEvent,
            type=(Literal[tuple(kinds)], ...),
            data=(data, ...),
        )
        event.__doc__ = WebhookEvent.__doc__
        for kind in kinds:
            models[kind] = event
    return models


def openapi_webhooks() -> tuple[dict, dict]:
    """The document's ``webhooks`` section and the component schemas it refers to."""
    components: dict[str, dict] = {}

    def ref(model: type[BaseModel]) -> dict:
        schema = model.model_json_schema(ref_template=REF, mode="serialization")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
        return {"$ref": REF.format(model=model.__name__)}

    headers = [
        {
            "name": "webhook-id",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "`msg_<event id>`, the same on every retry and replay: de-duplicate on it",
        },
        {
            "name": "webhook-timestamp",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "Unix seconds of this attempt",
        },
        {
            "name": "webhook-signature",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "`v1,<base64 HMAC-SHA256>`, space-separated when two secrets sign during a rotation",
        },
    ]
    webhooks = {}
    with translation.override("en"):
        for kind, model in event_models().items():
            parties, meaning = EVENT_TYPES[kind]
            webhooks[kind] = {
                "post": {
                    "operationId": "webhook_" + kind.replace(".", "_"),
                    "summary": str(meaning),
                    "description": f"Sent to the subscribed endpoints of: {parties}.",
                    "tags": ["webhooks"],
                    # Firstmile signs; the receiver verifies (webhook-signature), no credentials are sent.
                    "security": [],
                    "parameters": headers,
                    "requestBody": {"required": True, "content": {"application/json": {"schema": ref(model)}}},
                    "responses": {
                        "200": {"description": "Any 2xx: delivered"},
                        "410": {"description": "Gone: the endpoint is switched off"},
                    },
                }
            }
    return webhooks, components
