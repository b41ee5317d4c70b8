from django.conf import settings
from ninja import NinjaAPI

from firstmile.accounts.api import router as accounts_router
from firstmile.bundles.api import router as bundles_router
from firstmile.carriers.api import router as carriers_router
from firstmile.dispatch.api import router as dispatch_router
from firstmile.events.api import jobs_router, webhooks_router
from firstmile.events.api import router as events_router
from firstmile.events.webhook_schema import openapi_webhooks
from firstmile.geo.api import router as geo_router
from firstmile.metrics.api import router as metrics_router
from firstmile.pickup.api import router as pickup_router
from firstmile.reverse.api import router as reverse_router
from firstmile.shipping.api import router as shipping_router
from firstmile.switchover.api import router as switchover_router

from . import errors
from .auth import ApiTokenAuth, PortalSessionAuth
from .operation_ids import operation_id
from .renderers import BeijingJSONRenderer
from .routing import by_first_segment
from .schemas import ErrorOut

# What every operation may answer besides success, all with the ErrorOut body. The
# handlers in errors.py produce exactly these; documenting them on each operation
# lets a generated client (and a schema-driven fuzzer) expect them.
ERROR_RESPONSES = {
    "400": "Bad input: `field` names the parameter or body field (control characters, a value out of range, …)",
    "401": "Missing, malformed, unknown or revoked credentials",
    "403": "The caller's party or role may not perform this operation",
    "404": "No such object for this caller: another party's objects do not exist for it",
    "409": "The object is not in a state that allows this (already decided, completed, …)",
    "422": "The request does not match the schema (missing field, wrong type)",
    "429": "Too many failed attempts from this address; wait and try again",
}


IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Makes a retry safe: the same key with the same request within 24 h returns the first answer "
        "(with `Idempotent-Replayed: true`) instead of acting twice; another request with the key is 422, "
        "a repeat while the first still runs is 409."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
}


REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key",
        "schema": {"type": "string", "enum": ["true"]},
    }
}
TOO_LARGE = (
    f"The body is larger than the server accepts ({settings.DATA_UPLOAD_MAX_MEMORY_SIZE / 1024 / 1024:.1f} MB "
    "of JSON or form fields; uploaded files have their own limits)"
)


def _refs(node, found: set[str]) -> None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                found.add(ref.rsplit("/", 1)[-1])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _drop_unreferenced(schema: dict) -> None:
    """Remove component schemas nothing refers to (ninja leaves the models of query parameters there)."""
    components = schema["components"]["schemas"]
    used: set[str] = set()
    _refs([schema["paths"], schema.get("webhooks", {})], used)
    pending = list(used)
    while pending:
        found: set[str] = set()
        _refs(components.get(pending.pop(), {}), found)
        pending += sorted(found - used)
        used |= found
    for name in set(components) - used:
        del components[name]


class FirstmileAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        webhooks, payloads = openapi_webhooks()
        if clash := set(payloads) & set(components):
            raise ValueError(f"webhook payload schemas named like API schemas: {sorted(clash)}")
        components.update(payloads)
        schema["webhooks"] = webhooks
        body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        seen: dict[str, str] = {}
        for path, methods in schema["paths"].items():
            for method, operation in methods.items():
                short = operation_id(method, path.removeprefix("/api/v1"), operation, methods)
                if short in seen:
                    raise ValueError(f"operation id {short} of {method} {path} is also {seen[short]}'s")
                seen[short] = f"{method} {path}"
                operation["operationId"] = short
                responses = operation.setdefault("responses", {})
                if method in ("post", "put", "patch", "delete"):
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
                    for status, response in responses.items():
                        if str(status).startswith("2"):
                            response.setdefault("headers", {}).update(REPLAYED_HEADER)
                    if method != "delete":
                        responses.setdefault("413", {"description": TOO_LARGE, "content": body})
                for status, description in ERROR_RESPONSES.items():
                    responses.setdefault(status, {"description": description, "content": body})
        _drop_unreferenced(schema)
        return schema


api = FirstmileAPI(
    title="Firstmile API",
    version="1",
    description=(
        "First-mile pickup and direct-mail reverse management. Authenticate with "
        "`Authorization: Bearer <token>` (a merchant's ERP token or a carrier's system "
        "token). Errors are `{code, message, field}`; send `Accept-Language: en` for "
        "English messages (Simplified Chinese by default). Times are ISO 8601 with offset."
    ),
    servers=[{"url": "/", "description": "The Firstmile installation serving this document"}],
    openapi_extra={
        "info": {
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
            "contact": {"name": "Platform operations of this Firstmile installation"},
        }
    },
    auth=[ApiTokenAuth(), PortalSessionAuth()],
    urls_namespace="api",
    renderer=BeijingJSONRenderer(),
)
errors.install(api)
api.add_router("/", accounts_router, tags=["accounts"])
api.add_router("/geo", geo_router, tags=["geo"])
api.add_router("/", carriers_router, tags=["carriers"])
api.add_router("/events", events_router, tags=["events"])
api.add_router("/", webhooks_router, tags=["webhooks"])
api.add_router("/", jobs_router, tags=["jobs"])
api.add_router("/", pickup_router, tags=["pickup"])
api.add_router("/", shipping_router, tags=["shipping"])
api.add_router("/", bundles_router, tags=["bundles"])
api.add_router("/", dispatch_router, tags=["dispatch"])
api.add_router("/", switchover_router, tags=["switchover"])
api.add_router("/", reverse_router, tags=["reverse"])
api.add_router("/", metrics_router, tags=["metrics"])

urlpatterns = [by_first_segment(api.urls)]
