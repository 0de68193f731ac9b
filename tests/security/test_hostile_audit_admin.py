"""Issue 21 (a hostile tester's report), items 3, 4 and 11, through HTTP as the attacker sent them.

3. One sign-in attempt named like a date ("2024-13-45") made the audit log, its search, its CSV
   export and the user page's activity answer 500 from then on.
4. Django admin answered any lookup on any field: `?password__gte=<prefix>` told a password hash
   away through the result count, one character at a time.
11. A NUL byte in a Django admin filter reached PostgreSQL, which refuses it: a 500.

The property-based half of item 3 (any JSON in any event's details) is in
test_hostile_audit_words.py.
"""

import html
import re
import types

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.sessions.models import Session
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.test import Client
from django.urls import path
from django.utils import timezone
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnAttestation, WebAuthnCredential, WebAuthnUserHandle
from oauth2_provider.models import AccessToken, Grant, RefreshToken

from accounts.models import Invitation, PasswordHistory, User, UserSession
from mfa.models import AuthenticatorApp, PhoneDevice, RecoveryCode, RecoveryCodeDevice
from oidc.models import Application, ApplicationSignIn
from phonecodes.models import PhoneCode
from practice.admin_site import offered_lookups
from practice.models import AuditEvent, Practice
from practice.vocabulary import AuditAction
from tests.factories import PracticeFactory, StaffFactory
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

DATE_THAT_IS_NOT = "2024-13-45"


@pytest.fixture
def support(db):
    """Support staff (no practice) in /admin/, signed in with their own second factor."""
    staff = StaffFactory(username="support")
    client = Client()
    sign_in(client, staff, device=TOTPDevice.objects.create(user=staff, name="Key", confirmed=True))
    return client


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_item3_a_sign_in_attempt_named_like_a_date_leaves_the_audit_log_readable(
    console, practice, member
):
    # The exact attack: anyone, not signed in, types the username on the practice's page.
    Client().post(
        f"/p/{practice.code}/login/", {"username": DATE_THAT_IS_NOT, "password": "anything"}
    )
    assert AuditEvent.objects.filter(
        practice=practice, action=AuditAction.SIGNIN_FAILED, target=None
    ).exists()
    # Any free text that reaches the log does the same: here the reason for a remote-access
    # grant, typed by the administrator, lands in the member's own activity.
    saved = console.post(
        f"/console/users/{member.pk}/",
        {
            "active": "on",
            "pm_username": "NREYES",
            "remote_access": "on",
            "remote_access_reason": DATE_THAT_IS_NOT,
            "role": member.practice_role_id,
            "two_factor_setup": member.two_factor_setup,
        },
    )
    assert saved.status_code == 302
    assert AuditEvent.objects.filter(
        target=member, action=AuditAction.REMOTE_ACCESS_GRANTED
    ).exists()

    pages = {
        "audit log": "/console/audit/",
        "search": f"/console/audit/?q={DATE_THAT_IS_NOT}",
        "CSV export": "/console/audit/export.csv",
        "user page": f"/console/users/{member.pk}/",
    }
    bodies = {}
    for name, url in pages.items():
        response = console.get(url)
        assert response.status_code == 200, name
        bodies[name] = _body(response)
    assert "Sign-in refused" in bodies["audit log"]
    assert DATE_THAT_IS_NOT in bodies["search"]
    assert "Sign-in refused" in bodies["CSV export"]
    assert DATE_THAT_IS_NOT in bodies["user page"]


@pytest.mark.parametrize(
    "stored",
    [
        '{"count": 1' + "0" * 5000 + "}",  # Python will not turn 4,300+ digits into an int
        '{"items": ' + "[" * 990 + "]" * 990 + "}",  # deeper than Python's recursion limit
    ],
    ids=["5001-digit number", "990 levels deep"],
)
def test_item3_details_python_cannot_read_leave_every_page_readable(
    console, support, practice, member, stored
):
    # Valid JSON that the database keeps but no code of ours writes (a restore, a script):
    # Django's own read of the column raised, and with it the page.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO practice_auditevent (practice_id, target_id, action, details, "
            "user_agent, created_at) VALUES (%s, %s, %s, %s, '', %s)",
            [practice.pk, member.pk, AuditAction.USER_CREATED, stored, timezone.now()],
        )
    event = AuditEvent.objects.get(action=AuditAction.USER_CREATED)
    for url in (
        "/console/audit/",
        "/console/audit/export.csv",
        f"/console/users/{member.pk}/",
    ):
        response = console.get(url)
        assert response.status_code == 200, url
        assert "User added" in _body(response), url
    for url in ("/admin/practice/auditevent/", f"/admin/practice/auditevent/{event.pk}/change/"):
        assert support.get(url).status_code == 200, url


