"""Items 1, 6 and 7 of issue 23: the practice registers its applications (the console, the
command, Django admin for support), the signing key, and what the audit log and the user page
say.
"""

import base64
import io
import json
import stat
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from jwcrypto import jwk

from accounts.lockout import user_lock
from config.signing_key import local_signing_key, pem_blocks
from oidc.models import Application
from practice.audit_words import event_describe
from practice.models import AuditEvent
from practice.roles import roles_seed
from practice.vocabulary import Permission, RoleKind
from tests.factories import PracticeFactory, StaffFactory
from tests.mfa.helpers import app_device
from tests.oidc.helpers import (
    application,
    authorize_url,
    code_from,
    make_application,
    sign_in_to,
    token_request,
    userinfo,
)
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

NEW = "/console/apps/new/"
FORM = {
    "name": "Charts",
    "kind": "confidential",
    "redirect_uris": "https://charts.example.test/oidc/callback\nhttp://127.0.0.1:9000/cb",
    "backchannel_logout_uri": "https://charts.example.test/oidc/backchannel",
    "post_logout_redirect_uris": "",
}


# --- Item 1: the console ------------------------------------------------------------------------


def test_item1_add_application_shows_the_secret_once_and_keeps_only_its_hash(console, practice):
    page = console.get("/console/apps/").content.decode()
    assert "Add application" in page
    form = console.get(NEW).content.decode()
    for label in (
        "Application name",
        "Redirect URIs",
        "Back-channel logout URI",
        "Save application",
    ):
        assert label in form
    response = console.post(NEW, FORM)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    application = Application.objects.get(practice=practice)
    body = response.content.decode()
    secret = body.split('id="client-secret" aria-label="Client secret">', 1)[1].split("<", 1)[0]
    assert application.client_id in body and len(secret) >= 64
    assert "http://testserver/o/.well-known/openid-configuration" in body
    # Only its hash is kept; no later page shows it.
    assert secret not in application.client_secret
    assert check_password(secret, application.client_secret)
    assert secret not in console.get(f"/console/apps/{application.pk}/").content.decode()
    assert secret not in console.get("/console/apps/").content.decode()
    assert application.redirect_uris.split() == [
        "https://charts.example.test/oidc/callback",
        "http://127.0.0.1:9000/cb",
    ]
    event = AuditEvent.objects.get(action="app.created")
    assert event.actor.username == "avery" and secret not in str(event.details)
    assert event_describe(event, time_zone="UTC").action == "Application added: Charts"


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("redirect_uris", "http://charts.example.test/cb", "must start with https://"),
        ("redirect_uris", "https://charts.example.test/cb#x", "#fragment"),
        ("redirect_uris", "https://user:pw@charts.example.test/cb", "user name or password"),
        ("redirect_uris", "javascript:alert(1)", "not a web address"),
        ("redirect_uris", "", "This field is required"),
        ("backchannel_logout_uri", "http://10.1.2.3/logout", "must start with https://"),
    ],
)
def test_item1_addresses_must_be_https_except_on_this_machine(console, field, value, says):
    response = console.post(NEW, {**FORM, field: value})
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not Application.objects.exists()


def test_item1_names_are_unique_in_the_practice(console, practice):
    make_application(practice, name="Charts")
    response = console.post(NEW, FORM)
    assert response.status_code == 400
    assert "already has an application named Charts" in response.content.decode()


def test_item1_a_public_application_has_no_secret(console, practice):
    response = console.post(NEW, {**FORM, "kind": "public"})
    assert "client-secret" not in response.content.decode()
    assert Application.objects.get().client_type == "public"


def test_item1_a_new_secret_replaces_the_old_one_at_once(console, member, charts):
    old = charts
    response = console.post(f"/console/apps/{charts.application.pk}/secret/")
    body = response.content.decode()
    secret = body.split('id="client-secret" aria-label="Client secret">', 1)[1].split("<", 1)[0]
    browser = signed_in_client(member)
    code = code_from(browser.get(authorize_url(charts.application)))
    assert token_request(old, code).json()["error"] == "invalid_client"
    charts.secret = secret
    code = code_from(browser.get(authorize_url(charts.application)))
    assert token_request(charts, code).status_code == 200
    assert AuditEvent.objects.filter(action="app.secret_rotated").count() == 1


