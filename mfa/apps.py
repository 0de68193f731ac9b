from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "mfa"
    verbose_name = "Two-factor authentication"

    def ready(self):
        from mfa import checks  # noqa: F401 - registers the system checks
