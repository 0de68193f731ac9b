"""`manage.py create_oidc_app CODE NAME --redirect-uri URI [...]`: register an application of a
practice, as the console's "Add application" does, from a script."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from oidc.applications import application_create
from oidc.discovery import discovery_url
from practice.models import Practice


class Command(BaseCommand):
    help = (
        "Register an application of a practice that signs in through PracticeGate (OpenID "
        "Connect); prints its client ID and, for a confidential one, its client secret (once)."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="the practice's code")
        parser.add_argument("name", help="the application's name, as users will see it")
        parser.add_argument(
            "--redirect-uri",
            action="append",
            required=True,
            dest="redirect_uris",
            metavar="URI",
            help="where the application receives the sign-in (repeat for each)",
        )
        parser.add_argument(
            "--public",
            action="store_true",
            help="a public client (single-page or native app): no secret, PKCE required",
        )
        parser.add_argument("--backchannel-logout-uri", default="", metavar="URI")
        parser.add_argument(
            "--post-logout-redirect-uri",
            action="append",
            default=[],
            dest="post_logout_redirect_uris",
            metavar="URI",
        )
        parser.add_argument(
            "--always-second-factor",
            action="store_true",
            help="ask for a second factor even where the practice does not",
        )

    def handle(self, *args, code, name, **options):
        practice = Practice.objects.by_code(code)
        if practice is None:
            raise CommandError(f"No practice with the code {code!r}.")
        try:
            registered = application_create(
                practice=practice,
                actor=None,
                name=name,
                redirect_uris=options["redirect_uris"],
                public=options["public"],
                backchannel_logout_uri=options["backchannel_logout_uri"],
                post_logout_redirect_uris=options["post_logout_redirect_uris"],
                always_second_factor=options["always_second_factor"],
            )
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from None
        self.stdout.write(f"client_id: {registered.application.client_id}")
        if registered.secret is not None:
            self.stdout.write(f"client_secret: {registered.secret}")
        self.stdout.write(f"discovery: {discovery_url()}")


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)
