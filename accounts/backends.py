"""Checking credentials: a practice, a username (any case) and a password."""

from django.contrib.auth.backends import ModelBackend

from accounts.models import User


class PracticeBackend(ModelBackend):
    """Users are unique per practice; support staff (no practice) sign in with practice=None."""

    def authenticate(self, request, username=None, password=None, practice=None, **kwargs):
        if username is None or password is None:
            return None
        try:
            user = User.objects.select_related("practice").get(
                practice=practice, username__iexact=username
            )
        except User.DoesNotExist:
            # Run the hasher anyway so the response time does not tell who exists.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        try:
            user = User.objects.select_related("practice").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