# --- Item 4: Django admin answers only the lookups its pages offer ----------------------------

USERS = "/admin/accounts/user/"

# Every field of any installed model that holds a secret: password hashes, TOTP keys, codes and
# their hashes, tokens, session keys and data, security-key credentials.
SECRETS = [
    (User, "password"),
    (PasswordHistory, "password"),
    (TOTPDevice, "key"),
    (AuthenticatorApp, "key"),
    (StaticToken, "token"),
    (EmailDevice, "token"),
    (PhoneDevice, "token"),
    (RecoveryCodeDevice, "salt"),
    (RecoveryCode, "code_hash"),
    (PhoneCode, "code_hash"),
    (Invitation, "token_hash"),
    (Session, "session_key"),
    (Session, "session_data"),
    (UserSession, "session_key"),
    (WebAuthnCredential, "credential_id"),
    (WebAuthnCredential, "credential_id_sha256"),
    (WebAuthnCredential, "public_key"),
    (WebAuthnAttestation, "data"),
    (WebAuthnAttestation, "client_data_json"),
    (WebAuthnUserHandle, "handle_hex"),
    # Single sign-on (OpenID Connect): client secrets, codes and tokens.
    (Application, "client_secret"),
    (ApplicationSignIn, "token_family"),
    (Grant, "code"),
    (Grant, "code_challenge"),
    (AccessToken, "token"),
    (AccessToken, "token_checksum"),
    (RefreshToken, "token"),
    (RefreshToken, "token_checksum"),
    (RefreshToken, "token_family"),
]
SECRET_FIELDS = {model._meta.get_field(name) for model, name in SECRETS}
# Fields whose names sound like a secret's and are not (a policy, a date).
NOT_SECRETS = {
    (Practice, "password_profile"),
    (Practice, "password_min_length"),
    (Practice, "password_history"),
    (Practice, "password_expiry_days"),
    (User, "password_changed_at"),
    (User, "must_change_password"),
    (User, "temporary_password_expires_at"),
    (Application, "hash_client_secret"),  # whether the secret is kept hashed: always
}
SOUNDS_SECRET = re.compile(r"password|key|token|secret|hash|salt|session_data|credential_id|data")
LOOKUPS = ["", "__exact", "__gte", "__startswith", "__regex"]


def test_item4_the_list_of_secrets_is_every_field_that_sounds_like_one():
    # A secret added to any model later fails here until it is listed (and so tried below).
    sounding = {
        (field.model, field.name)  # a proxy's field is its concrete model's
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if SOUNDS_SECRET.search(field.name) and not field.is_relation
    }
    listed = {(field.model, field.name) for field in SECRET_FIELDS} | NOT_SECRETS
    assert sounding - listed == set()


def secret_paths(model, depth: int = 2) -> list[str]:
    """Every lookup from `model` to a secret field, through at most `depth` relations."""
    paths = []

    def walk(current, prefix, left):
        for field in current._meta.get_fields():
            if field in SECRET_FIELDS:
                paths.append(prefix + field.name)
            elif field.is_relation and field.related_model is not None and left:
                walk(field.related_model, f"{prefix}{field.name}__", left - 1)

    walk(model, "", depth)
    return paths


@pytest.fixture
def secrets_exist(practice, member):
    """One row of every secret a user can have, so a lookup that leaked would count one."""
    TOTPDevice.objects.create(user=member, name="Phone", confirmed=True)
    member.invitations.create(
        token_hash="a" * 64, created_at=timezone.now(), expires_at=timezone.now()
    )
    return member


