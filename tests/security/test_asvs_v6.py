"""OWASP ASVS 5.0 V6 Authentication, Levels 1 and 2: one test (or a few) per requirement, named
by its id, so `pytest -k v6_2_1_` finds them. docs/SECURITY.md says how each is met."""

import ast
import html
import io
import math
import random
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import SESSION_KEY, authenticate
from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django_otp.plugins.otp_email.models import EmailDevice

from accounts.invitations import invitation_create, invitation_link
from accounts.lockout import ADDRESS_FAILURE_LIMIT
from accounts.models import User
from accounts.password_rules import validate_password
from mfa.models import RECOVERY_ALPHABET, RecoveryCode, RecoveryCodeDevice
from mfa.pairing import pairing_reset
from mfa.recovery_codes.flows import recovery_codes_generate
from phonecodes.codes import CODE_DIGITS, MAX_WRONG_CODES, phone_code_send, phone_code_verify
from practice.models import PasswordProfile, Practice, TwoFactorPolicy
from practice.policy import effective_policy
from tests.account_helpers import link_open
from tests.accounts.conftest import REMOTE, sign_in_post
from tests.factories import PASSWORD, StaffFactory, UserFactory
from tests.mfa.helpers import app_code, app_device, code_in, phone_device, reauth
from tests.security.conftest import section
from tests.signin_helpers import sign_in, signed_in_client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
APPS = ("config", "practice", "phonecodes", "accounts", "mfa")
NEW_PASSWORD = "Quiet-Harbor-Lantern-42"
WRONG = "Wrong-Horse-9!"


def use_nist_profile(practice, **changes):
    practice.password_profile = PasswordProfile.NIST
    for name, value in changes.items():
        setattr(practice, name, value)
    practice.save()


def change_password(client, current, new):
    return client.post(
        "/account/password/",
        {"current_password": current, "new_password1": new, "new_password2": new},
    )


def refusal_codes(password, user) -> set[str]:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        return {error.code for error in exc.error_list}
    return set()


def allow_remote(user):
    user.pm_username = user.username.upper()
    user.remote_access = True
    user.save(update_fields=["pm_username", "remote_access"])


# --- V6.1 Authentication documentation -------------------------------------------------------


def test_v6_1_1_the_documented_limits_are_the_enforced_ones(security_md):
    from accounts.password_reset import ACCOUNT_LIMIT, ADDRESS_LIMIT
    from phonecodes.codes import SEND_LIMITS

    text = section(security_md, "How sign-in attacks are slowed down")
    threshold = Practice._meta.get_field("lockout_threshold").default
    assert f"{threshold} failed attempts" in text
    assert f"{ADDRESS_FAILURE_LIMIT} failed sign-ins from one address" in text
    assert f"{MAX_WRONG_CODES} wrong tries" in text
    assert f"{ADDRESS_LIMIT} requests an hour from one address" in text
    assert f"{ACCOUNT_LIMIT} an hour for one account" in text
    (short, short_most), (day, day_most) = SEND_LIMITS
    assert f"{short_most} in {short.seconds // 60} minutes" in text
    assert f"{day_most} a day" in text


def test_v6_1_2_v6_2_11_the_documented_context_words_are_refused(security_md, member):
    text = section(security_md, "Passwords")
    for words in ("practice code", "practice's name", "username", "first or last name", "email"):
        assert words in text
    # Valley Pediatrics (valley), user nina (Nina Reyes, nina@example.test): each word, inside
    # an otherwise acceptable password, is refused.
    for password in (
        "Valley-Harbor-77!",
        "Pediatrics-Harbor-77!",
        "Harbor-Nina-77!x",
        "Harbor-Reyes-77!",
    ):
        codes = refusal_codes(password, member)
        assert codes & {"password_contains_practice", "password_too_similar"}, password
    assert refusal_codes("Granite-Harbor-77!", member) == set()


def test_v6_1_3_every_way_in_is_documented(security_md):
    text = section(security_md, "Ways in")
    for way in (
        "/login/",
        "/p/<code>/login/",
        "/admin/login/",
        "/password-reset/",
        "/invite/link/#<token>",
        "/login/emergency/",
        "/auth/verify",
    ):
        assert f"`{way}`" in text, way


# --- V6.2 Password security --------------------------------------------------------------------


