"""Item 14 of the hostile tester's report: emailed secrets in the access logs.

A password reset link used to carry its token in the path of the first GET
(/password-reset/<uid>/<token>/), as do Django's own; the invitation (/invite/<token>/) and the
email change (/account/email/<token>/) did too. Whatever the view did next, the request line was
already in the reverse proxy's access log, in gunicorn's when it logs, and in Django's own log
lines that name a path. Now every emailed secret rides after the link's `#`, which a browser
never sends (accounts/emailed_links.py).

Each flow is followed as a person follows it, through the pages, while every request the server
sees is recorded (its request line, what an access log writes: the path and query, and every
header, the Referer among them), with the Location of every answer and every log record.
"""

import io
import logging
import re
import secrets
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.core.signals import request_started
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.invitations import invitation_create
from accounts.models import User
from accounts.tokens import email_change_token, password_reset_tokens
from bench.database import database_url
from bench.server import HttpClient, gunicorn, server_environment
from phonecodes import senders as sms
from practice.models import Practice
from tests.account_helpers import (
    CSRF_INPUT,
    code_in,
    file_email_bodies,
    link_in,
    link_open,
    link_path,
    link_secret,
)
from tests.factories import PASSWORD, PracticeFactory, UserFactory, starting_role
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Granite-River-42"


