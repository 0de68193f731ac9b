"""Issue 22, items 4 and 6: the kinds of second factor and the purposes of phone codes are one
vocabulary (FactorKind, CodePurpose); the sign-in records the kind it passed with; audit rows
written before, which named a device's model, still read in words; a security key's failures
count where the codes' do; one timed-out answer for a step's JSON calls."""

import ast
import json
from pathlib import Path

import pytest
from django.contrib.auth import SESSION_KEY
from django_otp_webauthn.models import WebAuthnCredential

from accounts.sessions import AUTH_SESSION_KEY
from mfa.recovery_codes.flows import recovery_codes_generate
from practice.audit import audit_record
from practice.audit_words import audit_describe
from practice.models import AuditEvent
from practice.vocabulary import AuditAction, CodePurpose, FactorKind
from tests.mfa.helpers import app_code, app_device, code_in, phone_device, reauth
from tests.mfa.test_signin_stage import sign_in
from tests.signin_helpers import sign_in as signed_in

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "mfa", "phonecodes", "practice"]
NY = "America/New_York"


def key_device(user) -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user, name="YubiKey", confirmed=True, credential_id=b"k1", public_key=b"p"
    )


def describe(action, details):
    return audit_describe(action, details, time_zone=NY)


@pytest.mark.parametrize("vocabulary", [FactorKind, CodePurpose])
def test_item4_kinds_and_purposes_are_words_a_person_reads(vocabulary):
    for member in vocabulary:
        assert member.label and member.label != member.value
    assert FactorKind.APP.label == "Authenticator app"
    assert FactorKind.TEXT.label == "Text message"


def _bare_words(path: Path) -> list[str]:
    """A factor kind or a code purpose written as a bare string: a `kind=` argument that is a
    kind's value, a `purpose=` argument that is a literal (other than "", no purpose), a `.kind`
    compared with a kind's value, or a purpose spelled out in an f-string ("signin:{...}")."""
    kinds = set(FactorKind.values)
    purposes = tuple(f"{value}:" for value in CodePurpose.values)
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and first.value in purposes:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {first.value!r}")
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                value = keyword.value
                constant = value.value if isinstance(value, ast.Constant) else None
                bare_kind = keyword.arg == "kind" and constant in kinds
                bare_purpose = keyword.arg == "purpose" and (
                    isinstance(value, ast.JoinedStr) or (constant and isinstance(constant, str))
                )
                if bare_kind or bare_purpose:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {keyword.arg}=")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            on_kind = any(isinstance(s, ast.Attribute) and s.attr == "kind" for s in sides)
            if on_kind and any(
                isinstance(s, ast.Constant)
                and s.value in kinds
                or isinstance(s, ast.Tuple)
                and any(isinstance(e, ast.Constant) and e.value in kinds for e in s.elts)
                for s in sides
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} .kind compared")
    return found


def test_item4_no_code_names_a_factor_kind_or_a_code_purpose_as_a_bare_string():
    bare = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                bare += _bare_words(path)
    assert bare == []


@pytest.mark.parametrize("kind", ["app", "text", "voice", "recovery"])
def test_item4_the_sign_in_records_the_kind_of_its_second_factor(
    client, office, member, sms_outbox, kind
):
    if kind == "app":
        device = app_device(member)
    elif kind == "recovery":
        device = app_device(member)
        codes = recovery_codes_generate(user=member, actor=member)
    else:
        device = phone_device(member, method="voice" if kind == "voice" else "sms")
    assert sign_in(client, office.practice)["Location"] == "/login/verify/"
    if kind == "app":
        code = app_code(device)
    elif kind == "recovery":
        client.post("/login/verify/", {"action": "switch", "method": "recovery"})
        code = codes[0]
    else:
        code = code_in(sms_outbox[-1])
    assert client.post("/login/verify/", {"code": code})["Location"] == "/account/"
    assert client.session[SESSION_KEY] == str(member.pk)

    event = AuditEvent.objects.get(action="signin.succeeded")
    assert event.details == {"zone": "office", "second_factor": kind}
    stamp = client.session[AUTH_SESSION_KEY]
    assert stamp["second_factor_kind"] == kind
    # The persistent id stays where the session guard and the gateway read it.
    assert stamp["second_factor"].startswith(("mfa.", "otp_totp."))
    said = describe(event.action, event.details)
    assert ("Second factor", FactorKind(kind).label) in said.fields


def test_item4_a_sign_in_without_a_second_factor_records_none(client, office, member):
    sign_in(client, office.practice)
    event = AuditEvent.objects.get(action="signin.succeeded")
    assert event.details == {"zone": "office", "second_factor": ""}
    assert client.session[AUTH_SESSION_KEY]["second_factor_kind"] == ""