def test_item1_editing_an_application(console, charts):
    url = f"/console/apps/{charts.application.pk}/"
    response = console.post(
        url,
        {
            "name": "Charts EHR",
            "redirect_uris": "https://charts.example.test/new",
            "backchannel_logout_uri": "",
            "post_logout_redirect_uris": "https://charts.example.test/bye",
            "always_second_factor": "on",
        },
    )
    assert response["Location"] == url
    application = Application.objects.get()
    assert application.name == "Charts EHR" and application.always_second_factor
    assert application.redirect_uris == "https://charts.example.test/new"
    event = AuditEvent.objects.get(action="app.changed")
    assert "redirect URIs" in event.details["fields"]


def test_item1_switching_an_application_off_ends_its_sign_ins(console, member, charts):
    browser = signed_in_client(member)
    tokens = sign_in_to(browser, charts)
    console.post(f"/console/apps/{charts.application.pk}/switch/")
    assert userinfo(tokens["access_token"]).status_code == 401
    assert browser.get(authorize_url(charts.application)).status_code == 400
    console.post(f"/console/apps/{charts.application.pk}/switch/", {"on": "1"})
    code_from(browser.get(authorize_url(charts.application)))


def test_item1_another_practices_application_is_not_found(console):
    other = make_application(PracticeFactory(code="hilltop"), name="Theirs")
    assert console.get(f"/console/apps/{other.application.pk}/").status_code == 404
    assert console.post(f"/console/apps/{other.application.pk}/secret/").status_code == 404
    assert console.post(f"/console/apps/{other.application.pk}/switch/").status_code == 404
    assert "Theirs" not in console.get("/console/apps/").content.decode()


def test_item1_the_administrator_role_may_manage_applications(practice, client, member):
    roles = roles_seed(practice)
    assert Permission.MANAGE_APPS in roles[RoleKind.ADMIN].permissions
    assert Permission.MANAGE_APPS not in roles[RoleKind.USER_MANAGER].permissions
    sign_in(client, member)
    assert client.get("/console/apps/").status_code == 403


def _migrated(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_item1_existing_administrator_roles_get_manage_applications():
    latest = MigrationLoader(None).graph.leaf_nodes()
    before = [("oidc", "0002_signins") if app == "oidc" else (app, name) for app, name in latest]
    try:
        old = _migrated(before)
        Practice = old.get_model("practice", "Practice")
        PracticeRole = old.get_model("practice", "PracticeRole")
        practice = Practice.objects.create(code="older", name="Older Practice")
        admin = PracticeRole.objects.create(
            practice=practice, name="Practice administrator", seeded_as="admin",
            permissions=["roles.manage", "users.view"],
        )  # fmt: skip
        own = PracticeRole.objects.create(practice=practice, name="Own", permissions=["audit.read"])
        _migrated(latest)
        admin.refresh_from_db()
        own.refresh_from_db()
        assert admin.permissions == ["apps.manage", "roles.manage", "users.view"]
        assert own.permissions == ["audit.read"]
    finally:
        _migrated(MigrationLoader(None).graph.leaf_nodes())


# --- Item 1: the command ---------------------------------------------------------------------


def test_item1_create_oidc_app_prints_the_client_id_and_secret(practice):
    out = io.StringIO()
    call_command(
        "create_oidc_app",
        "valley",
        "Wiki",
        "--redirect-uri",
        "https://wiki.example.test/login/callback",
        "--redirect-uri",
        "https://wiki.example.test/other",
        "--backchannel-logout-uri",
        "https://wiki.example.test/logout",
        "--post-logout-redirect-uri",
        "https://wiki.example.test/",
        stdout=out,
    )
    lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines())
    application = Application.objects.get(client_id=lines["client_id"])
    assert check_password(lines["client_secret"], application.client_secret)
    assert application.practice == practice and application.name == "Wiki"
    assert len(application.redirect_uris.split()) == 2
    assert application.backchannel_logout_uri == "https://wiki.example.test/logout"


def test_item1_create_oidc_app_public_prints_no_secret(practice):
    out = io.StringIO()
    call_command(
        "create_oidc_app", "valley", "Mobile", "--public", "--redirect-uri",
        "https://m.example.test/cb", stdout=out,
    )  # fmt: skip
    assert "client_id: " in out.getvalue() and "client_secret" not in out.getvalue()