class RecordingClient(Client):
    """A browser whose answers are kept, for their Location headers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answers = []

    def request(self, **request):
        response = super().request(**request)
        self.answers.append(response)
        return response


class Wire:
    """Everything a server, a proxy in front of it, or our own logging could write down."""

    def __init__(self):
        self.requests: list[dict] = []

    def saw(self, sender, environ, **kwargs):
        self.requests.append(dict(environ))

    def request_lines(self) -> list[str]:
        return [
            f"{e.get('REQUEST_METHOD')} {e.get('PATH_INFO')}?{e.get('QUERY_STRING', '')}"
            for e in self.requests
        ]

    def assert_never(self, secret: str, *, clients=(), caplog=None) -> None:
        assert len(secret) >= 20, secret
        for environ in self.requests:
            line = f"{environ.get('PATH_INFO')}?{environ.get('QUERY_STRING', '')}"
            assert secret not in line, f"the server saw the secret in a request line: {line}"
            headers = {k: str(v) for k, v in environ.items() if k.startswith("HTTP_")}
            for name, value in headers.items():
                assert secret not in value, f"the server saw the secret in {name}: {value}"
        for client in clients:
            for answer in client.answers:
                location = answer.get("Location", "")
                assert secret not in location, f"an answer sent the secret back: {location}"
        if caplog is not None:
            for record in caplog.records:
                text = f"{record.getMessage()} {record.args!r} {vars(record)!r}"
                assert secret not in text, f"a log record holds the secret: {text[:500]}"


@pytest.fixture
def wire(caplog):
    caplog.set_level(logging.DEBUG)
    recorder = Wire()
    request_started.connect(recorder.saw)
    yield recorder
    request_started.disconnect(recorder.saw)


@pytest.fixture(autouse=True)
def empty_outboxes():
    mail.outbox = []
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def test_item14_reset_link_token_is_in_no_request_line_and_the_phone_step_still_works(
    practice, wire, caplog
):
    pat = UserFactory(
        practice=practice,
        username="pat",
        mobile_phone="+12025550143",
        mobile_phone_verified_at=timezone.now(),
    )
    browser = RecordingClient()
    browser.post("/password-reset/", {"practice_code": "valley", "identifier": "pat"})
    (email,) = mail.outbox
    secret = link_secret(email.body)
    token = secret.partition(".")[2]
    assert password_reset_tokens.check_token(pat, token)
    assert urlsplit(link_in(email.body)).path == "/password-reset/link/"

    opened = link_open(browser, email.body)
    assert opened["Location"] == "/password-reset/set-password/"
    step = browser.get(opened["Location"])
    assert 'autocomplete="one-time-code"' in step.content.decode()  # "Verification code"
    verified = browser.post(opened["Location"], {"code": code_in(sms.outbox[-1].body)})
    assert verified["Location"] == "/password-reset/set-password/"
    done = browser.post(
        opened["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done["Location"] == "/p/valley/login/"
    assert User.objects.get(pk=pat.pk).check_password(NEW_PASSWORD)

    assert "GET /password-reset/link/?" in wire.request_lines()
    wire.assert_never(token, clients=[browser], caplog=caplog)
    wire.assert_never(secret, clients=[browser], caplog=caplog)


def test_item14_invitation_link_token_is_in_no_request_line(admin_user, wire, caplog):
    console = RecordingClient()
    sign_in(console, admin_user)
    console.post(
        "/console/users/new/",
        {
            "username": "kim",
            "email": "kim@example.test",
            "role": starting_role(Practice.objects.get(code="valley")).pk,
            "then": "invite",
        },
    )
    (email,) = mail.outbox
    token = link_secret(email.body)
    assert link_path(email.body) == "/invite/link/"

    invitee = RecordingClient()
    opened = link_open(invitee, email.body)
    assert opened["Location"] == "/invite/set/"
    done = invitee.post(
        "/invite/set/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done["Location"] == "/p/valley/login/"
    assert User.objects.get(username="kim").check_password(NEW_PASSWORD)

    assert "GET /invite/link/?" in wire.request_lines()
    wire.assert_never(token, clients=[console, invitee], caplog=caplog)


def test_item14_email_change_link_token_is_in_no_request_line(member, wire, caplog):
    browser = RecordingClient()
    sign_in(browser, member)
    browser.post(
        "/account/",
        {
            "first_name": member.first_name,
            "last_name": member.last_name,
            "email": "nina.new@example.test",
            "mobile_phone": member.mobile_phone,
            "current_password": PASSWORD,
        },
    )
    confirm = next(m for m in mail.outbox if m.to == ["nina.new@example.test"])
    token = link_secret(confirm.body)
    assert link_path(confirm.body) == "/account/email/link/"

    opened = link_open(browser, confirm.body)
    assert opened["Location"] == "/account/email/confirm/"
    assert "Confirm email address" in browser.get("/account/email/confirm/").content.decode()
    browser.post("/account/email/confirm/")
    member.refresh_from_db()
    assert member.email == "nina.new@example.test"

    assert "GET /account/email/link/?" in wire.request_lines()
    wire.assert_never(token, clients=[browser], caplog=caplog)


def test_item14_create_user_prints_the_invitation_with_its_token_after_the_hash(practice):
    out = io.StringIO()
    call_command("create_user", "valley", "kim", "--email", "kim@example.test", stdout=out)
    link = next(word for word in out.getvalue().split() if "/invite/" in word)
    parts = urlsplit(link)
    assert parts.path == "/invite/link/" and not parts.query
    assert len(parts.fragment) >= 40


@pytest.mark.parametrize("kind", ["reset", "invitation", "email"])
def test_item14_an_old_link_with_its_token_in_the_path_no_longer_works_nor_is_logged(
    kind, practice, admin_user, member, wire, caplog
):
    """A link emailed before the change: its request line is in the proxy's log already, so
    its token must not work, and our own logging must not write it a second time."""
    browser = RecordingClient(raise_request_exception=False)
    if kind == "reset":
        uid = urlsafe_base64_encode(force_bytes(member.pk))
        token = password_reset_tokens.make_token(member)
        old, step = f"/password-reset/{uid}/{token}/", "/password-reset/set-password/"
        words = "This reset link has expired"
    elif kind == "invitation":
        invited = UserFactory(practice=practice, password="!")  # noqa: S106 - unusable
        token = invitation_create(user=invited, actor=admin_user)
        old, step, words = f"/invite/{token}/", "/invite/set/", "no longer valid"
    else:
        sign_in(browser, member)
        token = email_change_token(user=member, new_email="nina.new@example.test")
        old, step, words = f"/account/email/{token}/", "/account/email/confirm/", "expired"
    answer = browser.get(old)
    assert answer.status_code == 302 and answer["Location"] == step
    refused = browser.get(step)
    assert refused.status_code == 400
    assert words in refused.content.decode()
    # Nothing this server logged names the token (a 404 or 400 on that path would).
    wire.requests = [e for e in wire.requests if e.get("PATH_INFO") != old]
    wire.assert_never(token, clients=[], caplog=caplog)
    member.refresh_from_db()
    assert member.check_password(PASSWORD) and member.email != "nina.new@example.test"


def test_item14_without_javascript_the_pasted_link_opens_it(member):
    Client().post("/password-reset/", {"practice_code": "valley", "identifier": "nina"})
    (email,) = mail.outbox
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(link_path(email.body))
    body = page.content.decode()
    # The page's script is a static file (the CSP allows no inline script); without it the
    # page asks for the link.
    assert re.search(r'<script src="/static/js/emailed_link[.\w]*\.js" defer></script>', body)
    assert "<script>" not in body
    assert ">Link from the email</label>" in body
    csrf = CSRF_INPUT.search(body).group(1)

    empty = browser.post(link_path(email.body), {"link": " ", "csrfmiddlewaretoken": csrf})
    assert empty.status_code == 200
    assert "Paste the whole link from the email." in empty.content.decode()

    pasted = browser.post(
        link_path(email.body), {"link": link_in(email.body), "csrfmiddlewaretoken": csrf}
    )
    assert pasted["Location"] == "/password-reset/set-password/"
    page = browser.get(pasted["Location"]).content.decode()
    assert ">New password</label>" in page and ">Change password</button>" in page


@pytest.mark.postgres
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="gunicorn's workers share the test database (set DATABASE_URL=postgres://...)",
)
@pytest.mark.django_db(transaction=True)
def test_item14_gunicorns_access_log_holds_no_reset_token(tmp_path):
    """gunicorn as gunicorn.conf.py runs it, with its access log turned on in its default
    format (request line, Referer, user agent): the reset link, followed, leaves no token."""
    practice = PracticeFactory(code="valley")
    nina = UserFactory(practice=practice, username="nina", email="nina@example.test")
    env = server_environment(
        database_url=database_url(connection.settings_dict), secret_key=secrets.token_urlsafe(50)
    )
    env.update(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path / "mail"),
        GUNICORN_CMD_ARGS=f"--access-logfile {tmp_path / 'access.log'}",
    )
    with gunicorn(env=env, log_dir=tmp_path, workers=1) as server:
        browser = HttpClient(server.port)
        sent = browser.post_form(
            "/password-reset/", {"practice_code": "valley", "identifier": "nina"}
        )
        assert sent.status == 302, server.log_tail()
        (email,) = file_email_bodies(tmp_path / "mail")
        parts = urlsplit(link_in(email))
        token = parts.fragment.partition(".")[2]
        opened = browser.post_form(parts.path, {"link": parts.fragment})
        assert opened.header("Location") == "/password-reset/set-password/"
        done = browser.post_form(
            "/password-reset/set-password/",
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        assert done.header("Location") == "/p/valley/login/", server.log_tail()
    assert User.objects.get(pk=nina.pk).password.startswith("argon2")
    log = (tmp_path / "access.log").read_text()
    assert '"POST /password-reset/link/ HTTP/1.1" 302' in log
    assert len(token) >= 20 and token not in log
    assert token not in server.log_path.read_text()


@pytest.mark.parametrize(
    "landing", ["/password-reset/link/", "/invite/link/", "/account/email/link/"]
)
@pytest.mark.parametrize(
    "posted", ["#", "MQ.", ".x", "\x00", "%", "%zz", "x" * 2000, "x" * 2001, "é#ü", "a#b#c"]
)
def test_item14_any_posted_link_is_refused_plainly(member, landing, posted):
    """The link's page takes anything: the form again (200) or the step, which says the link is
    not valid (400); never a server error, and nothing changes."""
    browser = Client(raise_request_exception=False)
    answer = browser.post(landing, {"link": posted})
    if answer.status_code == 302:
        answer = browser.get(answer["Location"])
        assert answer.status_code == 400
    else:
        assert answer.status_code == 200
    member.refresh_from_db()
    assert member.check_password(PASSWORD)