def test_v6_2_1_no_practice_can_go_below_8_characters(member, practice):
    assert "password_too_short" in refusal_codes("Ab1!xyz", member)
    assert refusal_codes("Ab1!wxyz", member) == set()
    with pytest.raises(IntegrityError), transaction.atomic():
        Practice.objects.filter(pk=practice.pk).update(password_min_length=7)


def test_v6_2_2_a_user_changes_their_own_password(client, office, member):
    sign_in(client, member)
    response = change_password(client, PASSWORD, NEW_PASSWORD)
    assert response["Location"] == "/account/"
    client.post("/logout/")
    assert sign_in_post(client, office.practice, "nina", NEW_PASSWORD)["Location"] == "/account/"


@pytest.mark.parametrize("current", ["", WRONG])
def test_v6_2_3_changing_the_password_needs_the_current_one(client, member, current):
    sign_in(client, member)
    response = change_password(client, current, NEW_PASSWORD)
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


@pytest.mark.parametrize("password", ["P@ssw0rd", "Password1!"])
def test_v6_2_4_a_common_password_is_refused(client, member, password):
    sign_in(client, member)
    response = change_password(client, PASSWORD, password)
    assert "one of the most common passwords" in response.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_v6_2_4_the_nist_profile_refuses_common_long_passwords(member, practice):
    use_nist_profile(practice)
    assert "password_too_common" in refusal_codes("1q2w3e4r5t6y7u8i", member)


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="Not yet met: the blocklist is Django's 20,000 common passwords, of which only a few "
    "dozen meet either profile's length and character rules (ASVS asks for 3,000).",
)
@pytest.mark.parametrize("profile", [PasswordProfile.CLASSIC, PasswordProfile.NIST])
def test_v6_2_4_the_blocklist_holds_3000_passwords_that_the_rules_would_accept(
    member, practice, profile
):
    practice.password_profile = profile
    practice.save()
    policy = effective_policy(member)
    without_blocklist = type(policy)(**{**policy.__dict__, "password_blocklist": False})

    def rules_accept(candidate: str) -> bool:
        # The list is compared ignoring case: a user may capitalise a listed password.
        for variant in (candidate, candidate.capitalize()):
            try:
                validate_password(variant, user=User(username="x"), policy=without_blocklist)
            except ValidationError:
                continue
            return True
        return False

    listed = CommonPasswordValidator().passwords
    assert sum(1 for candidate in listed if rules_accept(candidate)) >= 3000


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="Not yet met: there is no breached-password corpus or lookup, only Django's list of "
    "20,000 common passwords.",
)
def test_v6_2_12_a_passphrase_known_from_breaches_is_refused(member, practice):
    # The most quoted passphrase there is; breach corpora hold it many times over.
    use_nist_profile(practice)
    assert "password_too_common" in refusal_codes("correcthorsebatterystaple", member)


def test_v6_2_5_the_nist_profile_takes_passwords_of_any_composition(client, member, practice):
    use_nist_profile(practice)
    sign_in(client, member)
    lower_case_words = "granite river lantern morning"
    response = change_password(client, PASSWORD, lower_case_words)
    assert response["Location"] == "/account/"
    member.refresh_from_db()
    assert member.check_password(lower_case_words)


def test_v6_2_5_the_default_rules_ask_for_four_kinds_of_character(member):
    # The default rules depart from V6.2.5 on purpose (docs/SECURITY.md, NIST 800-63B).
    codes = refusal_codes("granite river lantern morning", member)
    assert codes == {"password_no_upper", "password_no_digit"}


def invited(practice, admin_user, username="ivy") -> str:
    """An invited user of the practice (no password yet); returns the invitation's token."""
    user = UserFactory(practice=practice, username=username)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return invitation_create(user=user, actor=admin_user)


def password_inputs(console, member, admin_user) -> list[str]:
    """Every <input> for a password on the pages that ask for one, signed in or not."""
    token = invited(member.practice, admin_user)
    signed_in_pages = [
        f"/console/users/{member.pk}/",
        "/console/users/new/",
        "/account/",
        "/account/password/",
        "/account/confirm-password/",
    ]
    anonymous_pages = ["/login/", f"/p/{member.practice.code}/login/", "/admin/login/"]
    bodies = [console.get(path).content.decode() for path in signed_in_pages]
    visitor = Client()
    bodies += [visitor.get(path).content.decode() for path in anonymous_pages]
    bodies.append(link_open(visitor, invitation_link(token), follow=True).content.decode())
    tags = [tag for body in bodies for tag in re.findall(r"<input[^>]*>", body)]
    return [tag for tag in tags if re.search(r'name="[^"]*password[^"]*"', tag)]


