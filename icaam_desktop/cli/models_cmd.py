"""`icaam models list|activate|deactivate`: the headless face of the GUI's model picker."""

from __future__ import annotations

import argparse

from icaam_desktop.cli import EXIT_OK, UsageError

# The metrics worth a column in the list, as the training run logs them.
SHOWN_METRICS = ("test_level3_accuracy", "test_level2_macro_f1", "test_auto_rate")


def register(subparsers: argparse._SubParsersAction) -> None:
    group = subparsers.add_parser("models", help="list tracked training runs and choose the model the app uses")
    sub = group.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="the tracked runs, newest first, and which model is active")
    listing.add_argument("--tracking-uri", help="MLflow tracking URI (default: the local store in the user data dir)")
    listing.set_defaults(handler=run_list)
    activate = sub.add_parser("activate", help="use a run's model (RUN_ID) or a model folder from now on")
    activate.add_argument("source", metavar="RUN_ID_OR_DIR")
    activate.add_argument("--tracking-uri", help="MLflow tracking URI (default: the local store)")
    activate.set_defaults(handler=run_activate)
    deactivate = sub.add_parser("deactivate", help="go back to the shipped default model")
    deactivate.set_defaults(handler=run_deactivate)


def run_list(args: argparse.Namespace) -> int:
    from icaam_desktop.core.training.tracking import active_model_info, list_runs

    active = active_model_info()
    print(f"active model: {active['model_dir'] if active else 'shipped default (models/default)'}")
    runs = list_runs(tracking_uri=args.tracking_uri)
    if not runs:
        print("no tracked training runs yet (icaam train logs one)")
        return EXIT_OK
    print("run_id                            started           status    " + "  ".join(SHOWN_METRICS))
    for run in runs:
        started = run.start_time.strftime("%Y-%m-%d %H:%M") if run.start_time else "?"
        values = "  ".join(
            f"{run.metrics[m]:.3f}".rjust(len(m)) if m in run.metrics else "-".rjust(len(m)) for m in SHOWN_METRICS
        )
        model = "" if run.model_dir else "  (no local model)"
        print(f"{run.run_id:<33} {started:<17} {run.status:<9} {values}{model}")
    return EXIT_OK


def run_activate(args: argparse.Namespace) -> int:
    from icaam_desktop.core.training.tracking import activate_model

    try:
        folder = activate_model(args.source, tracking_uri=args.tracking_uri)
    except (ValueError, FileNotFoundError, LookupError) as exc:
        raise UsageError(str(exc)) from exc
    print(f"active model: {folder}")
    return EXIT_OK


def run_deactivate(args: argparse.Namespace) -> int:
    from icaam_desktop.core.training.tracking import deactivate_model

    deactivate_model()
    print("active model: shipped default (models/default)")
    return EXIT_OK
