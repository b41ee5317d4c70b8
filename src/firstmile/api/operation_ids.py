"""Short, stable operation ids, derived from each operation's path and method.

A generated client names its functions after them (``warehouses_create``, not
``firstmile_pickup_api_create_warehouse``), so they are part of the contract: a
module or function renamed inside Firstmile must not rename a client's call.
tests/api/operation_ids.txt holds them all; a change there is a change on purpose.

The rule: the path's fixed segments joined by ``_`` (hyphens and dots too), then
- an item (``…/{id}``): ``_get``, ``_update`` (PUT, PATCH) or ``_delete``;
- a collection: ``_list`` for a GET whose answer is a list or a page,
  ``_create`` for a POST beside such a GET;
- anything else (``…/{id}/cancel-pickup``, ``/orders/arrange-shipment``) is the
  action's own name; PUT, PATCH and DELETE on a sub-resource add their verb.
A few read better by name, listed in OVERRIDES.
"""

from __future__ import annotations

import re

_ITEM_VERBS = {"get": "get", "put": "update", "patch": "update", "delete": "delete"}
_SUB_VERBS = {"put": "update", "patch": "update", "delete": "delete"}

OVERRIDES = {
    ("post", "/users/{user_id}/password"): "users_set_password",
    ("put", "/waybills/{waybill_no}/pickup-slot"): "waybills_pickup_slot_book",
    ("delete", "/waybills/{waybill_no}/pickup-slot"): "waybills_pickup_slot_cancel",
    ("post", "/pickup-slot-bookings"): "pickup_slot_bookings_create",
    ("post", "/label-batches"): "label_batches_create",
    ("post", "/reverse-orders/exports"): "reverse_orders_exports_create",
    ("post", "/dispatch/roster"): "dispatch_roster_set",
    ("post", "/dispatch/tasks/{task_id}/proofs"): "dispatch_tasks_add_proof",
    ("post", "/dispatch/tasks/{task_id}/scans"): "dispatch_tasks_scan",
    ("post", "/switchovers/{switchover_id}/batches"): "switchovers_schedule_batches",
    ("post", "/reverse-orders/{reverse_order_id}/exceptions"): "reverse_orders_raise_exception",
    ("get", "/reverse-worklist"): "reverse_worklist",
}

_PARAM = re.compile(r"^\{.*\}$")


def _is_list(operation: dict) -> bool:
    responses = operation.get("responses", {})
    content = responses.get(200, responses.get("200", {})).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    model = schema.get("$ref", "").rsplit("/", 1)[-1]
    return schema.get("type") == "array" or model.startswith("Paged") or model.endswith("PageOut")


def operation_id(method: str, path: str, operation: dict, siblings: dict) -> str:
    """The id of ``method path`` (path without the /api/v1 prefix); ``siblings``: the path's other operations."""
    if (method, path) in OVERRIDES:
        return OVERRIDES[(method, path)]
    segments = [s for s in path.split("/") if s]
    fixed = [re.sub(r"[-.]", "_", s) for s in segments if not _PARAM.match(s)]
    name = "_".join(fixed)
    if _PARAM.match(segments[-1]):
        return f"{name}_{_ITEM_VERBS[method]}"
    after_item = any(_PARAM.match(s) for s in segments)
    if method == "get" and _is_list(operation):
        return f"{name}_list"
    if method == "post" and not after_item and "get" in siblings and _is_list(siblings["get"]):
        return f"{name}_create"
    if method in _SUB_VERBS:
        return f"{name}_{_SUB_VERBS[method]}"
    return name