def changelist_url(model) -> str:
    return f"/admin/{model._meta.app_label}/{model._meta.model_name}/"


def test_item4_a_password_hash_cannot_be_read_through_the_user_lists_count(support, member):
    # The reported attack: a binary search on the count of ?username=nina&password__gte=<x>.
    right, wrong = member.password[:12], "zzzz"
    answers = {}
    for lookup in ("password__gte", "password__startswith", "password__regex", "password"):
        for guess in (right, wrong):
            value = f"^{guess}" if lookup.endswith("regex") else guess
            response = support.get(USERS, {"username": member.username, lookup: value})
            answers[lookup, guess] = (response.status_code, response.content)
        assert answers[lookup, right][0] == 400, lookup
        assert answers[lookup, right] == answers[lookup, wrong], lookup


def test_item4_no_admin_filters_by_a_secret_or_through_a_relation_to_one(support, secrets_exist):
    tried = []
    for model in admin.site._registry:
        for secret in secret_paths(model):
            for lookup in LOOKUPS:
                response = support.get(changelist_url(model), {secret + lookup: "a"})
                assert response.status_code == 400, (model, secret + lookup)
                tried.append(secret + lookup)
    # The walk found the reported paths and the ones through relations.
    assert {"password__gte", "target__password__startswith", "users__password__regex"} <= set(tried)
    assert "users__totpdevice__key__startswith" in tried


def test_item4_what_each_admin_offers_names_no_secret():
    # The allow-list is what the pages offer: a filter or search on a secret would reopen it,
    # and a column sorted by one would order the rows by it.
    for model, model_admin in admin.site._registry.items():
        names = {
            *offered_lookups(model_admin, None),
            *(field.lstrip("^=@") for field in model_admin.search_fields),
            *(column for column in model_admin.list_display if isinstance(column, str)),
            *(str(field).lstrip("-") for field in model_admin.ordering or ()),
        }
        offered = [name.split("__") for name in names]
        for parts in offered:
            reached = []
            current = model
            for part in parts:
                try:
                    field = current._meta.get_field(part)
                except FieldDoesNotExist:
                    break
                reached.append(field)
                if not field.is_relation:
                    break
                current = field.related_model
            assert not SECRET_FIELDS.intersection(reached), (model, parts)


def _follow(client, url: str, query: str, *, depth: int) -> None:
    """The changelist page answers 200, and so does every link it offers, `depth` clicks on."""
    response = client.get(url + query)
    assert response.status_code == 200, url + query
    if depth:
        for link in sorted(set(re.findall(r'href="(\?[^"]*)"', response.text))):
            _follow(client, url, html.unescape(link), depth=depth - 1)


def test_item4_every_filter_and_search_the_changelists_offer_still_works(support, secrets_exist):
    event = AuditEvent.objects.create(
        practice=secrets_exist.practice,
        target=secrets_exist,
        action=AuditAction.USER_CREATED,
        created_at=timezone.now(),
    )
    for model, model_admin in admin.site._registry.items():
        url = changelist_url(model)
        _follow(support, url, "", depth=1)
        _follow(support, url, "?q=nina", depth=1)
        if field := model_admin.date_hierarchy:
            # Down to a day, then two clicks on: a filter chosen on a day's page links on with
            # the day as a range (`__gte`, `__lt`).
            day = timezone.localtime(event.created_at)
            query = f"?{field}__year={day.year}&{field}__month={day.month}&{field}__day={day.day}"
            _follow(support, url, query, depth=2)
    assert support.get(f"{USERS}?is_active__exact=1&role__exact=user").status_code == 200


@pytest.fixture
def device_admins(settings):
    """The device admins django-otp and django-otp-webauthn ship (ours unregisters them) and a
    plain Session admin, registered as a later change might, with the admin's routes rebuilt."""
    from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
    from django_otp_webauthn.admin import WebAuthnCredentialAdmin

    import config.urls

    registered = {TOTPDevice: TOTPDeviceAdmin, WebAuthnCredential: WebAuthnCredentialAdmin}
    for model, admin_class in registered.items():
        admin.site.register(model, admin_class)
    admin.site.register(Session)
    urls = types.ModuleType("urls_with_device_admins")
    urls.urlpatterns = [
        path("admin/", admin.site.urls) if str(route.pattern) == "admin/" else route
        for route in config.urls.urlpatterns
    ]
    settings.ROOT_URLCONF = urls
    yield
    for model in (*registered, Session):
        admin.site.unregister(model)


