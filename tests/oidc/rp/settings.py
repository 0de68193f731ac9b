"""A small application of the practice that signs in through PracticeGate with
mozilla-django-oidc (a relying party nobody here wrote), for tests/oidc/test_relying_parties.py.

It is its own Django project, run in a process of its own; what it needs to know of
PracticeGate comes from the environment the test sets.
"""

import os
from pathlib import Path

DEBUG = True
SECRET_KEY = "relying-party-test-only"  # noqa: S105 - a test project
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "tests.oidc.rp.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "mozilla_django_oidc",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": Path(os.environ["RP_DATABASE"]),
    }
}
AUTHENTICATION_BACKENDS = ["tests.oidc.rp.backend.PracticeGateBackend"]
USE_TZ = True
LOGIN_REDIRECT_URL = "/whoami/"
LOGIN_REDIRECT_URL_FAILURE = "/failed/"

ISSUER = os.environ["RP_ISSUER"]
OIDC_RP_CLIENT_ID = os.environ["RP_CLIENT_ID"]
OIDC_RP_CLIENT_SECRET = os.environ["RP_CLIENT_SECRET"]
OIDC_OP_AUTHORIZATION_ENDPOINT = f"{ISSUER}/authorize/"
OIDC_OP_TOKEN_ENDPOINT = f"{ISSUER}/token/"
OIDC_OP_USER_ENDPOINT = f"{ISSUER}/userinfo/"
OIDC_OP_JWKS_ENDPOINT = f"{ISSUER}/.well-known/jwks.json"
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_RP_SCOPES = "openid profile email"
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True
