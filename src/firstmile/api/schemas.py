from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """Every refusal: a stable code, a message in the caller's language, and the field it is about."""

    code: str
    message: str
    field: str | None = None
    extra: dict[str, Any] | None = None
