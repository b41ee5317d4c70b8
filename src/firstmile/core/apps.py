from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "firstmile.core"
    label = "core"

    def ready(self) -> None:
        from . import lookups  # noqa: F401  (registers field__in_array)
