"""The API's URL patterns, resolved by their first path segment rather than one by one.

Django tries an include's patterns in order, and ninja gives one pattern per
path: 123 of them, so ``/api/v1/warehouses/1`` was matched after some 50 tries
(58 µs) and the reverse-order endpoints after twice as many, each try also
recorded for the debug 404 page. Every route of the API starts with a literal
segment (``warehouses``, ``reverse-orders``…), and a path can only match routes
with its own first segment, so each segment's patterns are kept apart and a path
is resolved among those alone, in their order (the API's root, route "", is the
group of the empty segment). A segment no route has goes through Django's full
scan, as does everything when some route starts with a converter or is an include
at the root; reversing URLs is untouched.
"""

from __future__ import annotations

from functools import cached_property

from django.urls import URLResolver
from django.urls.resolvers import RoutePattern


class FirstSegmentResolver(URLResolver):
    @cached_property
    def _by_segment(self) -> dict[str, URLResolver] | None:
        groups: dict[str, list] = {}
        for pattern in self.url_patterns:
            route = getattr(pattern.pattern, "_route", None)
            if not isinstance(route, str):
                return None  # a regex: no shortcut
            head = route.split("/", 1)[0]
            if "<" in head or (not head and isinstance(pattern, URLResolver)):
                return None  # a route that could match any first segment: no shortcut
            groups.setdefault(head, []).append(pattern)
        return {
            head: URLResolver(self.pattern, patterns, self.default_kwargs, self.app_name, self.namespace)
            for head, patterns in groups.items()
        }

    def resolve(self, path):
        by_segment = self._by_segment
        match = self.pattern.match(str(path)) if by_segment is not None else None
        if match:
            group = by_segment.get(match[0].split("/", 1)[0])
            if group is not None:
                return group.resolve(path)
        return super().resolve(path)


def by_first_segment(urls: tuple) -> FirstSegmentResolver:
    """An include of ``urls`` (patterns, app name, namespace: what NinjaAPI.urls gives) resolved by first segment."""
    patterns, app_name, namespace = urls
    return FirstSegmentResolver(RoutePattern(""), patterns, app_name=app_name, namespace=namespace)
