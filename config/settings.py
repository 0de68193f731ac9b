"""PracticeGate settings. Everything that differs between machines comes from the environment.

See README.md for the variables. With DEBUG off the settings are production-grade and assume
HTTPS behind a proxy listed in TRUSTED_PROXIES.
"""

import ipaddress
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from config.local_secret import local_secret
from config.logs import logging_config
from config.signing_key import local_signing_key, pem_blocks

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    # Local development only: a fixed key would be a secret in the repo, and one made per process
    # would sign everyone out and void every emailed link and sent code at each restart. So one
    # is made once and kept in var/, which git ignores.
    from django.core.management.utils import get_random_secret_key

    SECRET_KEY = local_secret(BASE_DIR / "var" / "secret_key", get_random_secret_key)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The public origin every emailed link is built from (never the request's Host header).
SITE_URL = env_str("SITE_URL", "http://localhost:8000" if DEBUG else "")

# Addresses or CIDRs of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto we believe.
try:
    TRUSTED_PROXIES = [
        ipaddress.ip_network(item, strict=False) for item in env_list("TRUSTED_PROXIES")
    ]
except ValueError as exc:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from None

# The gateway (docs/gateway.md): the hosts of the practice's own applications behind the proxy,
# the only places a gateway sign-in may send the browser back to. Each entry is a host (with its
# port when it is not the default), optionally "=code" naming the practice whose sign-in page
# it uses and whose users alone it admits: "ehr.valley.example=valley,files.example".
GATEWAY_ALLOWED_HOSTS = {}
for _entry in env_list("GATEWAY_ALLOWED_HOSTS"):
    _host, _, _code = (part.strip().lower() for part in _entry.partition("="))
    if not _host or any(ch in _host for ch in "/\\@?#* ") or ("=" in _entry and not _code):
        raise ImproperlyConfigured(
            f"GATEWAY_ALLOWED_HOSTS: {_entry!r} is not a host name, optionally =practice code."
        )
    GATEWAY_ALLOWED_HOSTS[_host] = _code

INSTALLED_APPS = [
    # Django admin, on support staff's site (practice.admin_site): every admin on it filters
    # only by what its page offers, and refuses NUL characters.
    "config.apps.SupportAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_email",
    "django_otp_webauthn",
    "oauth2_provider",
    # Layers, each importing only those above it in this list: the tenant core, phone codes,
    # users and sign-in, second factors, single sign-on for the practice's applications, and
    # the administrators' console on top.
    "practice",
    "phonecodes",
    "accounts",
    "mfa",
    "oidc",
    "practice.console",
]

MIDDLEWARE = [
    "practice.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's, except on /auth/verify, which needs no device (see accounts.gateway).
    "accounts.gateway.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After auth, django-otp and messages: it ends sessions that are no longer allowed.
    "accounts.middleware.SessionGuardMiddleware",
    # Dates and times in the zone the signed-in user reads in (the practice's, or their own).
    "accounts.middleware.ReadingTimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "practice.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "practice.context_processors.chrome",
                "accounts.context_processors.password_expiry",
                "accounts.context_processors.permissions",
                "practice.console.context_processors.console_link",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite allows one writer at a time. Django's default BEGIN (DEFERRED) starts a transaction
    # as a reader; when two such transactions then try to write, SQLite fails one with "database
    # is locked" at once, without waiting out the busy timeout (waiting would deadlock). BEGIN
    # IMMEDIATE takes the write lock up front, where the timeout does wait, so concurrent
    # sign-ins and create_user commands queue instead of failing. WAL lets readers go on beside
    # the writer; with WAL, synchronous=NORMAL never corrupts the file (a power loss, not a
    # crash of the app, may undo the last commits). Options in DATABASE_URL's query string win.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,  # seconds a writer waits; below gunicorn's default 30 s worker timeout
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **DATABASES["default"].get("OPTIONS", {}),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.PracticeBackend"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/account/"
LOGOUT_REDIRECT_URL = "/login/"

# Argon2 first: new and re-hashed passwords use it; the others only verify old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# The practice's rules (accounts.password_rules, from the effective policy), also for every
# password Django sets itself: createsuperuser, and the admin's password forms.
AUTH_PASSWORD_VALIDATORS = [{"NAME": "accounts.password_rules.PracticePasswordValidator"}]

# The sign-in pipeline: each stage passes, stops with a message, or sends the user to a step
# page. Order matters; the second factor joins here as configuration, so accounts never
# imports mfa.
# Where a completed sign-in without a `next` lands: a function of the user that answers a path,
# or None for My Account (LOGIN_REDIRECT_URL). The console names its own, so that accounts does
# not import the layer above it (as SIGNIN_STAGES does for the second factor).
SIGNIN_LANDING = "practice.console.access.signin_landing"

SIGNIN_STAGES = [
    "accounts.stages.CredentialsStage",
    "accounts.stages.LoginTimesStage",
    "accounts.stages.NetworkStage",
    "mfa.stages.SecondFactorStage",
    "accounts.stages.RequiredActionsStage",
]
# A second factor required while a user without one is signed in: the session guard asks this
# function whether the user has one, and sends them to this page to set one up
# (accounts.setup_due). Named here for the same reason as the stages.
SECOND_FACTOR_CHECK = "mfa.selectors.has_second_factor"
SECOND_FACTOR_SETUP_URL = "mfa:security"

# Where the end of a user's access reaches the layers above accounts, which accounts does not
# import (as SIGNIN_STAGES does for the second factor): each function is called once the change
# commits, with the user, the sessions whose access ended and why. The applications signed in
# through those sessions (OpenID Connect, oidc.endings) end with them.
ACCESS_END_HANDLERS = ["oidc.endings.sessions_access_ended"]
# A request the session guard has just signed out, answered by a view of a layer above instead
# of the redirect to the sign-in page: each function takes (request, user, reason) and answers
# a response, or None when the request is not its own. The OpenID Connect authorize endpoint
# tells the application "access_denied", and the user why.
SESSION_ENDED_ANSWERS = ["oidc.authorize.session_ended_answer"]
# Steps of `manage.py run_scheduled` that live above accounts: each takes `now` and answers a
# line for its report.
SCHEDULED_STEPS = ["oidc.backchannel.deliveries_retry_due"]

# Django's database sessions, written once per request (see accounts.session_store).
SESSION_ENGINE = "accounts.session_store"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 60 * 60  # the absolute session limit
CSRF_COOKIE_SAMESITE = "Lax"
# Empty (the default): the cookies go back only to PracticeGate's own host. For the gateway, the
# parent domain of the console and the applications (".example.org"), so the applications'
# requests carry the session to /auth/verify. SECURITY: every host under that domain then
# receives the session cookie: docs/gateway.md says what that asks of them.
SESSION_COOKIE_DOMAIN = env_str("SESSION_COOKIE_DOMAIN") or None
CSRF_COOKIE_DOMAIN = env_str("CSRF_COOKIE_DOMAIN") or None
# An absolute limit, whatever the practice's idle setting.
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # /healthz is probed over plain HTTP by load balancers.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Email: every Django email setting under its own name.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "config.console_mail.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "PracticeGate <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Text and voice codes: console (default), file (one file a message) or twilio.
# Unset in production: Twilio when it is configured, otherwise "none" (text and voice codes are
# not offered). Never "console" by default outside DEBUG: it would write codes to the log.
SMS_BACKEND = env_str(
    "SMS_BACKEND",
    "console" if DEBUG else ("twilio" if env_str("TWILIO_ACCOUNT_SID") else "none"),
)
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(BASE_DIR / "var" / "sms"))
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")

# Security keys and passkeys (django-otp-webauthn).
# In production the relying party defaults to the first ALLOWED_HOSTS name over https; in
# development to localhost:8000 (a passkey needs a host name, never an IP address).
_webauthn_host = next((h for h in ALLOWED_HOSTS if not DEBUG and h[0].isalpha()), "")
OTP_WEBAUTHN_RP_ID = env_str("OTP_WEBAUTHN_RP_ID", _webauthn_host or "localhost")
OTP_WEBAUTHN_RP_NAME = env_str("OTP_WEBAUTHN_RP_NAME", "PracticeGate")
OTP_WEBAUTHN_ALLOWED_ORIGINS = env_list(
    "OTP_WEBAUTHN_ALLOWED_ORIGINS",
    f"https://{_webauthn_host}" if _webauthn_host else "http://localhost:8000",
)
# A passkey is a second factor here, never a way in on its own (and security keys without
# room for discoverable credentials can still be registered).
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

OTP_TOTP_ISSUER = "PracticeGate"
# Keep TOTP keys out of django-otp's admin pages.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
OTP_EMAIL_SENDER = DEFAULT_FROM_EMAIL
OTP_EMAIL_TOKEN_VALIDITY = 600
OTP_EMAIL_SUBJECT = "PracticeGate verification code"
OTP_EMAIL_BODY_TEMPLATE_PATH = "emails/mfa_email_code.txt"

# Single sign-on: PracticeGate is an OpenID Connect provider for the practice's own applications
# (django-oauth-toolkit; docs/oidc.md). The issuer is SITE_URL + /o. ID tokens and back-channel
# logout tokens are signed (RS256) with OIDC_RSA_PRIVATE_KEY, a PEM; check --deploy refuses to
# pass without it. OIDC_RSA_PRIVATE_KEYS_INACTIVE: earlier keys (PEMs one after another), still
# published in the JWKS so that tokens they signed verify while a rotation settles.
# Development without one: a key generated once and kept in var/, which git ignores.
OIDC_RSA_PRIVATE_KEY = next(iter(pem_blocks(env_str("OIDC_RSA_PRIVATE_KEY"))), "")
if not OIDC_RSA_PRIVATE_KEY and DEBUG:
    OIDC_RSA_PRIVATE_KEY = local_signing_key(BASE_DIR / "var" / "oidc_signing_key.pem")
# Access tokens live 10 minutes at most; an application renews them with its refresh token
# (rotated at each use), which works no longer than the PracticeGate session it came from.
OIDC_ACCESS_TOKEN_SECONDS = 600
OAUTH2_PROVIDER_APPLICATION_MODEL = "oidc.Application"
# Not swapped, named because oidc.ApplicationSignIn refers to it (a swappable model's name must
# be a setting for the migrations).
OAUTH2_PROVIDER_GRANT_MODEL = "oauth2_provider.Grant"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_ISS_ENDPOINT": f"{SITE_URL.rstrip('/')}/o" if SITE_URL else "",
    "OIDC_RSA_PRIVATE_KEY": OIDC_RSA_PRIVATE_KEY,
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": pem_blocks(env_str("OIDC_RSA_PRIVATE_KEYS_INACTIVE")),
    "OAUTH2_VALIDATOR_CLASS": "oidc.validator.PracticeValidator",
    "SCOPES": {
        "openid": "Sign you in",
        "profile": "Your name, username, practice and role",
        "email": "Your email address",
    },
    "DEFAULT_SCOPES": ["openid"],
    "ACCESS_TOKEN_EXPIRE_SECONDS": OIDC_ACCESS_TOKEN_SECONDS,
    "ID_TOKEN_EXPIRE_SECONDS": OIDC_ACCESS_TOKEN_SECONDS,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "REFRESH_TOKEN_EXPIRE_SECONDS": SESSION_ABSOLUTE_SECONDS,
    "ROTATE_REFRESH_TOKEN": True,
    # A refresh token used twice (stolen and replayed) ends its whole family.
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # The authorization code flow only: no implicit or hybrid responses, no password grant.
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    # Redirect URIs are https, or http on a loopback address (oidc.applications checks each
    # one as it is registered); matched exactly (oidc.models.Application).
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    # Asked only when the ID token given is not this browser's own (OpenID RP-Initiated
    # Logout 1.0 section 2: "MUST ask ... if an id_token_hint was not provided").
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    # RFC 9700 (OAuth 2.0 Security Best Current Practice), all of it.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    # Access and refresh tokens are kept as SHA-256 checksums only, never as themselves.
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    # Public clients must use PKCE (S256); oidc.validator decides it per application.
    "PKCE_REQUIRED": True,
}
# Back-channel logout (OpenID Back-Channel Logout 1.0): how long an application has to answer
# one attempt, and the waits (seconds) before each retry after a failed one. The first retries
# happen in the background right away; the longer ones by `manage.py run_scheduled`.
OIDC_BACKCHANNEL_IN_BACKGROUND = True
OIDC_BACKCHANNEL_TIMEOUT_SECONDS = 5
OIDC_BACKCHANNEL_RETRY_SECONDS = [2, 10, 60, 300, 1800]

SILENCED_SYSTEM_CHECKS = [
    # Usernames are unique per practice, ignoring case (a database constraint on User), not
    # globally; our authentication backend looks users up by practice and username.
    "auth.W004",
    # django-oauth-toolkit's "http redirect URIs are allowed": oidc.applications accepts http
    # only for a loopback address (an application on this same machine, development, tests).
    "oauth2_provider.W008",
]

# Production: each record's message as it is (the audit events one JSON object a line, for the
# deployment's log system). DEBUG (the demo, read in a terminal): one plain line a record.
LOGGING = logging_config(debug=DEBUG, level=env_str("LOG_LEVEL", "INFO"))
