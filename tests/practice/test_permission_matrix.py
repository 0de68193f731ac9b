"""Every console URL and method, as a user of every seeded role and of a role holding exactly one
permission: allowed (not 403) when the role holds what the permission list below says, refused
(403) when it does not.

The routes are read from the URL configuration: a console view added without a
`console_view(get=..., post=...)` declaration, or without its line in PERMISSION_LIST, fails
here; and each view's declaration must say what the list says.
"""

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccessReview, UserSession
from accounts.reviews import review_start
from oidc.applications import application_create
from oidc.models import Application
from practice.console import urls as console_urls
from practice.models import PracticeRole, Provider
from practice.roles import effective_permissions, roles_seed
from practice.vocabulary import Permission, RoleKind
from tests.factories import AdminFactory, UserFactory
from tests.signin_helpers import sign_in

pytestmark = pytest.mark.django_db

METHODS = ("GET", "POST")
P = Permission

# What each console URL and method needs (any one of): the list, written down here
# independently of the views' own declarations.
USER_PAGE = {
    P.ACTIVATE,
    P.UNLOCK,
    P.REMOTE_ACCESS,
    P.EDIT_DETAILS,
    P.LOGIN_TIMES,
    P.OFFBOARD,
    P.MANAGE_ROLES,
}
PERMISSION_LIST = {
    ("users", "GET"): {P.VIEW_USERS},
    ("user_new", "GET"): {P.ADD_USERS},
    ("user_new", "POST"): {P.ADD_USERS},
    ("user", "GET"): {P.VIEW_USERS},
    ("user", "POST"): USER_PAGE,
    ("user_temporary_password", "POST"): {P.TEMPORARY_PASSWORD},
    ("user_pairing_reset", "GET"): {P.RESET_PAIRING},
    ("user_pairing_reset", "POST"): {P.RESET_PAIRING},
    ("user_session_end", "POST"): {P.ACTIVATE},
    ("user_deactivate", "GET"): {P.ACTIVATE},
    ("user_deactivate", "POST"): {P.ACTIVATE},
    ("user_two_factor_setup", "GET"): {P.RESET_PAIRING},
    ("user_two_factor_setup", "POST"): {P.RESET_PAIRING},
    ("user_two_factor_setup_code", "GET"): {P.RESET_PAIRING},
    ("user_two_factor_setup_code", "POST"): {P.RESET_PAIRING},
    ("user_reinvite", "POST"): {P.ADD_USERS},
    ("user_invitation", "GET"): {P.ADD_USERS},
    ("user_invitation", "POST"): {P.ADD_USERS},
    ("user_offboard", "GET"): {P.OFFBOARD},
    ("user_offboard", "POST"): {P.OFFBOARD},
    ("sign_out_everyone", "GET"): {P.ACTIVATE},
    ("sign_out_everyone", "POST"): {P.ACTIVATE},
    ("reviews", "GET"): {P.REVIEWS},
    ("reviews", "POST"): {P.REVIEWS},
    ("review_start", "POST"): {P.REVIEWS},
    ("review_export", "GET"): {P.REVIEWS},
    ("roles", "GET"): {P.MANAGE_ROLES},
    ("role_new", "GET"): {P.MANAGE_ROLES},
    ("role_new", "POST"): {P.MANAGE_ROLES},
    ("role", "GET"): {P.MANAGE_ROLES},
    ("role", "POST"): {P.MANAGE_ROLES},
    ("settings", "GET"): {P.SETTINGS},
    ("settings", "POST"): {P.SETTINGS},
    ("providers", "GET"): {P.SETTINGS},
    ("provider_new", "GET"): {P.SETTINGS},
    ("provider_new", "POST"): {P.SETTINGS},
    ("provider", "GET"): {P.SETTINGS},
    ("provider", "POST"): {P.SETTINGS},
    ("provider_remove", "POST"): {P.SETTINGS},
    ("audit", "GET"): {P.AUDIT},
    ("audit_export", "GET"): {P.AUDIT},
    ("applications", "GET"): {P.MANAGE_APPS},
    ("application_new", "GET"): {P.MANAGE_APPS},
    ("application_new", "POST"): {P.MANAGE_APPS},
    ("application", "GET"): {P.MANAGE_APPS},
    ("application", "POST"): {P.MANAGE_APPS},
    ("application_secret", "POST"): {P.MANAGE_APPS},
    ("application_switch", "POST"): {P.MANAGE_APPS},
    ("user_applications_sign_out", "POST"): {P.ACTIVATE},
}


@dataclass(frozen=True)
class Route:
    name: str
    view: object
    arguments: tuple[str, ...]

    @property
    def declared(self) -> dict:
        return getattr(self.view, "console_permissions", None)


def console_routes() -> list[Route]:
    routes = []
    for pattern in console_urls.urlpatterns:
        assert isinstance(pattern, URLPattern), "the console's URLs are one flat list"
        routes.append(
            Route(
                name=pattern.name,
                view=pattern.callback,
                arguments=tuple(pattern.pattern.converters),
            )
        )
    return routes


