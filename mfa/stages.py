"""The second factor's place in the sign-in pipeline (settings.SIGNIN_STAGES).

Asked when the user has a second factor, when their effective policy requires one, and always
for a remote sign-in; not asked inside an office network when the practice exempts those. A user
who must (or, under "prompt", may) set one up is sent to the setup page instead. Whether a
second factor is required is the policy's one answer (Policy.second_factor_required), which
signin_complete asks again before it signs anyone in.
"""

import secrets

from django.urls import reverse

from accounts.signin import SECOND_FACTOR_STAGE, Passed, SignIn, SignInStage, Step, signin_refusal
from mfa.identity import identity_channels
from mfa.selectors import has_second_factor
from mfa.verification import STATE_KEY, default_method, method_start
from practice.models import TwoFactorPolicy
from practice.policy import Policy
from practice.vocabulary import SignInFailure, Zone

VERIFY = "verify"
SETUP_REQUIRED = "setup_required"
SETUP_OPTIONAL = "setup_optional"
NOT_ASKED = "not_asked"

NO_WAY_TO_CONFIRM = (
    "Two-factor authentication must be set up before you can sign in from outside the office, "
    "and there is no verified email address or mobile number on your account to confirm it is "
    "you. Set it up from the office, or ask your practice administrator."
)


def second_factor_decision(
    *, policy: Policy, zone: str, has_factor: bool, required: bool | None = None
) -> str:
    """What the sign-in asks of this user: verify, set up (required or optional), or nothing.

    `required` is the sign-in's own answer (SignIn.second_factor_required, which an emergency
    makes true); without it, the policy's for the zone.
    """
    if required is None:
        required = policy.second_factor_required(zone)
    if not required and zone == Zone.OFFICE and policy.two_factor_office_exempt:
        return NOT_ASKED
    if has_factor:
        return VERIFY
    if required:
        return SETUP_REQUIRED
    if policy.two_factor == TwoFactorPolicy.PROMPT:
        return SETUP_OPTIONAL
    return NOT_ASKED


class SecondFactorStage(SignInStage):
    key = SECOND_FACTOR_STAGE

    def run(self, signin: SignIn, credentials):
        user = signin.user
        decision = second_factor_decision(
            policy=signin.policy,
            zone=signin.pending.zone,
            has_factor=has_second_factor(user),
            required=signin.second_factor_required,
        )
        if decision == NOT_ASKED:
            return Passed()
        # A fresh nonce for every sign-in: codes sent for this sign-in are bound to it.
        state = {"mode": decision, "nonce": secrets.token_urlsafe(16)}
        signin.state[STATE_KEY] = state
        if decision == VERIFY:
            # Text, voice and email codes go out at once, so the code is on its way while the
            # page loads; a problem sending is shown there, with the other methods.
            method_start(signin, default_method(user))
            return Step(url=reverse("mfa:signin_verify"))
        if signin.pending.zone != Zone.OFFICE:
            # Keycloak issue 21837: with only a stolen password, a first setup from outside
            # would pair the attacker's phone. Prove the email or mobile on file first.
            if not identity_channels(user):
                return signin_refusal(
                    signin,
                    reason=SignInFailure.SECOND_FACTOR_SETUP_UNCONFIRMABLE,
                    message=NO_WAY_TO_CONFIRM,
                    user=user,
                )
            state["identity_confirmed"] = False
        return Step(url=reverse("mfa:signin_setup"))
