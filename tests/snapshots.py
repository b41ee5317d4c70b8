"""A fingerprint of every Firstmile table, to prove that a refused request changed nothing."""

from django.apps import apps
from django.db.models import Max

from firstmile.accounts.models import User


def database_snapshot(*, skip: tuple[str, ...] = ()) -> dict:
    """Row count, highest id and latest change of each table (users' last login included)."""
    state = {}
    for model in apps.get_models():
        label = model._meta.label
        if (not model.__module__.startswith("firstmile.") and model is not User) or label in skip:
            continue
        aggregates = {"pk": Max("pk")}
        if "updated_at" in {f.name for f in model._meta.concrete_fields}:
            aggregates["updated"] = Max("updated_at")
        if model is User:
            aggregates["login"] = Max("last_login")
        state[label] = (model.objects.count(), model.objects.aggregate(**aggregates))
    return state
