from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "firstmile.demo"
    label = "demo"
    verbose_name = "Demo"
