"""The demo practice: an administrator and users in the states worth showing. Idempotent."""

from datetime import time

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.lifecycle import emergency_access_set, pm_username_set, provider_set
from accounts.lockout import user_lock
from accounts.login_times import login_windows_set
from accounts.models import Role, User
from accounts.passwords import temporary_password_set
from accounts.remote_access import remote_access_grant
from accounts.users import user_create
from practice.models import Practice, Provider
from practice.providers import provider_create
from practice.services import practice_create
from practice.vocabulary import LockChange

DEMO_CODE = "demo"
# Demo-only credentials, printed on purpose: this command is for a laptop, never production.
DEMO_PASSWORD = "Harbor-Light-42!"  # noqa: S105
DEMO_TEMPORARY = "Welcome-Aboard-7!"  # noqa: S105
# The demo's provider (CMS's example NPI, whose check digit is right), linked to "doctor".
DEMO_PROVIDER = ("Dr. Dana Okafor", "1234567893", "doctor")

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

    @transaction.atomic
    def handle(self, *args, **options):
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
        self._seed_provider(practice)
        self.stdout.write(f"\nDemo practice: {practice.name}, code “{practice.code}”")
        self.stdout.write(f"Sign in at http://localhost:8000/p/{practice.code}/login/\n")
        self.stdout.write(f"{'username':<12} {'password':<18} state")
        for username, password, state in rows:
            self.stdout.write(f"{username:<12} {password:<18} {state}")

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
