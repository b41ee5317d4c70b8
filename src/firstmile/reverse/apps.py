from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReverseConfig(AppConfig):
    name = "firstmile.reverse"
    label = "reverse"
    verbose_name = _("Reverse management")

    def ready(self) -> None:
        from firstmile.events import jobs
        from firstmile.pickup.imports import import_job

        from . import imports, webhook_objects

        webhook_objects.register()
        jobs.register(imports.REVERSE_IMPORT_JOB, import_job(imports.reverse_import), operation="reverse.raise")