def test_v6_2_6_every_password_field_masks_what_is_typed(console, member, admin_user):
    inputs = password_inputs(console, member, admin_user)
    assert len(inputs) >= 12
    for tag in inputs:
        assert 'type="password"' in tag, tag


def test_v6_2_7_password_fields_welcome_pasting_and_password_managers(console, member, admin_user):
    for tag in password_inputs(console, member, admin_user):
        assert re.search(r'autocomplete="(current|new)-password"', tag), tag
        assert "onpaste" not in tag.lower()
    for script in (ROOT / "static").rglob("*.js"):
        assert "paste" not in script.read_text(encoding="utf-8").lower(), script


def test_v6_2_8_the_password_is_checked_exactly_as_typed(client, office, member):
    typed = "Quiet Harbor Lantern 42 "
    member.set_password(typed)
    member.save(update_fields=["password"])
    for variant in (typed.strip(), typed.lower(), typed.upper(), " " + typed):
        response = sign_in_post(client, office.practice, "nina", variant)
        assert "invalid username or password" in response.content.decode().lower(), variant
    assert sign_in_post(client, office.practice, "nina", typed)["Location"] == "/account/"


def test_v6_2_8_a_long_password_is_not_cut_short(client, office, member):
    typed = "Quiet-Harbor-Lantern-42-" * 5  # 120 characters
    member.set_password(typed)
    member.save(update_fields=["password"])
    response = sign_in_post(client, office.practice, "nina", typed[:72])
    assert "invalid username or password" in response.content.decode().lower()
    assert sign_in_post(client, office.practice, "nina", typed)["Location"] == "/account/"


def test_v6_2_9_a_password_of_64_characters_and_more_is_taken(client, office, member):
    long_password = "Granite-River-Lantern-Morning-7" * 4  # 124 characters
    sign_in(client, member)
    assert change_password(client, PASSWORD, long_password)["Location"] == "/account/"
    client.post("/logout/")
    assert sign_in_post(client, office.practice, "nina", long_password)["Location"] == "/account/"


def test_v6_2_10_under_the_nist_profile_a_password_never_expires(client, office, member, clock):
    use_nist_profile(office.practice, two_factor_policy=TwoFactorPolicy.NONE)
    clock.shift(timedelta(days=3650))
    assert sign_in_post(client, office.practice, "nina", PASSWORD)["Location"] == "/account/"


def test_v6_2_10_the_default_rules_expire_a_password_after_90_days(client, office, member, clock):
    # The default rules depart from V6.2.10 on purpose (docs/SECURITY.md, NIST 800-63B).
    clock.shift(timedelta(days=89))
    assert sign_in_post(client, office.practice, "nina", PASSWORD)["Location"] == "/account/"
    client.post("/logout/")
    clock.shift(timedelta(days=2))
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert response["Location"] == "/login/password/"


# --- V6.3 General authentication security ------------------------------------------------------


def test_v6_3_1_five_wrong_passwords_lock_the_account(client, office, member):
    for _ in range(5):
        response = sign_in_post(client, office.practice, "nina", WRONG)
    assert "locked" in response.content.decode().lower()
    response = sign_in_post(client, office.practice, "nina", PASSWORD)
    assert "locked" in response.content.decode().lower()
    assert SESSION_KEY not in client.session


def test_v6_3_1_one_address_guessing_across_accounts_is_slowed_down(client, practice):
    for i in range(ADDRESS_FAILURE_LIMIT):
        sign_in_post(client, practice, f"guess{i}", WRONG, REMOTE_ADDR=REMOTE)
    UserFactory(practice=practice, username="real")
    response = sign_in_post(client, practice, "real", PASSWORD, REMOTE_ADDR=REMOTE)
    assert "too many failed sign-in attempts from your network" in response.content.decode().lower()


def test_v6_3_2_a_new_practice_has_no_account_to_guess():
    out = io.StringIO()
    call_command("create_practice", "fresh", "--name", "Fresh Clinic", stdout=out)
    practice = Practice.objects.get(code="fresh")
    assert not User.objects.filter(practice=practice).exists()
    # Its first user is invited: no password at all until they choose one.
    call_command("create_user", "fresh", "admin", "--email", "a@example.test", stdout=out)
    first = User.objects.get(practice=practice, username="admin")
    assert not first.has_usable_password()
    for password in ("admin", "password", "", PASSWORD):
        response = sign_in_post(Client(), practice, "admin", password)
        assert "Location" not in response, password


