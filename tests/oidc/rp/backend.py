"""The relying party's users: PracticeGate's `sub` is who they are; the username and the role
come from the claims (as an application maps PracticeGate's roles to its own)."""

from mozilla_django_oidc.auth import OIDCAuthenticationBackend


class PracticeGateBackend(OIDCAuthenticationBackend):
    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(username=claims.get("sub", ""))

    def create_user(self, claims):
        return self.UserModel.objects.create_user(
            username=claims["sub"],
            email=claims.get("email", ""),
            first_name=claims.get("preferred_username", ""),
            last_name=",".join(claims.get("roles", [])),
        )
