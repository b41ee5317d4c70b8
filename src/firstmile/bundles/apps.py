from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BundlesConfig(AppConfig):
    name = "firstmile.bundles"
    label = "bundles"
    verbose_name = _("Bundles")

    def ready(self) -> None:
        from . import webhook_objects

        webhook_objects.register()
