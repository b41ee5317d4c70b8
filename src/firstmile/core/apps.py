from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "firstmile.core"
    label = "core"