def test_item1_create_oidc_app_refuses_bad_input_plainly(practice):
    with pytest.raises(CommandError, match="must start with https"):
        call_command("create_oidc_app", "valley", "Bad", "--redirect-uri", "http://x.test/cb")
    with pytest.raises(CommandError, match="No practice"):
        call_command("create_oidc_app", "nowhere", "Bad", "--redirect-uri", "https://x.test/cb")
    assert not Application.objects.exists()


# --- Item 1: Django admin, for support ----------------------------------------------------------


def test_item1_support_sees_applications_read_only_and_switches_them_off(client, charts):
    staff = StaffFactory(username="support")
    sign_in(client, staff, device=app_device(staff))
    listing = client.get("/admin/oidc/application/")
    assert listing.status_code == 200 and "Charts" in listing.content.decode()
    page = client.get(f"/admin/oidc/application/{charts.application.pk}/change/")
    assert page.status_code == 200
    assert charts.application.client_secret not in page.content.decode()
    assert client.get("/admin/oidc/application/add/").status_code == 403
    for toolkit in ("accesstoken", "refreshtoken", "grant", "idtoken"):
        assert client.get(f"/admin/oauth2_provider/{toolkit}/").status_code == 404
    client.post(
        "/admin/oidc/application/",
        {"action": "switch_off", "_selected_action": [charts.application.pk]},
    )
    assert not Application.objects.get().is_active
    event = AuditEvent.objects.get(action="app.switched_off")
    assert event.actor == staff and event.practice == charts.application.practice


# --- Item 6: the signing key --------------------------------------------------------------------


def test_item6_check_deploy_requires_the_signing_key(settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEY": ""}
    ids = [message.id for message in run_checks(include_deployment_checks=True)]
    assert "oidc.E001" in ids


def test_item6_a_key_that_is_not_an_rsa_private_key_is_refused(settings):
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_RSA_PRIVATE_KEY": "not a key"}
    assert "oidc.E002" in [message.id for message in run_checks()]


def test_item6_an_inactive_key_stays_in_the_jwks(settings, client, member, charts):
    active = jwk.JWK.from_pem(settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"].encode())
    earlier = jwk.JWK.generate(kty="RSA", size=2048)
    pem = earlier.export_to_pem(private_key=True, password=None).decode()
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": pem_blocks(pem),
    }
    published = {key["kid"] for key in application().get("/o/.well-known/jwks.json").json()["keys"]}
    assert published == {active.thumbprint(), earlier.thumbprint()}
    # New tokens are signed with the active key only.
    sign_in(client, member)
    tokens = sign_in_to(client, charts)
    header = json.loads(base64.urlsafe_b64decode(tokens["id_token"].split(".")[0] + "=="))
    assert header["kid"] == active.thumbprint()


def test_item6_the_development_key_is_made_once_and_kept_private(tmp_path):
    path = tmp_path / "var" / "oidc_signing_key.pem"
    first = local_signing_key(path)
    assert first.startswith("-----BEGIN PRIVATE KEY-----")
    assert local_signing_key(path) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "/var/" in (ROOT / ".gitignore").read_text().split()


def test_item6_pem_blocks_take_keys_one_after_another_and_escaped_newlines():
    key = jwk.JWK.generate(kty="RSA", size=2048).export_to_pem(private_key=True, password=None)
    text = key.decode()
    assert pem_blocks(text + text) == [text, text]
    assert pem_blocks(text.replace("\n", "\\n")) == [text]


# --- Item 6: the demo ---------------------------------------------------------------------------


def test_item6_seed_demo_registers_one_example_application_and_says_how_to_try_it():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=io.StringIO())
    [application] = Application.objects.filter(practice__code="demo")
    assert "/o/.well-known/openid-configuration" in out.getvalue()
    assert application.client_id in out.getvalue()


# --- Item 7: the audit log and the user page -------------------------------------------------


def test_item7_sign_ins_and_refusals_in_plain_words(console, member, admin_user, charts):
    browser = signed_in_client(member)
    sign_in_to(browser, charts)
    user_lock(user=member, actor=admin_user)
    browser.get(authorize_url(charts.application))
    log = console.get("/console/audit/").content.decode()
    assert "Signed in to Charts (office)" in log
    assert "Sign-in to Charts refused: account locked" in log
    page = console.get(f"/console/users/{member.pk}/").content.decode()
    assert 'id="applications"' in page and "Charts" in page


def test_item7_the_audit_filter_offers_the_applications_area(console):
    page = console.get("/console/audit/").content.decode()
    assert '<optgroup label="Applications">' in page
