from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShippingConfig(AppConfig):
    name = "firstmile.shipping"
    label = "shipping"
    verbose_name = _("Shipping")

    def ready(self) -> None:
        from firstmile.events import jobs
        from firstmile.pickup.imports import import_job

        from . import imports, webhook_objects
        from . import jobs as label_jobs

        webhook_objects.register()
        jobs.register(imports.ORDER_IMPORT_JOB, import_job(imports.order_import), operation="shipping.manage")
        jobs.register(label_jobs.LABELS_JOB, label_jobs.run_labels_job, operation="shipping.manage")
