from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "practice"
    verbose_name = "Practices"

    def ready(self):
        import logging

        from practice import checks  # noqa: F401 - registers the system checks
        from practice.log_filters import NoTemplateContext

        # On the logger itself, so no handler or level a deployment configures can let it by.
        logging.getLogger("django.template").addFilter(NoTemplateContext())
