from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShippingConfig(AppConfig):
    name = "firstmile.shipping"
    label = "shipping"
    verbose_name = _("Shipping")

    def ready(self) -> None:
        from . import webhook_objects

        webhook_objects.register()
