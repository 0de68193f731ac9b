"""The demo practice: an administrator and users in the states worth showing, a provider, a
support staff sign-in, and an example application of single sign-on. Idempotent."""

import base64
import hashlib
from datetime import time
from urllib.parse import urlencode

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.lifecycle import emergency_access_set, pm_username_set, provider_set
from accounts.lockout import user_lock
from accounts.login_times import login_windows_set
from accounts.models import Role, User
from accounts.passwords import temporary_password_set
from accounts.remote_access import remote_access_grant
from accounts.users import user_create
from mfa.devices import device_added
from mfa.models import PhoneDevice
from oidc.applications import application_create
from oidc.discovery import discovery_url, issuer
from oidc.models import Application
from phonecodes.models import PhoneChannel
from phonecodes.numbers import mask_number
from practice.links import site_link
from practice.models import Practice, Provider
from practice.providers import provider_create
from practice.services import practice_create
from practice.vocabulary import FactorKind, LockChange

DEMO_CODE = "demo"
# Demo-only credentials, printed on purpose: this command is for a laptop, never production.
DEMO_PASSWORD = "Harbor-Light-42!"  # noqa: S105
DEMO_TEMPORARY = "Welcome-Aboard-7!"  # noqa: S105
# The demo's provider (CMS's example NPI, whose check digit is right), linked to "doctor".
DEMO_PROVIDER = ("Dr. Dana Okafor", "1234567893", "doctor")
# Support staff (Django admin), with the demo password; their text codes go to a number kept
# for fiction (555-01xx), printed in the terminal like every code of the demo.
DEMO_SUPPORT = ("support", "Sam", "Rivera")
DEMO_SUPPORT_PHONE = "+12025550100"

# The example application (single sign-on, docs/oidc.md): nothing listens at its redirect URI;
# the browser shows the code there, and the printed command exchanges it.
DEMO_APPLICATION = "Demo notes"
DEMO_REDIRECT = "http://127.0.0.1:8001/callback"
# PKCE's verifier for trying it by hand (a demo value: it protects nothing but the demo).
DEMO_VERIFIER = "demo-verifier-for-trying-single-sign-on-by-hand-0123456789"

USERS = [
    # username, first, last, role, state
    ("admin", "Avery", "Admin", Role.ADMIN, "active"),
    ("nurse", "Nina", "Reyes", Role.USER, "active"),
    ("doctor", "Dana", "Okafor", Role.USER, "remote"),
    ("frontdesk", "Felix", "Hart", Role.USER, "login_times"),
    ("locked", "Lee", "Locke", Role.USER, "locked"),
    ("newhire", "Nora", "Quinn", Role.USER, "temporary"),
    ("manager", "Morgan", "Bell", Role.USER_MANAGER, "active"),
    ("oncall", "Omar", "Cruz", Role.USER, "emergency"),
]


