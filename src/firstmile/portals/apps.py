from django.apps import AppConfig


class PortalsConfig(AppConfig):
    name = "firstmile.portals"
    label = "portals"
    verbose_name = "Portals"
