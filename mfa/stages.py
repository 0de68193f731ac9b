"""The second factor's place in the sign-in pipeline (settings.SIGNIN_STAGES).

Asked when the user has a second factor, when their effective policy requires one, and always
for a remote sign-in; not asked inside an office network when the practice exempts those. A user
who must (or, under "prompt", may) set one up is sent to the setup page instead.
"""

import secrets

from django.urls import reverse

from accounts.signin import Passed, Refused, SignInStage, Step, signin_user
from mfa.selectors import has_second_factor
from mfa.verification import (
    STATE_KEY,
    default_method,
    identity_channels,
    method_start,
)
from practice.audit import audit_record
from practice.models import TwoFactorPolicy
from practice.policy import effective_policy

VERIFY = "verify"
SETUP_REQUIRED = "setup_required"
SETUP_OPTIONAL = "setup_optional"
NOT_ASKED = "not_asked"

NO_WAY_TO_CONFIRM = (
    "Two-factor authentication must be set up before you can sign in from outside the office, "
    "and there is no verified email address or mobile number on your account to confirm it is "
    "you. Set it up from the office, or ask your practice administrator."
)


def second_factor_decision(*, user, zone: str, has_factor: bool) -> str:
    """What the sign-in asks of this user: verify, set up (required or optional), or nothing."""
    policy = effective_policy(user)
    remote = zone != "office"
    if not remote and policy.two_factor_office_exempt:
        return NOT_ASKED
    if has_factor:
        return VERIFY
    if remote or policy.two_factor == TwoFactorPolicy.REQUIRE:
        return SETUP_REQUIRED
    if policy.two_factor == TwoFactorPolicy.PROMPT:
        return SETUP_OPTIONAL
    return NOT_ASKED


class SecondFactorStage(SignInStage):
    key = "second_factor"

    def run(self, request, pending, credentials):
        user = signin_user(request, pending)
        decision = second_factor_decision(
            user=user, zone=pending.zone, has_factor=has_second_factor(user)
        )
        if decision == NOT_ASKED:
            return Passed()
        # A fresh nonce for every sign-in: codes sent for this sign-in are bound to it.
        state = {"mode": decision, "nonce": secrets.token_urlsafe(16)}
        pending.state[STATE_KEY] = state
        if decision == VERIFY:
            method = default_method(user)
            # Text, voice and email codes go out at once, so the code is on its way while the
            # page loads; a problem sending is shown there, with the other methods.
            method_start(request, pending, method)
            return Step(url=reverse("mfa:signin_verify"))
        if pending.zone != "office":
            # Keycloak issue 21837: with only a stolen password, a first setup from outside
            # would pair the attacker's phone. Prove the email or mobile on file first.
            if not identity_channels(user):
                audit_record(
                    action="signin.failed",
                    target=user,
                    request=request,
                    details={"reason": "second_factor_setup_unconfirmable"},
                )
                return Refused(message=NO_WAY_TO_CONFIRM, code="second_factor_setup")
            state["identity_confirmed"] = False
        return Step(url=reverse("mfa:signin_setup"))
