"""A base for the API's response schemas on its hottest reads."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PlainOut(BaseModel):
    """A response schema validated by pydantic itself rather than through ninja's Schema.

    ninja's Schema wraps every object it validates in a getter that resolves each
    attribute in Python (aliases with dots, resolve_ methods, managers): a page of
    20 warehouses spent more time there than in its queries (bench/api_get.py).
    A PlainOut reads plain attributes or dict keys; a field named differently from
    its source says so with ``validation_alias``, and the response keeps the field's
    own name.
    """

    model_config = ConfigDict(from_attributes=True)


PDF = "application/pdf"
ZPL = "application/zpl"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
IMAGES = ("image/jpeg", "image/png", "image/webp", "image/gif")


def file_response(*media_types: str, description: str) -> dict:
    """``openapi_extra`` declaring a 200 whose body is a file of one of these media types.

    ninja documents a view that returns an HttpResponse as a 200 without a body, so a
    generated client returned ``None`` for labels and exports; declared as binary
    strings, it returns their bytes.
    """
    binary = {"schema": {"type": "string", "format": "binary"}}
    # 200 as an int, as ninja keys its own responses: "200" would be a second key.
    return {"responses": {200: {"description": description, "content": {t: binary for t in media_types}}}}
