"""``python -m inboxapp.config``: print or update the settings documentation.

``--markdown`` prints the README tables, ``--env-example`` prints ``.env.example``, ``--write``
rewrites both files, ``--check`` exits 1 when either is out of date.
"""

from __future__ import annotations

import argparse
import sys

from inboxapp.config import docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inboxapp.config", description=__doc__)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--markdown", action="store_true", help="print the README tables")
    action.add_argument("--env-example", action="store_true", help="print .env.example")
    action.add_argument("--write", action="store_true", help="update README.md and .env.example")
    action.add_argument("--check", action="store_true", help="exit 1 when either is stale")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(docs.markdown())
    elif args.env_example:
        sys.stdout.write(docs.env_example())
    elif args.write:
        for path in docs.write():
            print(f"updated {path.relative_to(docs.PROJECT_ROOT)}")
    else:
        stale = docs.stale_files()
        for path in stale:
            print(f"out of date: {path.relative_to(docs.PROJECT_ROOT)} (run with --write)")
        return 1 if stale else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
