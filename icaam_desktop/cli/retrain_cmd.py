"""`icaam retrain --db FILE [--delivery NAME]`: the seconds-fast head-only retrain from the analyst's decisions.

The same core call as the window's "Retrain now": the head is refitted on the workspace's accepted
category decisions (plus the catalogue, when given), the new model is saved (and activated with
``--activate``), and the delivery is re-predicted at once from the embeddings the retrain cached.
"""

from __future__ import annotations

import argparse
import sys

from icaam_desktop.cli import EXIT_OK, EXIT_PROBLEMS, UsageError
from icaam_desktop.cli.paths_arg import classifier_arg, existing_dir, output_dir, taxonomy_arg, workspace_arg
from icaam_desktop.cli.progress import progress_bar


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "retrain",
        help="retrain the classifier's head in seconds from the analyst's decisions in a workspace",
        description="Refit the model's head (the backbone stays) on the accepted category decisions of a "
        "workspace, save the new model, optionally activate it, and re-predict the delivery from the "
        "cached photo embeddings.",
    )
    p.add_argument("--db", required=True, metavar="FILE", help="the workspace with the analyst's decisions")
    p.add_argument("--delivery", metavar="NAME", help="learn from this delivery's decisions (default: all)")
    p.add_argument("--taxonomy", metavar="DIR", help="taxonomy folder (default: the workspace's)")
    p.add_argument("--catalog", metavar="DIR", help="also learn from (and recalibrate on) this catalogue")
    p.add_argument("--model", metavar="DIR", help="the model to start from (default: the one the app uses)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--out", metavar="DIR", help="folder for the new model (default: a new one in the user data dir)")
    p.add_argument("--activate", action="store_true", help="make the new model the one the app and CLI use")
    p.add_argument("--tracking-uri", default=None, help="MLflow tracking URI (default: the local SQLite store)")
    p.add_argument("--no-tracking", action="store_true", help="do not log to MLflow")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from icaam_desktop.core.training.headonly import repredict_from_cache, retrain_head
    from icaam_desktop.core.training.tracking import activate_model, tracked_run

    out = output_dir(args.out, "--out") if args.out else None
    catalog = existing_dir(args.catalog, "catalogue folder") if args.catalog else None
    with workspace_arg(args.db, create=False) as workspace:
        taxonomy = taxonomy_arg(args.taxonomy) if args.taxonomy else workspace.taxonomy()
        if taxonomy is None:
            raise UsageError(f"{args.db} holds no taxonomy: pass --taxonomy DIR")
        if args.delivery and args.delivery not in workspace.delivery_names():
            known = ", ".join(workspace.delivery_names()) or "none"
            raise UsageError(f"no delivery named {args.delivery!r} in {args.db}; known deliveries: {known}")
        classifier = classifier_arg(args.model, taxonomy=taxonomy, device=args.device)
        try:
            with (
                progress_bar("retrain") as progress,
                tracked_run(
                    tracking=not args.no_tracking,
                    tracking_uri=args.tracking_uri,
                    run_name="head-only retrain",
                    params={
                        "delivery": args.delivery or "(all)",
                        "catalog": str(catalog or ""),
                        "from": classifier.version,
                    },
                    progress=progress,
                ) as tracker,
            ):
                result = retrain_head(
                    classifier=classifier,
                    workspace=workspace,
                    taxonomy=taxonomy,
                    catalog=catalog,
                    delivery=args.delivery,
                    out_dir=out,
                    tracker=tracker,
                    progress=progress,
                )
        except ValueError as exc:  # nothing to learn from
            print(f"icaam retrain: {exc}", file=sys.stderr)
            return EXIT_PROBLEMS
        print(
            f"retrained on {result.n_corrections} corrected products in {result.total_seconds:.1f} s "
            f"({result.n_embedded} photos embedded, {result.n_cached} from the cache): the corrections now fit "
            f"{result.corrections_fit_after:.0%} (before {result.corrections_fit_before:.0%})"
        )
        for note in result.skipped[:10]:
            print(f"  skipped {note}", file=sys.stderr)
        print(f"model {result.version} written to {result.model_dir}")
        if not args.activate:
            # The workspace's predictions stay those of the model in use: a later classify must agree.
            print(f"not activated: predictions unchanged (icaam models activate {result.model_dir} to use it)")
            return EXIT_OK
        print(f"activated: {activate_model(result.model_dir)}")
        names = [args.delivery] if args.delivery else workspace.delivery_names()
        for name in names:
            n, others = repredict_from_cache(
                classifier=result.classifier, workspace=workspace, taxonomy=taxonomy, delivery=name
            )
            rest = f"; {len(others)} need `icaam classify` (photos not embedded yet)" if others else ""
            print(f"{name}: {n} products re-predicted from the cached embeddings{rest}")
    return EXIT_OK
