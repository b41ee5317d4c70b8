from axes import apps as axes_apps
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db import apps as tasks_db_apps


class CoreConfig(AppConfig):
    name = "firstmile.core"
    label = "core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import lookups  # noqa: F401  (registers field__in_array)

        try:
            from .pg_adapters import use_compiled_timestamptz_loader
        except ImportError:  # no psycopg: SQLite only
            return
        connection_created.connect(use_compiled_timestamptz_loader, dispatch_uid="firstmile.timestamptz")


class AxesConfig(axes_apps.AppConfig):
    """django-axes under a name the admin shows in the reader's language (its own is a bare "Axes")."""

    verbose_name = _("Login protection")


class TaskResultsConfig(tasks_db_apps.TasksAppConfig):
    """django-tasks-db's results under a translated name in the admin."""

    verbose_name = _("Background task results")
