"""A fixed-window allowance in the shared cache: with FIRSTMILE_REDIS_URL every process counts the
same requests (without it each process counts alone; docs/deploy.md)."""

from __future__ import annotations

from django.core.cache import cache


def allow(key: str, *, limit: int, window: int) -> bool:
    """Count one use of ``key``; False once more than ``limit`` were counted in the window."""
    if cache.add(key, 1, window):
        return True
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window)
        used = 1
    return used <= limit
