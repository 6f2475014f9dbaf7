"""Training from the window: the job bodies (plain functions run by the one worker type) and the
metric comparison the training panel shows. No Qt here; core/training does the work."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from icaam_desktop import paths
from icaam_desktop.core.jobs import Cancelled, CancelToken
from icaam_desktop.core.taxonomy import Taxonomy


def catalogue_problem(text: str, session, *, what: str) -> tuple[Path, str | None]:
    """The catalogue folder typed in a panel, and why ``what`` cannot start yet (None when it can).

    Both the training panel and the evaluation view need a catalogue (products.csv) and an open
    delivery, whose taxonomy they use.
    """
    if not text.strip():
        return Path(), "⚠ Choose the catalogue folder first (Browse…): products.csv (sku;categories;…) + images."
    catalog = Path(text.strip()).expanduser()
    if not (catalog / "products.csv").is_file():
        return catalog, f"⚠ {catalog} has no products.csv: pick a labelled catalogue folder."
    if session is None:
        return catalog, f"⚠ Open a delivery (or the demo) first: {what} uses its taxonomy."
    return catalog, None


def remember_catalogue(controller, catalog: Path) -> None:
    """Keep the catalogue for next time: the training panel and the evaluation dialog start with it."""
    if controller.settings.last_catalog != str(catalog):
        controller.settings.last_catalog = str(catalog)
        controller.save_settings()


def read_card(folder: Path) -> dict:
    try:
        return json.loads((Path(folder) / "model_card.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


@dataclass
class MetricRow:
    name: str
    active: float | None
    new: float | None
    higher_is_better: bool = True

    @property
    def better(self) -> bool | None:
        if self.active is None or self.new is None or self.active == self.new:
            return None
        return (self.new > self.active) == self.higher_is_better


def _test_metrics(metrics: dict) -> dict:
    return metrics.get("test", {}) if isinstance(metrics, dict) else {}


def compare_metrics(active_card: dict, new_metrics: dict) -> list[MetricRow]:
    """Held-out test metrics of the active model (from its card) against a newly trained one."""
    old, new = _test_metrics(active_card.get("metrics", {})), _test_metrics(new_metrics)
    rows = [MetricRow("leaf accuracy (top-1)", old.get("leaf_top1"), new.get("leaf_top1"))]
    old_levels = {lv["depth"]: lv for lv in old.get("levels", [])}
    for lv in new.get("levels", []) or old.get("levels", []):
        depth = lv["depth"]
        rows.append(
            MetricRow(
                f"level {depth} accuracy",
                old_levels.get(depth, {}).get("accuracy"),
                next((x["accuracy"] for x in new.get("levels", []) if x["depth"] == depth), None),
            )
        )
    rows.append(MetricRow("auto-accepted share", old.get("auto_rate"), new.get("auto_rate")))
    rows.append(MetricRow("error among auto-accepted", old.get("auto_error"), new.get("auto_error"), False))
    return rows


def new_model_folder() -> Path:
    """Where a training run from the window writes its model: a new folder in the user data dir."""
    return paths.user_data_dir() / "models" / datetime.now().strftime("model-%Y%m%d-%H%M%S")


def job_train(
    progress,
    cancel: CancelToken,
    *,
    catalog: Path,
    taxonomy: Taxonomy,
    epochs: int,
    head_only: bool,
    device: str,
    limit: int | None,
    tracking_uri: str,
    on_epoch: Callable[[dict], None],
    out: Path,
    resume: bool = False,
    init: Path | None = None,
):
    """Full fine-tune or head-only training on a catalogue into ``out``, tracked in MLflow.

    ``resume`` goes on from the checkpoint a cancelled run left in ``out``. ``init``: a model folder
    to continue from (the active model) instead of ImageNet weights.
    """
    from icaam_desktop.core.training.tracking import train_tracked

    params = {"epochs": epochs, "head_only": head_only, "device": device, "limit": limit, "catalog": str(catalog)}
    if init is not None:
        params["init"] = str(init)
    return train_tracked(
        tracking_uri=tracking_uri,
        run_name=("head-only" if head_only else "fine-tune") + (" (resumed)" if resume else ""),
        params=params,
        tags={"icaam.started_from": "desktop"},
        catalog=catalog,
        taxonomy=taxonomy,
        out=out,
        resume=resume,
        epochs=epochs,
        device=device,
        head_only=head_only,
        progress=progress,
        cancel=cancel,
        on_epoch=on_epoch,
        limit=limit,
        init=init,
        command="icaam-desktop training panel",
    )


def job_activate(progress, cancel: CancelToken, *, model_dir: Path, tracking_uri: str) -> Path:
    from icaam_desktop.core.training.tracking import activate_model

    return activate_model(model_dir, tracking_uri=tracking_uri or None)


def job_retrain_head(
    progress,
    cancel: CancelToken,
    *,
    classifier,
    workspace_path: Path,
    taxonomy: Taxonomy,
    delivery: str,
    tracking_uri: str = "",
):
    """Head-only retrain on the analyst's decisions (tracked in MLflow); the new model is saved, activated,
    and the delivery re-predicted from the embeddings the retrain cached. Returns (result, others): the
    ids still needing a classifier run (photos never embedded)."""
    from icaam_desktop.core.store import Workspace
    from icaam_desktop.core.training.headonly import repredict_from_cache, retrain_head
    from icaam_desktop.core.training.tracking import activate_model, tracked_run

    with Workspace.open(workspace_path) as ws:
        with tracked_run(
            tracking_uri=tracking_uri,
            run_name="head-only retrain",
            params={"delivery": delivery, "from": classifier.version},
            tags={"icaam.started_from": "desktop"},
            progress=progress,
        ) as tracker:
            result = retrain_head(
                classifier=classifier,
                workspace=ws,
                taxonomy=taxonomy,
                delivery=delivery,
                tracker=tracker,
                progress=progress,
                cancel=cancel,
            )
        cancel.raise_if_cancelled()  # the last moment a cancel leaves everything as it was
        if result.model_dir is not None:
            activate_model(result.model_dir)
        progress(0, None, "re-predicting from the cached embeddings")
        _, others = repredict_from_cache(
            classifier=result.classifier, workspace=ws, taxonomy=taxonomy, delivery=delivery
        )
    return result, others


def job_evaluate(
    progress,
    cancel: CancelToken,
    *,
    classifier,
    model_folder: Path,
    device: str,
    catalog: Path,
    taxonomy: Taxonomy,
    split: str,
):
    """Score the active model on a labelled catalogue (the core evaluation job); loads the model if needed."""
    from icaam_desktop.core.training.evaluation import catalogue_products, evaluate_classifier

    if classifier is None:
        from icaam_desktop.core.classify import load_classifier

        classifier = load_classifier(model_folder, device=device)
    classifier.check_taxonomy(taxonomy)
    products, _problems = catalogue_products(catalog, taxonomy=taxonomy, split=split)
    if cancel.cancelled:
        raise Cancelled("cancelled by the user")
    return evaluate_classifier(classifier, products, taxonomy=taxonomy, progress=progress, cancel=cancel)


def job_audit(progress, cancel: CancelToken, *, device: str, catalog: Path, taxonomy: Taxonomy):
    """Audit the catalogue's labels (core.training.audit): the products whose photo contradicts their label."""
    from icaam_desktop.core.training.audit import audit_labels
    from icaam_desktop.core.training.evaluation import catalogue_products

    products, _problems = catalogue_products(catalog, taxonomy=taxonomy)
    return audit_labels(products, taxonomy=taxonomy, device=device, progress=progress, cancel=cancel)


def job_write_audit(progress, cancel: CancelToken, *, audit, out: Path, taxonomy: Taxonomy) -> dict[str, Path]:
    """Write the label audit's files (the contact sheet decodes photos: off the GUI thread)."""
    from icaam_desktop.core.training.audit import write_audit

    return write_audit(audit, out, taxonomy=taxonomy)


def job_list_models(progress, cancel: CancelToken, *, tracking_uri: str) -> tuple[list, dict | None]:
    """The tracked training runs (newest first) and the active-model record, for the model picker."""
    from icaam_desktop.core.training.tracking import active_model_info, list_runs

    return list_runs(tracking_uri=tracking_uri or None), active_model_info()


def job_deactivate(progress, cancel: CancelToken) -> None:
    """Go back to the shipped default model."""
    from icaam_desktop.core.training.tracking import deactivate_model

    deactivate_model()
