from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from practice.services import practice_create, validate_networks


class Command(BaseCommand):
    help = "Create a practice; it gets its own sign-in page at /p/<code>/login/."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the practice code users type, e.g. valley")
        parser.add_argument("--name", required=True)
        parser.add_argument("--timezone", default="America/New_York", help="IANA time zone")
        parser.add_argument(
            "--office-network",
            action="append",
            default=[],
            dest="office_networks",
            metavar="CIDR",
            help="an office network; repeat the flag for each",
        )

        parser.add_argument(
            "--allow-wide-network",
            action="store_true",
            help="accept an office network wider than /8 (IPv4) or /32 (IPv6)",
        )

    def handle(self, *args, code, name, timezone, office_networks, allow_wide_network, **options):
        try:
            networks = validate_networks(office_networks)
            practice = practice_create(
                code=code,
                name=name,
                time_zone=timezone,
                office_networks=networks,
                wide_networks_confirmed=allow_wide_network,
            )
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from None
        self.stdout.write(f"Created practice {practice.name} ({practice.code}).")
        self.stdout.write(f"Sign-in page: /p/{practice.code}/login/")
        if not networks:
            self.stderr.write(NO_OFFICE_NETWORK)


NO_OFFICE_NETWORK = (
    "Warning: no office network given. Until the practice has one, every sign-in counts as "
    "from outside the office: only its administrators may sign in (from anywhere, with a "
    "second factor) to set it up, and everyone else is refused unless given remote access. "
    "Add the office networks in the console's Settings, or create the practice with "
    "--office-network CIDR."
)


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)
