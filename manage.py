#!/usr/bin/env python
"""Django's command-line utility for PracticeGate."""

import os
import sys


def main():
    if sys.argv[1:2] == ["bench"]:
        # The benchmark is development tooling, not part of the product: config.settings does
        # not install it, only its own settings do (the project's plus the bench's app). So
        # `manage.py bench` chooses them, whatever the environment names; --settings still wins.
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