@pytest.mark.parametrize(
    ("model", "lookup"),
    [
        (TOTPDevice, "user__password__startswith"),
        (TOTPDevice, "key__startswith"),
        (TOTPDevice, "user__totpdevice__key__gte"),
        (WebAuthnCredential, "public_key__startswith"),
        (WebAuthnCredential, "user__password__regex"),
        (Session, "session_data__contains"),
        (Session, "session_key__startswith"),
    ],
)
def test_item4_an_admin_registered_later_offers_no_secret_either(
    device_admins, support, secrets_exist, model, lookup
):
    assert support.get(changelist_url(model), {lookup: "a"}).status_code == 400
    # What its page offers still works.
    assert support.get(changelist_url(model)).status_code == 200
    if model is TOTPDevice:
        assert support.get(changelist_url(model), {"confirmed__exact": "1"}).status_code == 200


# --- Item 11: a NUL character never reaches the database from Django admin ---------------------


@pytest.mark.parametrize(
    "url",
    [
        f"{USERS}?username=%00",
        f"{USERS}?q=%00",
        f"{USERS}?q=nina%00",
        f"{USERS}?role__exact=%00",
        f"{USERS}?is_active__exact=%00",
        f"{USERS}?practice__id__exact=%00",
        f"{USERS}?o=%00",
        f"{USERS}%00/change/",
        "/admin/practice/auditevent/?action=%00",
        "/admin/practice/auditevent/?created_at__year=%00",
        "/admin/practice/auditevent/?created_at__year=2026&created_at__month=%00",
        "/admin/practice/auditevent/?q=%00",
        "/admin/practice/practice/?q=%00",
        "/admin/practice/practicerole/?practice__id__exact=1&q=%00",
        "/admin/auth/group/?q=%00",
        "/admin/autocomplete/?term=%00&app_label=accounts&model_name=user&field_name=practice",
    ],
)
def test_item11_a_nul_byte_in_an_admin_filter_is_refused_not_a_500(support, member, url):
    # On PostgreSQL each reached the database, which refuses NUL in text; on SQLite some
    # answered a list of nothing. Either way: one clean refusal, for every admin.
    assert support.get(url).status_code == 400


@pytest.mark.parametrize("selected", ["\x00", "abc", "1 OR 1=1"])
def test_item11_an_action_posted_for_ids_that_are_not_ids_is_refused(support, member, selected):
    response = support.post(USERS, {"action": "unlock_users", "_selected_action": selected})
    assert response.status_code == 400


@pytest.mark.parametrize("to_practice", ["abc", "\x00", "99999999999999999999"])
def test_item11_copying_roles_to_a_practice_that_is_not_an_id_copies_nothing(
    support, practice, to_practice
):
    other = PracticeFactory(code="hillside")
    before = other.roles.count()
    response = support.post(
        "/admin/practice/practicerole/",
        {
            "action": "copy_roles",
            "_selected_action": practice.roles.first().pk,
            "to_practice": to_practice,
            "confirmed": "yes",
        },
    )
    assert response.status_code in (200, 400)
    assert other.roles.count() == before


@pytest.mark.parametrize(
    "url",
    [
        "/console/?q=%00",
        "/console/?q=a%00b&filtered=1&sort=%00&page=%00",
        "/console/audit/?q=%00",
        "/console/audit/?username=%00",
        "/console/audit/?action=%00&date_from=%00&date_to=%00",
        "/console/audit/?user=%00",
        "/console/audit/?before=%00&after=%00",
        "/console/audit/export.csv?q=%00",
        "/console/users/new/?copy=%00",
    ],
)
def test_item11_a_nul_byte_in_a_console_query_never_reaches_the_database(console, url):
    # Already so (each parameter goes through a form, an id parse or a cursor's digits); kept
    # here so that a new parameter that reaches a query raw fails on PostgreSQL.
    assert console.get(url).status_code in (200, 302, 400, 404)