class Command(BaseCommand):
    help = "Create (or refresh) the demo practice and print its sign-ins."

    def handle(self, *args, **options):
        # Seeded in one transaction, printed once it commits: the audit events of the seeding
        # are logged as it commits, and would bury the sign-ins printed before.
        with transaction.atomic():
            practice, rows = self._practice()
            self._seed_provider(practice)
            self._support()
            application = self._application(practice)
        self.stdout.write(f"\nDemo practice: {practice.name}, code “{practice.code}”")
        self.stdout.write(f"Sign in at {site_link(f'/p/{practice.code}/login/')}\n")
        self.stdout.write(f"{'username':<12} {'password':<18} state")
        for username, password, state in rows:
            self.stdout.write(f"{username:<12} {password:<18} {state}")
        self.stdout.write(f"\nSupport staff sign in to Django admin at {site_link('/admin/')}")
        self.stdout.write(f"{'username':<12} {'password':<18} second factor")
        self.stdout.write(
            f"{DEMO_SUPPORT[0]:<12} {DEMO_PASSWORD:<18} a text code to {DEMO_SUPPORT_PHONE}"
        )
        self.stdout.write(
            "Text codes and emails are printed here. To sign in from outside the office, see "
            "README.md, “Trying a remote sign-in”."
        )
        self._application_how_to(application)

    def _practice(self) -> tuple[Practice, list[tuple[str, str, str]]]:
        practice = Practice.objects.filter(code=DEMO_CODE).first()
        if practice is None:
            practice = practice_create(
                code=DEMO_CODE,
                name="Valley Family Medicine",
                time_zone="America/New_York",
                office_networks=["127.0.0.0/8", "::1/128", "192.168.10.0/24"],
            )
        rows = []
        for username, first, last, role, state in USERS:
            user = User.objects.with_username(username).filter(practice=practice).first()
            if user is None:
                user = user_create(
                    practice=practice,
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@demo.practicegate.test",
                    role=role,
                    password=DEMO_PASSWORD,
                    actor=None,
                )
                self._apply_state(user, state)
            password = DEMO_TEMPORARY if state == "temporary" else DEMO_PASSWORD
            rows.append((username, password, state))
        return practice, rows

    def _support(self) -> None:
        """A support staff member (once), made as createsuperuser makes them, with a text phone
        for their second factor (support staff always need one), whose codes print here."""
        username, first, last = DEMO_SUPPORT
        if User.objects.with_username(username).filter(practice__isnull=True).exists():
            return
        staff = User.objects.create_superuser(
            username=username,
            email=f"{username}@practicegate.test",
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
        )
        # Paired here without a code (a seed, not a path any page offers: every real pairing
        # proves the phone with one), and audited as a pairing is.
        phone = PhoneDevice.objects.create(
            user=staff,
            number=DEMO_SUPPORT_PHONE,
            method=PhoneChannel.SMS,
            name=f"{PhoneChannel.SMS.label} to {mask_number(DEMO_SUPPORT_PHONE)}",
            confirmed=True,
        )
        device_added(user=staff, device=phone, kind=FactorKind.TEXT, actor=None, request=None)

    def _application(self, practice: Practice) -> Application:
        """The example application: public (no secret, so each run prints the same), signed in
        with PKCE and the demo's fixed verifier."""
        application = Application.objects.filter(practice=practice, name=DEMO_APPLICATION).first()
        if application is None:
            application = application_create(
                practice=practice,
                actor=None,
                name=DEMO_APPLICATION,
                redirect_uris=[DEMO_REDIRECT],
                public=True,
            ).application
        return application

    def _application_how_to(self, application: Application) -> None:
        client_id = application.client_id
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(DEMO_VERIFIER.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        authorize = f"{issuer()}/authorize/?" + urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": DEMO_REDIRECT,
                "scope": "openid profile email",
                "state": "demo",
                "nonce": "demo",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        write = self.stdout.write
        write(f"\nSingle sign-on (OpenID Connect): the example application {DEMO_APPLICATION}")
        write(f"discovery:    {discovery_url()}")
        write(f"client_id:    {client_id}  (public: no secret, PKCE)")
        write(f"redirect URI: {DEMO_REDIRECT}")
        write("Try it: open this, sign in (nurse), and copy the code from the address the")
        write("browser is sent to (nothing answers there):")
        write(f"  {authorize}")
        write(
            "then exchange it for the tokens (the ID token is a JWT: its middle part, the claims):"
        )
        write(
            f"  curl -s -d grant_type=authorization_code -d client_id={client_id} "
            f"-d code_verifier={DEMO_VERIFIER} -d redirect_uri={DEMO_REDIRECT} "
            f"-d code=CODE {issuer()}/token/"
        )

    def _apply_state(self, user: User, state: str) -> None:
        # The same services as the console, with the demo's administrator as the actor.
        admin = User.objects.get(practice=user.practice, username="admin")
        if state == "remote":
            pm_username_set(user=user, actor=admin, pm_username=user.username.upper())
            remote_access_grant(user=user, actor=admin, reason="demo")
        elif state == "locked":
            user_lock(user=user, actor=admin, reason=LockChange.DEMO)
        elif state == "temporary":
            temporary_password_set(user=user, password=DEMO_TEMPORARY, actor=admin)
        elif state == "emergency":
            # Login times that allow nothing: only a declared emergency gets this user in.
            login_windows_set(user=user, actor=admin, restricted=True, windows={})
            emergency_access_set(user=user, actor=admin, enabled=True)
        elif state == "login_times":
            weekdays = {day: (time(7, 0), time(19, 0)) for day in range(5)}
            login_windows_set(user=user, actor=admin, restricted=True, windows=weekdays)

    def _seed_provider(self, practice: Practice) -> None:
        """A provider, linked to one demo user, through the console's services (once)."""
        name, npi, username = DEMO_PROVIDER
        if Provider.objects.filter(practice=practice, npi=npi).exists():
            return
        admin = User.objects.get(practice=practice, username="admin")
        provider = provider_create(practice=practice, actor=admin, name=name, npi=npi)
        user = User.objects.with_username(username).filter(practice=practice).first()
        if user is not None and user.provider_id is None:
            provider_set(user=user, actor=admin, provider=provider)
