"""The job bodies the window's controller runs: plain functions (no Qt) called on worker threads.

Each takes ``progress`` and ``cancel`` first (the one ``Job`` type calls them so) and opens its own
Workspace: a SQLite connection belongs to the thread that opened it. The core is imported lazily
(``core.classify`` imports torch, which the window must not wait for at start-up).
"""

from __future__ import annotations

import copy
from pathlib import Path

from icaam_desktop.core.jobs import CancelToken
from icaam_desktop.core.settings import Settings
from icaam_desktop.gui.models.session import ReviewSession
from icaam_desktop.gui.warm_imports import collector_paused, preload_torch_libraries, warm_import

MAX_SAMPLES = 4


class NeedsTaxonomy:
    """The workspace has no retailer taxonomy yet: the analyst must import one, then the folder opens."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder


class NeedsSheet:
    """The folder holds several plausible product sheets: the analyst must pick one."""

    def __init__(self, folder: Path, candidates: list[str], message: str) -> None:
        self.folder, self.candidates, self.message = folder, candidates, message


def job_open_delivery(
    progress,
    cancel: CancelToken,
    *,
    folder: Path | None,
    name: str | None,
    workspace_path: Path,
    taxonomy_dir: Path | None,
    sheet: str | None = None,
) -> ReviewSession | NeedsSheet | NeedsTaxonomy:
    """Open (or re-open by name) a delivery, import it into the workspace, read its stored state."""
    from icaam_desktop.core.delivery import DeliveryError, SheetChoiceError, open_delivery
    from icaam_desktop.core.store import Workspace

    ws = Workspace.open(workspace_path)
    try:
        taxonomy = ws.taxonomy()
        if taxonomy is None and taxonomy_dir is not None:
            from icaam_desktop.core.taxonomy import load_taxonomy

            taxonomy = load_taxonomy(taxonomy_dir)
            ws.import_taxonomy(taxonomy)
        if taxonomy is None:
            return NeedsTaxonomy(folder)
        if folder is not None:
            try:
                delivery = open_delivery(folder, sheet=sheet, progress=progress, cancel=cancel)
            except SheetChoiceError as exc:
                candidates = [str(p.relative_to(folder)) for p in _find_sheets(folder)]
                if sheet is not None or len(candidates) < 2:
                    raise
                return NeedsSheet(folder, candidates, str(exc))
            if not delivery.products:  # not a delivery (or an empty sheet): never replace the open one with it
                why = "; ".join([*delivery.sheet.warnings, *delivery.problems]) or "its sheet has no product rows"
                raise DeliveryError(f"the folder {folder.name} holds no products to review: {why}")
            ws.upsert_delivery(delivery, supplier=delivery.name)
        else:
            delivery = ws.load_delivery(name)
        cancel.raise_if_cancelled()
        session = ReviewSession(
            delivery=delivery,
            taxonomy=taxonomy,
            workspace_path=Path(workspace_path),
            predictions=ws.predictions(delivery.name),
            decisions=ws.decisions(delivery.name),
            values=ws.product_values(delivery.name),
        )
        # The mapping saved by an earlier run, read here rather than on the GUI thread.
        session.stored_mapping = (ws.column_matches(delivery.name), ws.value_matches(delivery.name))
        session.problem_count = session.report().problems  # a pass over every product: not on the GUI thread
        session.prepare_rows()
        return session
    finally:
        ws.close()


def _find_sheets(folder: Path) -> list[Path]:
    from icaam_desktop.core.delivery.sheet import find_sheets

    return list(find_sheets(folder))


def job_import_taxonomy(progress, cancel: CancelToken, *, folder: Path, workspace_path: Path):
    from icaam_desktop.core.store import Workspace
    from icaam_desktop.core.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(folder)
    with Workspace.open(workspace_path) as ws:
        ws.import_taxonomy(taxonomy)
    return taxonomy


def job_load_classifier(progress, cancel: CancelToken, *, settings: Settings):
    """Import torch and load the model (seconds): always after the window is on screen."""
    progress(0, None, "Loading the model (torch)…")
    with collector_paused():  # the import's stalls of the GUI thread: see gui/warm_imports.py
        preload_torch_libraries()
        from icaam_desktop.core.model_choice import load_configured_classifier

        classifier = load_configured_classifier(device=settings.device, settings=settings)
    options = getattr(classifier, "options", None)
    if options is not None and getattr(getattr(classifier, "device", None), "type", "cpu") == "cpu":
        # Decode in the worker thread, not in forked DataLoader processes: forking a process the size of
        # torch stalls every thread of the app (the GUI's too) for ~100 ms, once per chunk. On a CPU the
        # model, not the decoding, is the bottleneck, so this costs little; CUDA keeps its decode workers.
        options.num_workers = 0
    return classifier


def job_classify(progress, cancel: CancelToken, *, session: ReviewSession, classifier, batch_size: int):
    from icaam_desktop.core.classify import classify_delivery
    from icaam_desktop.core.store import Workspace

    with Workspace.open(session.workspace_path) as ws:
        predictions = classify_delivery(
            session.delivery,
            classifier=classifier,
            taxonomy=session.taxonomy,
            workspace=ws,
            batch_size=batch_size,
            progress=progress,
            cancel=cancel,
        )
        return _with_rows(session, predictions)


def job_saved_predictions(progress, cancel: CancelToken, *, session: ReviewSession):
    """The predictions saved so far (after a cancelled run: every finished chunk), with grid rows."""
    from icaam_desktop.core.store import Workspace

    with Workspace.open(session.workspace_path) as ws:
        return _with_rows(session, list(ws.predictions(session.delivery.name).values()))


def _with_rows(session: ReviewSession, predictions):
    """Build the grid rows here, not on the GUI thread: a shallow copy sees the new predictions."""
    preview = copy.copy(session)
    preview.predictions = {**session.predictions, **{p.product_id: p for p in predictions}}
    return list(predictions), preview.rows()


def job_map(progress, cancel: CancelToken, *, session: ReviewSession, embedding_model: str = ""):
    """Run the mapper (with the supplier's memory) and store its suggestions and per-product values."""
    warm_import("sentence_transformers")  # the first Ctrl+M imports it (and torch): see gui/warm_imports.py
    from icaam_desktop.core.mapping import default_embedder, map_delivery
    from icaam_desktop.core.store import Workspace

    name = session.delivery.name
    with Workspace.open(session.workspace_path) as ws:
        memory = ws.supplier_memory(ws.supplier_of(name))
        result = map_delivery(
            session.delivery,
            session.taxonomy,
            categories=final_categories(session),
            memory=memory,
            embedder=default_embedder(embedding_model or None),
            progress=progress,
            cancel=cancel,
        )
        ws.save_column_matches(name, list(result.columns))
        ws.save_value_matches(name, list(result.values))
        ws.save_product_values(name, {pid: dict(pm.values) for pid, pm in result.products.items()})
        return ws.column_matches(name), ws.value_matches(name), ws.product_values(name), list(result.problems)


def final_categories(session: ReviewSession) -> dict[str, str]:
    """Product id -> the category the analyst sees (decided, else predicted), for the products that have one."""
    found = {p.product_id: session.final_category(p.product_id) for p in session.products}
    return {pid: code for pid, code in found.items() if code}


def job_refill_mapping(progress, cancel: CancelToken, *, session: ReviewSession, only: set[str] | None = None):
    """The values of the products (``only`` those, else all) again from the stored matches, after an analyst's
    decision, saved to the workspace, with what they change in the grid (a ``Refill``); None before any mapping."""
    from icaam_desktop.core.mapping import refill_products
    from icaam_desktop.core.mapping.products import column_profiles
    from icaam_desktop.core.store import Workspace

    name = session.delivery.name
    with Workspace.open(session.workspace_path) as ws:
        columns = ws.column_matches(name)
        if not columns:
            return None
        if session.column_profiles is None:  # they depend on the rows alone: once per delivery
            session.column_profiles = column_profiles(session.delivery, {m.supplier_column for m in columns})
        filled = refill_products(
            session.delivery,
            session.taxonomy,
            columns=columns,
            values=ws.value_matches(name),
            categories=final_categories(session),
            only=only,
            profiles=session.column_profiles,
        )
        values = {pid: {a: v for a, v in pm.values.items() if v} for pid, pm in filled.items()}
        ws.save_product_values(name, values)
    return session.refill_changes(values, only=only)


def job_export(
    progress, cancel: CancelToken, *, session: ReviewSession, out: Path, labels: bool, include_unaccepted: bool
):
    from icaam_desktop.core.export import export_delivery
    from icaam_desktop.core.store import Workspace

    with Workspace.open(session.workspace_path) as ws:
        return export_delivery(
            ws,
            delivery=session.delivery.name,
            out=out,
            labels=labels,
            include_unaccepted=include_unaccepted,
            progress=progress,
            cancel=cancel,
        )


def sample_values(session: ReviewSession) -> dict[str, list[str]]:
    samples: dict[str, list[str]] = {}
    for product in session.products:
        for column, value in product.row.items():
            seen = samples.setdefault(column, [])
            if value and len(seen) < MAX_SAMPLES and value not in seen:
                seen.append(value)
    return samples
