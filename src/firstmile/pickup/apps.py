from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PickupConfig(AppConfig):
    name = "firstmile.pickup"
    label = "pickup"
    verbose_name = _("Pickup")

    def ready(self) -> None:
        from . import webhook_objects

        webhook_objects.register()
