"""Every page of the product, visited in real Chromium, for the checks that hold on all of them
(nothing wider than a phone, no dangling ARIA id, no axe violation).

Each tour is a generator: it drives the browser to a page, in the state a person meets it
(a failed save included), and yields the page's name; the test checks the page as it is and
the tour moves on. The pages' data come from `Site`, made once per test.
"""

import time
from dataclasses import dataclass
from datetime import time as clock

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.invitations import invitation_create
from accounts.lockout import user_lock, user_unlock
from accounts.login_times import login_windows_set
from accounts.models import Role, TwoFactorSetup
from accounts.password_reset import reset_secret
from accounts.passwords import temporary_password_set
from accounts.reauth import REAUTH_SESSION_KEY
from accounts.remote_access import remote_access_grant
from accounts.roles import role_create
from accounts.tokens import email_change_token, password_reset_tokens
from oidc.applications import application_create
from phonecodes import senders
from practice.vocabulary import LockChange, Permission
from tests.factories import PASSWORD, OfficeNetworkFactory, ProviderFactory, UserFactory
from tests.mfa.helpers import app_device, code_in, phone_device
from tests.signin_helpers import signed_in_client

PHONE_WIDTHS = (360, 390)
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class Site:
    practice: object
    admin: object
    member: object
    invited: object
    windowed: object
    app_ref: str
    invitation_token: str
    reset_path: str
    split: object
    user_manager: object
    front_desk: object
    front_desk_role: object
    no_factor: object
    admin_device: object
    email_token: str
    provider: object


def make_site(practice, admin_user, member) -> Site:
    """The demo practice as a person meets it: an office network, a member with a history, an
    invited user, and users who meet each sign-in step."""
    OfficeNetworkFactory(practice=practice, cidr="127.0.0.0/8")
    member.pm_username = "NREYES"
    member.mobile_phone = "+12025550177"
    member.save()
    remote_access_grant(user=member, actor=admin_user)
    user_lock(user=member, actor=admin_user, reason=LockChange.ADMINISTRATOR)
    user_unlock(user=member, actor=admin_user, reason=LockChange.ADMINISTRATOR)
    invited = UserFactory(
        practice=practice, username="ivan", first_name="Ivan", last_name="Invited", password=None
    )
    invited.set_unusable_password()
    invited.save()
    token = invitation_create(user=invited, actor=admin_user)
    # One user for each step of a sign-in.
    temporary = UserFactory(practice=practice, username="tess", first_name="Tess")
    temporary_password_set(user=temporary, password="Welcome-Aboard-7!", actor=admin_user)
    app_device(UserFactory(practice=practice, username="vic", first_name="Vic"))
    UserFactory(
        practice=practice,
        username="sam",
        first_name="Sam",
        two_factor_setup=TwoFactorSetup.REQUIRE,
    )
    UserFactory(
        practice=practice,
        username="erin",
        first_name="Erin",
        emergency_access=True,
        login_times_restricted=True,
    )
    user_manager = UserFactory(
        practice=practice, username="morgan", first_name="Morgan", role=Role.USER_MANAGER
    )
    # An invited user whose practice asks them to verify their phone at the first sign-in.
    UserFactory(
        practice=practice,
        username="pia",
        first_name="Pia",
        mobile_phone="+12025550188",
        verify_phone_at_registration=True,
    )
    # A user whose second factor is a text code.
    phone_device(UserFactory(practice=practice, username="tom", first_name="Tom"))
    # A custom role: the front desk unlocks and sets temporary passwords, nothing else.
    front_desk_role = role_create(
        practice=practice,
        actor=admin_user,
        name="Front desk",
        permissions=[Permission.UNLOCK, Permission.TEMPORARY_PASSWORD],
    )
    front_desk = UserFactory(
        practice=practice, username="fran", first_name="Fran", practice_role=front_desk_role
    )
    # A user without a second factor, for "Set up two-factor now".
    no_factor = UserFactory(practice=practice, username="theo", first_name="Theo")
    split = UserFactory(practice=practice, username="sage", first_name="Sage", last_name="Split")
    login_windows_set(
        user=split,
        actor=admin_user,
        restricted=True,
        windows={0: [(clock(7), clock(12)), (clock(13), clock(19))]},
    )
    windowed = UserFactory(practice=practice, username="wendy", first_name="Wendy")
    login_windows_set(
        user=windowed,
        actor=admin_user,
        restricted=True,
        windows={0: (clock(7), clock(19)), 4: (clock(22), clock(6, 30))},
    )
    app = app_device(member)
    return Site(
        practice=practice,
        admin=admin_user,
        member=member,
        invited=invited,
        windowed=windowed,
        app_ref=f"app-{app.pk}",
        invitation_token=token,
        reset_path="/password-reset/link/#"
        + reset_secret(member, password_reset_tokens.make_token(member)),
        split=split,
        user_manager=user_manager,
        front_desk=front_desk,
        front_desk_role=front_desk_role,
        no_factor=no_factor,
        # The administrator's own authenticator, for pages that need a session that passed it.
        admin_device=TOTPDevice.objects.create(user=admin_user, name="Admin phone", confirmed=True),
        email_token=email_change_token(user=member, new_email="nina.reyes@example.test"),
        provider=ProviderFactory(practice=practice, name="Dr. Ada Park"),
    )


