"""Asserting a refusal by its code, not only its class.

``pytest.raises(Conflict)`` alone also passes when the wrong check refused (a
different conflict, or a database error dressed up later): each refusal a test
means is named by its error code.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest


@contextmanager
def refused(kind: type[Exception], code: str):
    with pytest.raises(kind) as caught:
        yield caught
    assert caught.value.code == code, f"refused with {caught.value.code!r} ({caught.value}), not {code!r}"
