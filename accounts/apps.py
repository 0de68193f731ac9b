from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from accounts import checks  # noqa: F401 - registers the system checks

        # signin_complete writes last_login itself, in the UPDATE that clears the failure count
        # (one statement instead of two on every sign-in).
        user_logged_in.disconnect(dispatch_uid="update_last_login")