def test_v6_3_3_remote_and_support_sign_ins_always_need_a_second_factor(client, office, member):
    allow_remote(member)
    response = sign_in_post(client, office.practice, "nina", PASSWORD, REMOTE_ADDR=REMOTE)
    assert response["Location"] == "/login/setup/"
    assert SESSION_KEY not in client.session
    StaffFactory(username="support")
    response = client.post("/admin/login/", {"username": "support", "password": PASSWORD})
    assert response["Location"] == "/login/setup/"
    assert SESSION_KEY not in client.session


def test_v6_3_3_a_practice_can_ask_it_of_every_office_sign_in(client, office, member):
    office.practice.two_factor_policy = TwoFactorPolicy.REQUIRE
    office.practice.save()
    assert sign_in_post(client, office.practice, "nina", PASSWORD)["Location"] == "/login/setup/"
    assert client.get("/login/setup/").content.decode().count("Not now") == 0


def test_v6_3_3_by_default_an_office_sign_in_needs_only_the_password(client, office, member):
    # The default ("Not required") is documented as a departure (docs/SECURITY.md, V6.3.3).
    assert office.practice.two_factor_policy == TwoFactorPolicy.NONE
    assert sign_in_post(client, office.practice, "nina", PASSWORD)["Location"] == "/account/"


