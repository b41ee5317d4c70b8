from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "firstmile.api"
    label = "api"
    verbose_name = "API"
