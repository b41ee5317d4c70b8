"""Every app runs its own AppConfig: core's registers lookups and PostgreSQL loaders in ready()."""

from django.apps import apps

from firstmile.core.apps import CoreConfig


def test_core_runs_its_own_app_config_and_vendors_have_translated_names():
    assert type(apps.get_app_config("core")) is CoreConfig
    assert apps.get_app_config("axes").name == "axes"
    assert apps.get_app_config("django_tasks_database").name == "django_tasks_db"
    assert str(apps.get_app_config("axes").verbose_name) != "Axes"
