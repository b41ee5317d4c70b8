"""Third-party apps installed under names the admin shows in the reader's language.

Kept out of core/apps.py: a module with several AppConfig classes is not auto-detected, and
core's own (which registers lookups and the PostgreSQL loaders) must stay the default there.
"""

from axes import apps as axes_apps
from django.utils.translation import gettext_lazy as _
from django_tasks_db import apps as tasks_db_apps


class AxesConfig(axes_apps.AppConfig):
    """django-axes under a name the admin shows in the reader's language (its own is a bare "Axes")."""

    verbose_name = _("Login protection")


class TaskResultsConfig(tasks_db_apps.TasksAppConfig):
    """django-tasks-db's results under a translated name in the admin."""

    verbose_name = _("Background task results")
