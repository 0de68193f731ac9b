from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The practice administrators' console: on top of every other app, imported by none."""

    name = "practice.console"
    label = "console"
    verbose_name = "Practice console"
