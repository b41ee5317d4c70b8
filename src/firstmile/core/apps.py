from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "firstmile.core"
    label = "core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from . import lookups  # noqa: F401  (registers field__in_array)

        try:
            from .pg_adapters import use_compiled_timestamptz_loader
        except ImportError:  # no psycopg: SQLite only
            return
        connection_created.connect(use_compiled_timestamptz_loader, dispatch_uid="firstmile.timestamptz")
