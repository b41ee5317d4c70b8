"""Reading settings from the environment, strictly.

An environment file is easy to get subtly wrong: systemd's ``EnvironmentFile``
and ``docker --env-file`` keep a comment written at the end of a line as part of
the value, so ``FIRSTMILE_PRODUCTION=1   # secure`` reads ``1   # secure``. A
lenient reader took that for "off" and started production with the public
development key. Here a value that is not clearly on or off, or not a number
where one is expected, stops the process at start-up with the variable named.
"""

from __future__ import annotations

import math
import os
import re

from django.core.exceptions import ImproperlyConfigured

TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})

# A value that carries what looks like a trailing comment: whitespace, then "#".
_TRAILING_COMMENT = re.compile(r"\s#")


def _raw(name: str, environ) -> str | None:
    value = environ.get(name)
    if value is None:
        return None
    if _TRAILING_COMMENT.search(value):
        raise ImproperlyConfigured(
            f"{name}={value!r} carries a comment: environment files keep everything after '=' as the value. "
            "Put the comment on a line of its own."
        )
    return value.strip()


def env_bool(name: str, default: bool = False, environ=None) -> bool:
    """On for 1/true/yes/on, off for 0/false/no/off (any case); unset or empty is the default; else refuse."""
    value = _raw(name, os.environ if environ is None else environ)
    if value is None or value == "":
        return default
    lowered = value.lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is neither on (1, true, yes, on) nor off (0, false, no, off).")


def _number(name: str, default, environ, cast, what: str):
    value = _raw(name, os.environ if environ is None else environ)
    if value is None or value == "":
        return default
    try:
        return cast(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not {what}.") from None


def env_int(name: str, default: int, environ=None) -> int:
    return _number(name, default, environ, int, "a whole number")


def _finite(value: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def env_float(name: str, default: float, environ=None) -> float:
    return _number(name, default, environ, _finite, "a number")


def env_str(name: str, default: str = "", environ=None) -> str:
    value = _raw(name, os.environ if environ is None else environ)
    return default if value is None or value == "" else value


def check_no_trailing_comments(environ=None) -> None:
    """Refuse any Firstmile or database variable whose value carries a trailing comment."""
    environ = os.environ if environ is None else environ
    for name in sorted(environ):
        if name.startswith("FIRSTMILE_") or name in ("DATABASE_URL", "DATABASE_REPLICA_URL"):
            _raw(name, environ)
