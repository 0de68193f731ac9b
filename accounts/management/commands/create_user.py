import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.invitations import invitation_create, invitation_link
from accounts.models import Role
from accounts.users import user_create
from practice.management.commands.create_practice import _messages
from practice.models import Practice


class Command(BaseCommand):
    help = (
        "Create a user of a practice. Prints an invitation link, or with --password-stdin reads "
        "the password from one line of standard input."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="practice code")
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--phone", default="", help="mobile phone, E.164 (+15552010123)")
        parser.add_argument(
            "--role",
            choices=Role.values,
            default=None,
            help="one of the starting roles: admin (Practice administrator), user_manager, user",
        )
        parser.add_argument("--password-stdin", action="store_true")
        parser.add_argument(
            "--base-url", default="", help="for the invitation link (default: SITE_URL)"
        )

    def handle(self, *args, **opts):
        try:
            practice = Practice.objects.get(code=opts["code"].lower())
        except Practice.DoesNotExist:
            raise CommandError(f"No practice with code {opts['code']!r}.") from None
        password = None
        if opts["password_stdin"]:
            line = sys.stdin.readline()
            password = line[:-1] if line.endswith("\n") else line
            if not password:
                raise CommandError("No password on standard input.")
        try:
            user = user_create(
                practice=practice,
                username=opts["username"],
                email=opts["email"],
                first_name=opts["first_name"],
                last_name=opts["last_name"],
                mobile_phone=opts["phone"],
                role=opts["role"],
                password=password,
                actor=None,
            )
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from None
        self.stdout.write(f"Created {user.username} ({user.practice_role}) in {practice.code}.")
        if password is None:
            token = invitation_create(user=user, actor=None)
            link = invitation_link(token, base=opts["base_url"])
            self.stdout.write(f"Invitation link (valid 7 days): {link}")