def sign_in_as(
    context, base_url: str, user, *, reauth: bool = False, device=None, minutes_ago: int = 0
) -> None:
    """A signed-in browser (and, for the second-factor pages, a password typed just now; with
    `device`, a session that passed that second factor; `minutes_ago`, signed in that long ago)."""
    client = signed_in_client(user, device=device, minutes_ago=minutes_ago)
    if reauth:
        session = client.session
        session[REAUTH_SESSION_KEY] = time.time()
        session.save()
    context.clear_cookies()
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": client.session.session_key}
    context.add_cookies([{**cookie, "url": base_url}])


def _sign_in_form(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.context.clear_cookies()
    page.goto(f"{base_url}/p/valley/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def signed_out_pages(page, base_url: str, site: Site):
    page.context.clear_cookies()
    for path in (
        "/login/",
        "/p/valley/login/",
        "/password-reset/",
        "/password-reset/?practice=valley",
        "/invite/link/",
        "/invite/not-a-token/",
        "/password-reset/sent/",
        "/auth/refused?reason=remote-access&practice=valley",
        "/no-such-page/",
    ):
        page.goto(f"{base_url}{path}")
        yield path
    # An emailed link: its page posts the secret after "#" and the step page opens.
    for link, step in (
        (f"/invite/link/#{site.invitation_token}", "/invite/set/"),
        (site.reset_path, "/password-reset/set-password/"),
    ):
        page.goto(f"{base_url}{link}")
        page.wait_for_url(f"{base_url}{step}")
        yield step
    page.goto(f"{base_url}/login/")
    page.get_by_label("Practice code").fill("valley")
    page.get_by_label("Username").fill("nina")
    page.get_by_label("Password").fill("Wrong-Horse-9!")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    yield "/login/ after a wrong password"
    page.goto(f"{base_url}/password-reset/")
    page.get_by_role("button", name="Send reset link").click()
    page.wait_for_load_state()
    yield "/password-reset/ sent empty"


def signin_step_pages(page, base_url: str, site: Site):
    _sign_in_form(page, base_url, "tess", "Welcome-Aboard-7!")
    yield "forced password change"
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_load_state()
    yield "forced password change, refused"
    _sign_in_form(page, base_url, "vic")
    yield "second factor"
    page.get_by_label("Verification code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()
    yield "second factor, wrong code"
    # A text code went out for this sign-in; then, within the resend wait, another sign-in
    # (another browser) for which no code was sent.
    _sign_in_form(page, base_url, "tom")
    expect(page.get_by_text("We sent a code to ••0143").first).to_be_visible()
    yield "second factor, text code sent"
    _sign_in_form(page, base_url, "tom")
    expect(page.get_by_text("No code has been sent for this sign-in yet").first).to_be_visible()
    yield "second factor, no code sent within the wait"
    _sign_in_form(page, base_url, "sam")
    yield "two-factor setup"
    for path in ("/login/setup/app/", "/login/setup/phone/", "/login/setup/key/"):
        page.goto(f"{base_url}{path}")
        yield path
    page.goto(f"{base_url}/login/setup/phone/")
    page.get_by_label("Mobile number").fill("+12025550166")
    page.get_by_role("button", name="Send code").click()
    page.wait_for_url("**/login/setup/phone/confirm/")
    yield "/login/setup/phone/confirm/"
    page.get_by_label("Verification code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()
    yield "/login/setup/phone/confirm/, wrong code"
    time.sleep(1.1)  # django-otp's back-off after a wrong code
    page.get_by_label("Verification code").fill(code_in(senders.outbox[-1]))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/login/setup/recovery-codes/")
    yield "/login/setup/recovery-codes/"
    page.get_by_role("button", name="Create recovery codes").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    yield "/login/setup/recovery-codes/, codes shown"
    _sign_in_form(page, base_url, "pia")
    page.wait_for_url("**/login/phone/")
    expect(page.get_by_role("heading", name="Verify your phone")).to_be_visible()
    yield "/login/phone/"
    page.get_by_label("Verification code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    page.wait_for_load_state()
    yield "/login/phone/, wrong code"
    _sign_in_form(page, base_url, "erin")
    yield "refused by login times, emergency offered"
    page.get_by_role("button", name="Declare an emergency").click()
    page.wait_for_load_state()
    yield "declare an emergency"
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    yield "declare an emergency, no reason"


def my_account_pages(page, base_url: str, site: Site):
    sign_in_as(page.context, base_url, site.member, reauth=True)
    for path in (
        "/account/",
        "/account/password/",
        "/account/phone/",
        "/account/security/",
        "/account/security/app/add/",
        "/account/security/phone/add/",
        "/account/security/key/add/",
        "/account/security/recovery-codes/",
        "/account/security/reset-pairing/",
        f"/account/security/devices/{site.app_ref}/rename/",
        f"/account/security/devices/{site.app_ref}/remove/",
    ):
        page.goto(f"{base_url}{path}")
        yield path
    page.goto(f"{base_url}/account/")
    page.get_by_label("Email").fill("not an address")
    page.get_by_label("Mobile phone").fill("12")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    yield "/account/, failed save"
    page.goto(f"{base_url}/account/password/")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_load_state()
    yield "/account/password/, failed save"
    # Signed in a while ago: the password typed then no longer counts, and is asked again.
    sign_in_as(page.context, base_url, site.member, minutes_ago=10)
    page.goto(f"{base_url}/account/security/app/add/")
    yield "/account/confirm-password/"
    page.goto(f"{base_url}/account/email/link/#{site.email_token}")
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    yield "/account/email/confirm/"


def console_pages(page, base_url: str, site: Site):
    sign_in_as(page.context, base_url, site.admin)
    member, invited = site.member.pk, site.invited.pk
    for path in (
        "/console/",
        "/console/?filtered=1",
        f"/console/users/{member}/",
        f"/console/users/{site.admin.pk}/",
        f"/console/users/{invited}/",
        f"/console/users/{site.windowed.pk}/",
        "/console/users/new/",
        f"/console/users/new/?copy={member}",
        f"/console/users/{invited}/invitation/",
        f"/console/users/{member}/offboard/",
        f"/console/users/{member}/deactivate/",
        f"/console/users/{member}/reset-2fa/",
        "/console/sign-out-everyone/",
        "/console/settings/",
        "/console/audit/",
        f"/console/audit/?user={member}",
        "/console/reviews/",
    ):
        page.goto(f"{base_url}{path}")
        yield path
    page.goto(f"{base_url}/console/users/{member}/")
    page.get_by_label("Monday start").fill("25:00")
    page.locator("#login_times").get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    yield "user page, failed save"
    page.get_by_label("Access ends on").fill("2001-01-01")
    page.locator("#access").get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    yield "user page, failed save of another section"
    page.get_by_role("button", name="Set temporary password").click()
    page.wait_for_load_state()
    yield "user page, temporary password refused"
    page.goto(f"{base_url}/console/users/{member}/")
    page.get_by_role("button", name="Generate").click()
    page.wait_for_load_state()
    yield "temporary password shown"
    page.goto(f"{base_url}/console/settings/")
    page.get_by_label("Lockout threshold").fill("0")
    page.get_by_role("textbox", name="Office networks").fill("not a network")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_load_state()
    yield "settings, failed save"
    page.goto(f"{base_url}/console/users/new/")
    page.get_by_role("button", name="Add user").click()
    page.wait_for_load_state()
    yield "add user, failed save"
    page.goto(f"{base_url}/console/reviews/")
    page.get_by_role("button", name="Start review").click()
    page.wait_for_load_state()
    yield "access review, open"
    yield from _console_new_pages(page, base_url, site)


def _console_new_pages(page, base_url: str, site: Site):
    """Roles, split shifts, the audit log's search and groups, Set up two-factor now, and the
    console as a user manager and a custom role see it."""
    split, front_desk_role = site.split.pk, site.front_desk_role.pk
    for path in (
        "/console/roles/",
        "/console/roles/new/",
        f"/console/roles/{front_desk_role}/",
        f"/console/users/{split}/",
        "/console/audit/?q=remote",
        "/console/audit/?action=role.created",
        "/console/audit/?by=support",
        "/console/providers/",
        "/console/providers/new/",
        f"/console/providers/{site.provider.pk}/",
        # Without the administrator's own second factor in this session: refused, saying why.
        f"/console/users/{site.no_factor.pk}/set-up-2fa/",
    ):
        page.goto(f"{base_url}{path}")
        yield path
    page.goto(f"{base_url}/console/roles/{front_desk_role}/")
    page.get_by_label("Role name").fill("")
    page.get_by_role("button", name="Save role").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    yield "role page, failed save"
    page.goto(f"{base_url}/console/providers/new/")
    page.get_by_label("NPI").fill("1234567890")
    page.get_by_role("button", name="Add provider").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    yield "add provider, failed save"
    page.goto(f"{base_url}/console/users/{split}/")
    page.get_by_label("Monday second start").fill("11:00")
    page.locator("#login_times").get_by_role("button", name="Save").click()
    expect(
        page.get_by_text("Monday 07:00–12:00 and Monday 11:00–19:00 overlap").first
    ).to_be_visible()
    yield "split-shift user page, overlapping windows refused"
    # "Set up two-factor now" from a session that passed the administrator's own second factor.
    sign_in_as(page.context, base_url, site.admin, device=site.admin_device)
    page.goto(f"{base_url}/console/users/{site.no_factor.pk}/set-up-2fa/")
    yield "set up two-factor now"
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    yield "set up two-factor now, no password"
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/set-up-2fa/code/")
    expect(page.get_by_role("img", name="QR code")).to_be_visible()
    expect(page.get_by_role("link", name="Open in authenticator app")).to_be_visible()
    yield "set up two-factor now, code step"
    page.get_by_label("Verification code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Invalid code").first).to_be_visible()
    yield "set up two-factor now, wrong code"
    member = site.member.pk
    for name, user, paths in (
        (
            "user manager",
            site.user_manager,
            ("/console/", f"/console/users/{member}/", "/console/users/new/"),
        ),
        ("front desk", site.front_desk, ("/console/", f"/console/users/{member}/")),
    ):
        sign_in_as(page.context, base_url, user)
        for path in paths:
            page.goto(f"{base_url}{path}")
            yield f"{path} as {name}"


def application_pages(page, base_url: str, site: Site):
    """Single sign-on: the practice's applications in the console, and the pages a user meets
    on the way to one (the refusal, a request that cannot be used, the sign-out question)."""
    registered = application_create(
        practice=site.practice,
        actor=site.admin,
        name="Charts",
        redirect_uris=["https://charts.example.test/oidc/callback"],
        backchannel_logout_uri="https://charts.example.test/oidc/logout",
    )
    sign_in_as(page.context, base_url, site.admin)
    for path in (
        "/console/apps/",
        "/console/apps/new/",
        f"/console/apps/{registered.application.pk}/",
    ):
        page.goto(f"{base_url}{path}")
        yield path
    page.goto(f"{base_url}/console/apps/new/")
    page.get_by_label("Application name").fill("Notes")
    page.get_by_label("Redirect URIs").fill("http://notes.example.test/callback")
    page.get_by_role("button", name="Save application").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    yield "add application, failed save"
    page.get_by_label("Redirect URIs").fill("https://notes.example.test/callback")
    page.get_by_role("button", name="Save application").click()
    expect(page.get_by_label("Client secret")).to_be_visible()
    yield "application added, secret shown"
    page.goto(f"{base_url}/o/logout/")
    yield "/o/logout/, asked to confirm"
    page.goto(f"{base_url}/o/authorize/?client_id=unknown&response_type=code")
    yield "/o/authorize/, a request that cannot be used"
    sign_in_as(page.context, base_url, site.member)
    user_lock(user=site.member, actor=site.admin, reason=LockChange.ADMINISTRATOR)
    page.goto(
        f"{base_url}/o/authorize/?response_type=code&scope=openid&state=s"
        f"&client_id={registered.application.client_id}"
        "&redirect_uri=https://charts.example.test/oidc/callback"
    )
    expect(page.get_by_role("link", name="Back to Charts")).to_be_visible()
    yield "/o/authorize/, refused"


TOURS = {
    "signed-out": signed_out_pages,
    "sign-in steps": signin_step_pages,
    "my account": my_account_pages,
    "console": console_pages,
    "applications": application_pages,
}
