from django.apps import AppConfig


class OidcConfig(AppConfig):
    name = "oidc"
    verbose_name = "Applications (single sign-on)"

    def ready(self):
        from oidc import checks  # noqa: F401 - registers the system checks