ROUTES = console_routes()
# NPIs with a right check digit, for the providers the provider pages are asked about.
NPIS = ["1234567893", "1003000126", "1245319599", "1679576722", "1497758544"]
# The three starting roles, and one custom role for each permission alone.
ROLES = [f"seeded:{kind.value}" for kind in RoleKind] + [f"only:{p.value}" for p in Permission]


def test_every_console_view_declares_the_permission_of_each_method():
    undeclared = [route.name for route in ROUTES if not route.declared]
    assert undeclared == [], "declare the permission with practice.console.access.console_view"
    declared = {
        (route.name, method): set(permissions)
        for route in ROUTES
        for method, permissions in route.declared.items()
    }
    assert declared == PERMISSION_LIST


def test_the_matrix_covers_every_route_and_role():
    cases = sum(len(route.declared) for route in ROUTES)
    # 18 console URLs, 27 URL and method pairs when this was written; each is asked by each of
    # the 18 roles (the 3 starting ones and 15 of one permission each).
    assert len(ROUTES) == len(console_urls.urlpatterns) >= 18 and cases >= 27
    assert len(ROLES) == len(RoleKind) + len(Permission)


def _role(practice, name: str) -> PracticeRole:
    kind, value = name.split(":", 1)
    if kind == "seeded":
        return roles_seed(practice)[RoleKind(value)]
    return PracticeRole.objects.create(practice=practice, name=f"Only {value}", permissions=[value])


def _url(route: Route, practice, admin) -> str:
    """The route with arguments that exist in the practice, made fresh for each request, so
    what one request did (offboarded, ended, finished) does not change the next one's answer."""
    kwargs = {}
    target = None
    if "user_id" in route.arguments:
        target = UserFactory(practice=practice, pm_username="PM")
        kwargs["user_id"] = target.pk
    if "session_id" in route.arguments:
        now = timezone.now()
        kwargs["session_id"] = UserSession.objects.create(
            user=target,
            session_key=f"matrix{target.pk:026d}",
            zone="office",
            created_at=now,
            last_activity=now,
        ).pk
    if "review_id" in route.arguments:
        kwargs["review_id"] = _open_review(practice, admin).pk
    if "role_id" in route.arguments:
        kwargs["role_id"] = PracticeRole.objects.create(
            practice=practice, name=f"Target {PracticeRole.objects.count()}", permissions=[]
        ).pk
    if "provider_id" in route.arguments:
        used = set(Provider.objects.filter(practice=practice).values_list("npi", flat=True))
        npi = next(npi for npi in NPIS if npi not in used)
        kwargs["provider_id"] = Provider.objects.create(
            practice=practice, name=f"Dr. Matrix {npi}", npi=npi
        ).pk
    if "application_id" in route.arguments:
        kwargs["application_id"] = application_create(
            practice=practice,
            actor=None,
            name=f"Application {Application.objects.count()}",
            redirect_uris=["https://app.example.test/callback"],
        ).application.pk
    if route.name == "reviews":
        _open_review(practice, admin)  # its POST finishes the open review
    return reverse(f"console:{route.name}", kwargs=kwargs)


def _open_review(practice, admin) -> AccessReview:
    review = AccessReview.objects.filter(practice=practice, finished_at__isnull=True).first()
    return review or review_start(practice=practice, actor=admin)


@pytest.mark.parametrize("role_name", ROLES)
def test_each_role_is_allowed_exactly_what_it_holds(client, practice, role_name):
    # Another administrator keeps the practice's role management (and starts reviews).
    admin = AdminFactory(practice=practice, username="keeper")
    role = _role(practice, role_name)
    actor = UserFactory(practice=practice, username="actor", practice_role=role)
    # Verified by a second factor: the pairing reset asks for one of whoever resets.
    sign_in(client, actor, device=TOTPDevice.objects.create(user=actor, name="P", confirmed=True))
    held = effective_permissions(role.permissions)
    wrong = []
    for route in ROUTES:
        for method in route.declared:
            permissions = PERMISSION_LIST[(route.name, method)]
            url = _url(route, practice, admin)
            response = client.get(url) if method == "GET" else client.post(url, {})
            allowed = bool(held & set(permissions))
            refused = response.status_code == 403
            if allowed == refused or response.status_code in (404, 405, 500):
                wrong.append((method, route.name, response.status_code, allowed))
    assert wrong == [], f"{role_name}: (method, route, status, should be allowed)"


def test_a_method_a_view_does_not_declare_is_405(console, member):
    for route in ROUTES:
        url = _url(route, member.practice, None) if not route.arguments else None
        if url is None:
            continue
        for method in METHODS:
            if method not in route.declared:
                response = console.get(url) if method == "GET" else console.post(url, {})
                assert response.status_code == 405, (method, route.name)
