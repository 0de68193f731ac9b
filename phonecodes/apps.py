from django.apps import AppConfig


class PhoneCodesConfig(AppConfig):
    name = "phonecodes"
    verbose_name = "Text and voice codes"

    def ready(self):
        from phonecodes import checks  # noqa: F401 - registers the system checks
