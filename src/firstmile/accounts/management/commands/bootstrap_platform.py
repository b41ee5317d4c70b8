"""``firstmile bootstrap-platform``: the platform organisation and its first administrator.

``createsuperuser`` makes a person with no organisation, whom every portal
refuses; this is the first login of a fresh installation. Everyone else (carriers,
merchants, more operators) is then added from the platform portal or the admin.
"""

from __future__ import annotations

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from firstmile.accounts.services import platform_bootstrap
from firstmile.core.errors import ApplicationError


class Command(BaseCommand):
    help = "Create the platform organisation and its first administrator (once, on a fresh installation)."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True, help="the first administrator's login")
        parser.add_argument("--email", default="", help="the administrator's email (optional)")
        parser.add_argument("--code", default="platform", help="the platform organisation's code (default: platform)")
        parser.add_argument("--name", default="Firstmile", help="the platform organisation's name")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of standard input (for scripts); else it is asked twice",
        )

    def handle(self, *, username, email, code, name, password_stdin, **options):
        translation.activate("en")  # an operator's terminal; the portals speak Chinese by default
        if password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CommandError("The two passwords differ; nothing was created.")
        else:
            raise CommandError("No terminal to ask for the password: pass --password-stdin and pipe it in.")
        try:
            user = platform_bootstrap(code=code, name=name, username=username, password=password, email=email)
        except ApplicationError as error:
            field = f" ({error.field})" if error.field else ""
            raise CommandError(f"{error.message}{field} Nothing was created.") from None
        self.stdout.write(
            f"Created the platform organisation {user.organisation.name!r} (code {user.organisation.code}) "
            f"and its administrator {user.username}. Sign in at /login/ to add carriers, merchants and people."
        )