def test_item4_a_pairing_reset_records_the_kinds_removed(client, member):
    app_device(member)
    phone_device(member, method="voice")
    key_device(member)
    signed_in(client, member)
    reauth(client)
    client.post("/account/security/reset-pairing/")
    event = AuditEvent.objects.get(action="mfa.pairing_reset")
    assert event.details["kinds"] == ["app", "voice", "key"]
    said = describe(event.action, event.details)
    assert ("Kinds", "Authenticator app, Voice call, Security key or passkey") in said.fields


@pytest.mark.parametrize(
    "stored, words",
    [
        ("otp_totp.totpdevice", "Authenticator app"),
        ("mfa.authenticatorapp", "Authenticator app"),
        ("mfa.phonedevice", "Text or voice code"),
        ("django_otp_webauthn.webauthncredential", "Security key or passkey"),
        ("mfa.recoverycodedevice", "Recovery code"),
        ("otp_email.emaildevice", "Email code"),
    ],
)
def test_item4_rows_written_before_still_read_in_words(stored, words):
    said = describe("signin.succeeded", {"zone": "remote", "second_factor": stored})
    assert said.fields == (("Second factor", words),)
    said = describe("mfa.pairing_reset", {"removed": 1, "kinds": [stored]})
    assert ("Kinds", words) in said.fields


def test_item4_old_rows_read_on_the_audit_page(console, practice, member):
    for stored in ("mfa.phonedevice", "voice"):  # a row written before, and a new one
        details = {"zone": "remote", "second_factor": stored}
        audit_record(
            action=AuditAction.SIGNIN_SUCCEEDED, actor=member, target=member, details=details
        )
    body = console.get("/console/audit/").content.decode()
    assert "Text or voice code" in body
    assert "Voice call" in body
    assert "mfa.phonedevice" not in body


@pytest.mark.parametrize(
    "purpose, words",
    [
        ("signin", "sign-in"),
        ("signin-setup", "confirming identity before a first two-factor setup"),
        ("phone-setup", "adding a phone"),
        ("registration", "registration"),
        ("password-reset", "password reset"),
        ("phone-change", "changing the mobile phone"),
        ("something-else", "something-else"),
    ],
)
def test_item4_a_codes_purpose_reads_in_words(purpose, words):
    said = describe("mfa.code_sent", {"channel": "sms", "number": "+1••43", "purpose": purpose})
    assert said.fields == (("For", words),)


def test_item4_adding_a_phone_records_its_purpose(client, member, sms_outbox):
    signed_in(client, member)
    reauth(client)
    client.post("/account/security/phone/add/", {"number": "+12025550143", "method": "sms"})
    assert len(sms_outbox) == 1
    event = AuditEvent.objects.get(action="mfa.code_sent")
    assert event.details["purpose"] == CodePurpose.PHONE_SETUP
    assert ("For", "adding a phone") in describe(event.action, event.details).fields


def _key_complete(client):
    client.post("/login/verify/", {"action": "switch", "method": "key"})
    assert client.post("/login/verify/key/begin/").status_code == 200
    return client.post(
        "/login/verify/key/complete/", data=json.dumps({"id": "x"}), content_type="text/plain"
    )


def test_item4_a_security_keys_answer_that_does_not_check_out_counts_like_a_wrong_code(
    client, office, member
):
    key_device(member)
    sign_in(client, office.practice)
    response = _key_complete(client)
    assert 400 <= response.status_code < 500 and response.json()["code"] != "locked"
    member.refresh_from_db()
    assert member.failed_logins == 1
    assert AuditEvent.objects.filter(
        action="signin.failed", target=member, details__reason="second_factor"
    ).exists()


def test_item4_a_security_key_failure_at_the_threshold_locks(client, office, member):
    key_device(member)
    threshold = office.practice.lockout_threshold
    member.failed_logins = threshold - 1
    member.save(update_fields=["failed_logins"])
    sign_in(client, office.practice)
    response = _key_complete(client)
    assert response.status_code == 403
    assert response.json()["code"] == "locked"
    member.refresh_from_db()
    assert member.locked_at is not None


TIMED_OUT = {"detail": "Your sign-in timed out. Please sign in again.", "code": "timed_out"}


@pytest.mark.parametrize("url", ["/login/setup/key/begin/", "/login/setup/key/complete/"])
def test_item6_the_setups_key_calls_out_of_their_step_answer_timed_out(client, office, member, url):
    # At the verify step, the first setup's key calls are out of step.
    app_device(member)
    sign_in(client, office.practice)
    response = client.post(url)
    assert response.status_code == 403
    assert response.json() == TIMED_OUT


@pytest.mark.parametrize(
    "url",
    [
        "/login/verify/key/begin/",
        "/login/verify/key/complete/",
        "/login/setup/key/begin/",
        "/login/setup/key/complete/",
    ],
)
def test_item6_every_key_call_without_a_sign_in_answers_timed_out_alike(client, url):
    response = client.post(url)
    assert response.status_code == 403
    assert response.json() == TIMED_OUT
