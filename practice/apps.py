from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "Practices"

    def ready(self):
        from practice import checks  # noqa: F401 - registers the system checks
