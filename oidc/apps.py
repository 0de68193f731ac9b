import logging

from django.apps import AppConfig


class OidcConfig(AppConfig):
    name = "oidc"
    verbose_name = "Applications (single sign-on)"

    def ready(self):
        from oidc import checks  # noqa: F401 - registers the system checks

        # SECURITY: oauthlib's and django-oauth-toolkit's debug lines name authorization codes
        # and refresh tokens (oauthlib logs the grant it creates and the refresh token it
        # checks). Their loggers (and so every logger under them) stay at INFO or above, after
        # the deployment's LOGGING is applied, whatever LOG_LEVEL says.
        for name in ("oauthlib", "oauth2_provider"):
            logger = logging.getLogger(name)
            logger.setLevel(max(logger.level, logging.INFO))
