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
        from . import jobs as export_jobs

        webhook_objects.register()
        jobs.register(imports.REVERSE_IMPORT_JOB, import_job(imports.reverse_import), operation="reverse.raise")
        jobs.register(export_jobs.EXPORT_JOB, export_jobs.run_export_job, operation="records.view")