def test_v6_3_4_only_the_sign_in_pipeline_calls_login():
    callers = []
    for path in (module for app in APPS for module in (ROOT / app).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module == "django.contrib.auth"
            for alias in node.names
            if alias.name == "login"
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            called = node.func
            if (isinstance(called, ast.Name) and called.id in imported) or (
                isinstance(called, ast.Attribute)
                and called.attr == "login"
                and isinstance(called.value, ast.Name)
                and called.value.id == "auth"
            ):
                callers.append(str(path.relative_to(ROOT)))
    assert callers == ["accounts/signin.py"]


def test_v6_3_4_djangos_own_authenticate_signs_nobody_in(member, rf):
    request = rf.post("/")
    assert authenticate(request, username="nina", password=PASSWORD) is None


# --- V6.4 Authentication factor lifecycle and recovery ---------------------------------------


def test_v6_4_1_a_generated_temporary_password_follows_the_rules_once(
    console, office, member, clock
):
    response = console.post(f"/console/users/{member.pk}/temporary-password/", {"generate": "1"})
    shown = re.search(r'<output id="temporary-password"[^>]*>([^<]+)</output>', response.text)
    temporary = html.unescape(shown.group(1))  # the alphabet has "&"
    newcomer = User(username="newcomer", practice=member.practice)
    assert len(temporary) >= 16 and refusal_codes(temporary, newcomer) == set()
    browser = Client()
    # It signs in once, straight to choosing a password of the user's own...
    response = sign_in_post(browser, office.practice, "nina", temporary)
    assert response["Location"] == "/login/password/"
    # ...which may not be the temporary one: it never becomes the long-term password.
    browser.post("/login/password/", {"new_password1": temporary, "new_password2": temporary})
    member.refresh_from_db()
    assert member.must_change_password and SESSION_KEY not in browser.session
    # Unused, it expires after 72 hours.
    clock.shift(timedelta(hours=72, seconds=1))
    response = sign_in_post(Client(), office.practice, "nina", temporary)
    assert "temporary password has expired" in response.content.decode()


def test_v6_4_1_an_invitation_link_works_once_and_expires(client, admin_user, practice, clock):
    token = invited(practice, admin_user)
    form = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    link_open(client, invitation_link(token))
    assert client.post("/invite/set/", form).status_code == 302
    assert link_open(Client(), invitation_link(token), follow=True).status_code == 400
    late = invited(practice, admin_user, username="otto")
    clock.shift(timedelta(days=7, seconds=1))
    assert link_open(client, invitation_link(late), follow=True).status_code == 400


def test_v6_4_2_no_password_hints_or_secret_questions(client, practice, member):
    pages = [client.get(path).content.decode() for path in ("/login/", "/password-reset/")]
    pages.append(signed_in_client(member).get("/account/").content.decode())
    for body in pages:
        names = " ".join(re.findall(r'name="([^"]+)"', body)).lower()
        for word in ("hint", "question", "answer", "secret"):
            assert word not in names


def test_v6_4_3_a_password_reset_does_not_get_past_the_second_factor(client, office, member):
    app_device(member)
    client.post("/password-reset/", {"practice_code": "valley", "identifier": "nina"})
    form_page = link_open(client, mail.outbox[0].body)["Location"]
    form = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = client.post(form_page, form)
    assert response["Location"] == "/p/valley/login/"
    assert SESSION_KEY not in client.session
    response = sign_in_post(client, office.practice, "nina", NEW_PASSWORD)
    assert response["Location"] == "/login/verify/"
    assert SESSION_KEY not in client.session


def test_v6_4_4_a_lost_factor_is_replaced_with_the_proof_asked_at_enrollment(
    client, office, member, admin_user
):
    allow_remote(member)
    app_device(member)
    pairing_reset(user=member, actor=admin_user)
    # From outside, as at the first enrollment: the email on file proves who it is first.
    response = sign_in_post(client, office.practice, "nina", PASSWORD, REMOTE_ADDR=REMOTE)
    assert response["Location"] == "/login/setup/"
    assert "Confirm it is you" in client.get("/login/setup/", REMOTE_ADDR=REMOTE).content.decode()
    response = client.get("/login/setup/app/", REMOTE_ADDR=REMOTE)
    assert response["Location"] == "/login/setup/"


# --- V6.5 General multi-factor authentication -----------------------------------------------


def test_v6_5_1_every_kind_of_code_works_once(member, sms_outbox, clock):
    app = app_device(member)
    code = app_code(app)
    assert app.verify_token(code) is True
    assert app.verify_token(code) is False

    codes = recovery_codes_generate(user=member, actor=member)
    recovery = RecoveryCodeDevice.objects.get(user=member)
    assert recovery.verify_token(codes[0]) is True
    clock.shift(timedelta(seconds=2))
    assert recovery.verify_token(codes[0]) is False

    phone_code_send(user=member, number="+12025550143", purpose="signin:once")
    text = code_in(sms_outbox[-1])
    assert phone_code_verify(user=member, purpose="signin:once", code=text) is True
    assert phone_code_verify(user=member, purpose="signin:once", code=text) is False

    email = EmailDevice.objects.create(user=member, name="Email", confirmed=True)
    email.generate_challenge()
    emailed = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    assert email.verify_token(emailed) is True
    clock.shift(timedelta(seconds=2))
    assert email.verify_token(emailed) is False


@pytest.mark.xfail(
    strict=True,
    raises=ValueError,
    reason="Not yet met: recovery codes carry 60 random bits and are stored as salted SHA-256, "
    "not with a password hasher (ASVS asks for one below 112 bits).",
)
def test_v6_5_2_recovery_codes_below_112_bits_are_stored_with_a_password_hasher(member):
    from django.contrib.auth.hashers import identify_hasher

    app_device(member)
    codes = recovery_codes_generate(user=member, actor=member)
    bits = len(codes[0].replace("-", "")) * math.log2(len(RECOVERY_ALPHABET))
    stored = RecoveryCode.objects.filter(device__user=member).values_list("code_hash", flat=True)
    if bits < 112:
        for encoded in stored:
            identify_hasher(encoded)  # ValueError for a bare digest


def test_v6_5_3_codes_and_keys_do_not_follow_pythons_random_module(member, sms_outbox, clock):
    def draw():
        random.seed(20250530)
        app_device(member)
        key = member.totpdevice_set.order_by("-pk").first().key
        recovery = recovery_codes_generate(user=member, actor=member)
        clock.shift(timedelta(minutes=1))
        phone_code_send(user=member, number="+12025550143", purpose="signin:seed")
        return key, recovery, code_in(sms_outbox[-1])

    first, second = draw(), draw()
    assert len(first[0]) == 40  # 160 bits, as RFC 4226 recommends
    assert first[0] != second[0]
    assert set(first[1]).isdisjoint(second[1])
    # (Two 6-digit text codes may match by chance, one time in a million: not compared.)


def test_v6_5_4_codes_carry_at_least_20_bits(member, sms_outbox):
    app_device(member)
    codes = recovery_codes_generate(user=member, actor=member)
    assert len(set(codes)) == 10
    for code in codes:
        characters = code.replace("-", "")
        assert set(characters) <= set(RECOVERY_ALPHABET)
        assert len(characters) * math.log2(len(RECOVERY_ALPHABET)) >= 60
    phone_code_send(user=member, number="+12025550143", purpose="signin:bits")
    assert re.fullmatch(r"\d{6}", code_in(sms_outbox[-1]))
    assert CODE_DIGITS * math.log2(10) >= 19.9  # ASVS: "6 random digits is sufficient"


def test_v6_5_5_a_text_or_email_code_lasts_10_minutes(client, office, member, sms_outbox, clock):
    phone_device(member)
    sign_in_post(client, office.practice, "nina", PASSWORD)
    clock.shift(timedelta(minutes=10, seconds=1))
    response = client.post("/login/verify/", {"code": code_in(sms_outbox[-1])}, follow=True)
    # Not even checked: the page says the code has expired and asks for a new one.
    assert "has expired. Ask for a new one." in response.content.decode()

    browser = Client()
    sign_in_post(browser, office.practice, "nina", PASSWORD)
    browser.post("/login/verify/", {"action": "switch", "method": "email"})
    emailed = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    clock.shift(timedelta(minutes=10, seconds=1))
    response = browser.post("/login/verify/", {"code": emailed}, follow=True)
    assert "has expired. Ask for a new one." in response.content.decode()
    assert SESSION_KEY not in client.session and SESSION_KEY not in browser.session


def test_v6_5_5_an_app_code_is_dead_once_its_30_second_step_and_the_next_are_over(member, clock):
    app = app_device(member)
    code = app_code(app)
    clock.shift(timedelta(seconds=60))
    assert app.verify_token(code) is False


# --- V6.6 Out-of-band authentication ---------------------------------------------------------


def test_v6_6_1_text_codes_are_offered_with_their_risk_and_stronger_choices(client, member):
    sign_in(client, member)
    reauth(client)
    security = client.get("/account/security/", HTTP_HOST="localhost:8000").content.decode()
    assert "Add authenticator app" in security and "Add a security key or passkey" in security
    page = client.get("/account/security/phone/add/").content.decode()
    assert "weakest second step" in page and "SIM swap" in page
    # A number becomes a second factor only once a code sent to it came back.
    phone_device(member, confirmed=False)
    from mfa.selectors import has_second_factor

    assert not has_second_factor(member)


def test_v6_6_2_a_text_code_works_only_for_the_sign_in_that_asked(
    client, office, member, sms_outbox, clock
):
    phone_device(member)
    sign_in_post(client, office.practice, "nina", PASSWORD)
    first = code_in(sms_outbox[-1])
    other = type(client)()
    clock.shift(timedelta(seconds=31))
    sign_in_post(other, office.practice, "nina", PASSWORD)
    other.post("/login/verify/", {"code": first})
    assert SESSION_KEY not in other.session


def test_v6_6_2_an_email_code_works_only_for_the_sign_in_that_asked(client, office, member):
    app_device(member)
    sign_in_post(client, office.practice, "nina", PASSWORD)
    client.post("/login/verify/", {"action": "switch", "method": "email"})
    emailed = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    other = Client()
    sign_in_post(other, office.practice, "nina", PASSWORD)
    # Within the 30-second cooldown: the other sign-in gets no code of its own.
    other.post("/login/verify/", {"action": "switch", "method": "email"})
    other.post("/login/verify/", {"code": emailed})
    assert SESSION_KEY not in other.session


def test_v6_6_3_a_text_code_is_dead_after_5_wrong_tries(member, sms_outbox):
    phone_code_send(user=member, number="+12025550143", purpose="signin:guess")
    right = code_in(sms_outbox[-1])
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(MAX_WRONG_CODES):
        assert phone_code_verify(user=member, purpose="signin:guess", code=wrong) is False
    assert phone_code_verify(user=member, purpose="signin:guess", code=right) is False


def test_v6_6_3_wrong_codes_at_sign_in_lock_the_account(client, office, member, sms_outbox, clock):
    phone_device(member)
    sign_in_post(client, office.practice, "nina", PASSWORD)
    for _ in range(5):
        clock.shift(timedelta(minutes=1))
        response = client.post("/login/verify/", {"code": "000000"}, follow=True)
    assert "locked" in response.content.decode().lower()
    member.refresh_from_db()
    assert member.locked_at is not None
