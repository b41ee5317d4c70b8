from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PickupConfig(AppConfig):
    name = "firstmile.pickup"
    label = "pickup"
    verbose_name = _("Pickup")

    def ready(self) -> None:
        from firstmile.events import jobs

        from . import imports, webhook_objects

        webhook_objects.register()
        jobs.register(
            imports.WAREHOUSE_IMPORT_JOB, imports.import_job(imports.warehouse_import), operation="warehouse.manage"
        )
