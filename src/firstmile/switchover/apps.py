from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SwitchoverConfig(AppConfig):
    name = "firstmile.switchover"
    label = "switchover"
    verbose_name = _("Switchover")

    def ready(self) -> None:
        from firstmile.events import jobs

        from . import services, webhook_objects

        webhook_objects.register()
        jobs.register(services.PUSH_JOB, services.run_push_job, operation="switchover.manage")
