from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "firstmile.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from firstmile.events.recovery import register_cleanup

        from .idempotency import purge_expired

        register_cleanup(purge_expired)
