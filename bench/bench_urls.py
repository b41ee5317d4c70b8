"""Firstmile's URLs plus two bare views, for bench/api_get.py."""

from django.db import connection
from django.http import JsonResponse
from django.urls import include, path


def bare_empty(request):
    """The floor: Django's request cycle and middleware, no query."""
    return JsonResponse({"ok": True})


def bare_row(request, pk: int):
    """One primary-key read of the same row the API reads, by hand."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name, code, phone FROM pickup_warehouse WHERE id = %s", [pk])
        row = cursor.fetchone()
    return JsonResponse({"id": row[0], "name": row[1], "code": row[2], "phone": row[3]})


urlpatterns = [
    path("bare/empty", bare_empty),
    path("bare/warehouse/<int:pk>", bare_row),
    path("", include("firstmile.urls")),
]
