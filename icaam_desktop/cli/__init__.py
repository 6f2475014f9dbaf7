"""`icaam`: the headless face of the core. Each command group lives in its own module.

Exit codes: 0 ok, 1 ran but found problems, 2 bad usage.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from icaam_desktop import __version__
from icaam_desktop.core.errors import IcaamError

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

# Each module defines register(subparsers); its handlers return an exit code.
COMMAND_MODULES = (
    "taxonomy_cmd",
    "delivery_cmd",
    "classify_cmd",
    "map_cmd",
    "export_cmd",
    "train_cmd",
    "retrain_cmd",
    "eval_cmd",
    "audit_cmd",
    "models_cmd",
)


class UsageError(Exception):
    """Bad arguments the parser could not catch, e.g. a folder that does not exist."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="icaam",
        description="ICaAM: classify supplier products into the retailer's categories and map their attributes.",
    )
    parser.add_argument("--version", action="version", version=f"icaam {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"icaam_desktop.cli.{name}")
        except ModuleNotFoundError as exc:
            # Only tolerate a command module that is not there at all (a partial build);
            # a missing dependency inside an existing module must surface.
            if exc.name != f"icaam_desktop.cli.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or EXIT_OK)
    except UsageError as exc:
        print(f"icaam: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("icaam: interrupted; no output file was half-written.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `icaam ... | head`): stop quietly, as other command-line tools do.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except IcaamError as exc:  # bad input the core recognised: its sentence, not a traceback
        print(f"icaam: error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    except OSError as exc:  # a disk that filled up, a file that vanished: say which, without a traceback
        where = f": {exc.filename}" if exc.filename else ""
        print(f"icaam: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_PROBLEMS


if __name__ == "__main__":
    raise SystemExit(main())
