"""System checks of the core: settings a production site must have."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def site_url_check(app_configs, **kwargs):
    """Emailed links (reset, invitation, email change) are built from SITE_URL."""
    url = settings.SITE_URL
    if not url.startswith("https://") or url.rstrip("/").count("/") != 2:
        return [
            Error(
                f"SITE_URL must be the site's public https:// origin, not {url!r}.",
                hint="For example SITE_URL=https://gate.example.org (no path).",
                id="practice.E001",
            )
        ]
    return []
