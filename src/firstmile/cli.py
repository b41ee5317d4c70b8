"""The ``firstmile`` command: Django's management commands with our settings."""

import os
import sys

# Commands spelt as an operator types them; Django's command modules use underscores.
ALIASES = {"bootstrap-platform": "bootstrap_platform"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstmile.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args:
        args[0] = ALIASES.get(args[0], args[0])
    execute_from_command_line(["firstmile", *args])


if __name__ == "__main__":
    main()
