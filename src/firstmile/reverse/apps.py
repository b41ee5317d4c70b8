from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReverseConfig(AppConfig):
    name = "firstmile.reverse"
    label = "reverse"
    verbose_name = _("Reverse management")

    def ready(self) -> None:
        from . import webhook_objects

        webhook_objects.register()
