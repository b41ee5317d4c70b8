"""api/routing: resolving by first segment finds what Django's full scan finds, for every route of the API."""

from __future__ import annotations

import re

import pytest
from django.urls import URLResolver
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RoutePattern

from firstmile.api.api import api
from firstmile.api.routing import by_first_segment

_SAMPLES = {"int": "7", "str": "JT", "slug": "a-b", "path": "a/b", "uuid": "12345678-1234-5678-1234-567812345678"}


def _sample(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: _SAMPLES[m.group(1) or "str"], route)


def _resolvers():
    """Django's plain include and the first-segment one, over the same patterns (api.urls makes new views each time)."""
    urls = api.urls
    patterns, app_name, namespace = urls
    return patterns, URLResolver(RoutePattern(""), patterns, app_name=app_name, namespace=namespace), urls


def test_every_route_resolves_as_django_resolves_it():
    patterns, plain, urls = _resolvers()
    fast = by_first_segment(urls)
    assert fast._by_segment is not None  # the shortcut is in use for the API's routes
    for path in {_sample(p.pattern._route) for p in patterns}:
        expected, found = plain.resolve(path), fast.resolve(path)
        assert (found.view_name, found.route, found.kwargs, found.func) == (
            expected.view_name,
            expected.route,
            expected.kwargs,
            expected.func,
        ), path


@pytest.mark.parametrize("path", ["nope", "warehouses/x", "warehouses/7/nope", "warehouses-7", "/warehouses"])
def test_paths_no_route_matches_are_not_found_either_way(path):
    _, plain, urls = _resolvers()
    with pytest.raises(Resolver404):
        plain.resolve(path)
    with pytest.raises(Resolver404):
        by_first_segment(urls).resolve(path)


def test_a_route_that_could_start_anywhere_turns_the_shortcut_off():
    patterns, _, _ = _resolvers()
    catch_all = URLResolver(RoutePattern("<str:anything>/"), [])
    assert by_first_segment(([*patterns, catch_all], "api", "api"))._by_segment is None
