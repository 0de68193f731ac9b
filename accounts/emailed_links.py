"""Emailed links that carry a secret: a password reset, an invitation, an email change.

The secret rides in the link's fragment, after the `#`
(`https://gate.example.org/password-reset/link/#MQ.cfx1a2-3b4c...`). A browser never sends a
fragment to a server, not in the request line and not in a Referer header, so no access log
holds it: not the reverse proxy's (nginx, Caddy, Traefik or any other), not gunicorn's, not
Django's. A token in the path, as Django's own reset link has it, is written into every one of
those logs before our view can move it anywhere.

The link opens a page whose path holds no secret. Its static script (`js/emailed_link.js`)
takes the fragment out of the address bar and posts it in a form body; the view keeps it in the
session and sends the browser on to the step page (set a password, confirm an address), which
reads it from there. Without JavaScript the same page asks for the link to be pasted, and takes
the whole link or the part after its `#`.

One mechanism for every such link: a new emailed link with a secret is one more `EmailedLink`
here, built with `emailed_link()`, and its step reads `link_secret()`.
"""

from dataclasses import dataclass
from urllib.parse import unquote

from django.urls import reverse

from accounts.sessions import session_secret_keep
from practice.links import site_link

# A secret longer than this is no secret of ours: refused before it reaches the session.
MAX_LINK_LENGTH = 2000


@dataclass(frozen=True)
class EmailedLink:
    landing: str  # URL name of the page the link opens (no secret in its path)
    step: str  # URL name of the page that goes on with the secret, read from the session
    session_key: str
    title: str  # the landing page's heading


PASSWORD_RESET = EmailedLink(
    landing="accounts:password_reset_link",
    step="accounts:password_reset_confirm",
    session_key="_pg_password_reset",
    title="Reset your password",
)
INVITATION = EmailedLink(
    landing="accounts:invitation_link",
    step="accounts:invitation",
    session_key="_pg_invitation",
    title="Accept your invitation",
)
EMAIL_CHANGE = EmailedLink(
    landing="accounts:email_link",
    step="accounts:email_confirm",
    session_key="_pg_email_change",
    title="Confirm your new email address",
)


def emailed_link(kind: EmailedLink, secret: str, *, base: str = "") -> str:
    """The full link to email: the landing page on the public site, the secret after `#`."""
    path = reverse(kind.landing)
    origin = f"{base.rstrip('/')}{path}" if base else site_link(path)
    return f"{origin}#{secret}"


def secret_from_link(text: str) -> str:
    """The secret of what the landing page received: the fragment its script posts, or a whole
    link (or just its part after `#`) pasted by hand."""
    secret = text.strip().rpartition("#")[2].strip()
    # A mail program may have percent-encoded a character; our secrets never hold a `%`.
    return unquote(secret)


def link_secret_keep(request, kind: EmailedLink, secret: str) -> None:
    """Keep the secret for the step page, under a new session key (a planted key must not
    reach the step); a new link replaces whatever an older one left."""
    session_secret_keep(request, kind.session_key, {"secret": secret})


def link_state(request, kind: EmailedLink) -> dict:
    """What the step keeps for this link in the session: the secret, and the step's own state."""
    state = request.session.get(kind.session_key)
    return state if isinstance(state, dict) else {}


def link_secret(request, kind: EmailedLink) -> str:
    return str(link_state(request, kind).get("secret", ""))


def link_state_save(request, kind: EmailedLink, state: dict) -> None:
    request.session[kind.session_key] = state


def link_forget(request, kind: EmailedLink) -> None:
    request.session.pop(kind.session_key, None)
