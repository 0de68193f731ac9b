"""The user page's "Through the gateway": which of the practice's applications behind the
gateway the user can reach right now, from the office and from outside it, and if not, why.

The answer is accounts.gateway.access_refusal's, the one `/auth/verify` gives the proxy.
"""

from dataclasses import dataclass
from datetime import datetime

from accounts.gateway import access_refusal, gateway_hosts
from accounts.models import User
from practice.console.selectors.statuses import Badge
from practice.policy import effective_policy
from practice.vocabulary import Zone


@dataclass(frozen=True)
class GatewayReach:
    hosts: list[str]  # the applications of the user's practice behind the gateway
    office: Badge
    remote: Badge


def _badge(user: User, zone: Zone, now: datetime) -> Badge:
    if zone == Zone.OFFICE and not user.practice.office_cidrs:
        return Badge("no office network is set")
    refusal = access_refusal(user, zone=zone, now=now)
    if refusal is not None:
        return Badge(f"no: {refusal.label[0].lower()}{refusal.label[1:]}", "danger")
    if effective_policy(user).second_factor_required(zone):
        return Badge("yes, with a second factor at sign-in", "ok")
    return Badge("yes", "ok")


def gateway_reach(user: User, now: datetime) -> GatewayReach | None:
    """None when no application of the user's practice is behind the gateway."""
    code = user.practice.code
    hosts = sorted(host for host, practice in gateway_hosts().items() if practice in ("", code))
    if not hosts:
        return None
    return GatewayReach(
        hosts=hosts,
        office=_badge(user, Zone.OFFICE, now),
        remote=_badge(user, Zone.REMOTE, now),
    )
