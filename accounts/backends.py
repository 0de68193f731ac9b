"""The authentication backend: loads the signed-in user; checks no credentials itself."""

from django.contrib.auth.backends import ModelBackend

from accounts.models import User


class PracticeBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        # SECURITY: credentials are checked only by the sign-in pipeline
        # (accounts.stages.CredentialsStage), so django.contrib.auth.authenticate() cannot be
        # used to get around the lockout gate, the login times, the network rule or the
        # second factor.
        return None

    def get_user(self, user_id):
        try:
            user = User.objects.select_related("practice", "practice_role").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
