#!/usr/bin/env python
"""Django's command-line utility for newsroom."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings.dev")
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    try:
        execute_from_command_line(sys.argv)
    except DatabaseError as exc:
        if "--traceback" in sys.argv:
            raise
        from newsroom.ops.cli import database_error_line

        command = sys.argv[1] if len(sys.argv) > 1 else ""
        sys.stderr.write(database_error_line(exc, command) + "\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
