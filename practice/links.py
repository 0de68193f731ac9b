"""Links in emails are built from settings.SITE_URL, the site's public origin.

SECURITY: never from the request's Host header: a link in a password reset email must point at
our site whatever Host a client sent (and whatever port it appended).
"""

from django.conf import settings


def site_link(path: str) -> str:
    """`path` ("/invite/…") as a full link on the public site."""
    return f"{settings.SITE_URL.rstrip('/')}{path}"
