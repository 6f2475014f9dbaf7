"""What the window does: opens workspaces and deliveries, runs the core jobs, records decisions.

The controller owns the GUI thread's Workspace (for single decisions, which are one small SQLite
transaction each) and starts every long job through the one ``Job`` type; the job bodies, plain
functions that run on worker threads and open their own Workspace, are in ``gui/jobs.py``.
"""

from __future__ import annotations

import copy
import gc
import sys
from functools import partial
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from icaam_desktop import paths
from icaam_desktop.core.settings import Settings, load_settings, save_settings
from icaam_desktop.gui.jobs import (
    NeedsSheet,
    NeedsTaxonomy,
    job_classify,
    job_export,
    job_import_taxonomy,
    job_load_classifier,
    job_open_delivery,
    job_saved_predictions,
)
from icaam_desktop.gui.mapping_actions import CLASSIFYING, MappingActions
from icaam_desktop.gui.models.session import FIELD_CATEGORY, ReviewSession
from icaam_desktop.gui.text import counted
from icaam_desktop.gui.workers import Job


def _model_key(settings: Settings) -> tuple:
    """The settings that decide which model is loaded, and how."""
    return (settings.model_path, settings.device, tuple(settings.thresholds))


# -- the controller (GUI thread) -----------------------------------------------------------------
class Controller(MappingActions, QObject):
    session_changed = Signal(object)  # ReviewSession | None
    # The mapped values follow the latest decisions: product id -> its row's new "missing" list, for the
    # products whose values changed (object: a dict of 40,000 entries is not converted to a QVariantMap).
    values_refilled = Signal(object)
    products_changed = Signal(list)  # product ids whose row must be redrawn
    mapping_changed = Signal(list, list)  # ColumnRow list, ValueMatch list
    classifier_changed = Signal(object)
    job_started = Signal(object, str)  # Job, title
    sheet_needed = Signal(object)  # NeedsSheet
    taxonomy_needed = Signal(object)  # NeedsTaxonomy
    exported = Signal(object)  # core.export.ExportReport
    model_problem = Signal(str)  # the model could not be loaded (start-up: shown in the status bar)
    failed = Signal(str, str, str)  # title, message, details
    message = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Hand the GIL to the GUI thread sooner while a worker runs Python code (default 5 ms).
        sys.setswitchinterval(0.002)
        self.settings = load_settings()
        self.workspace_path = Path(self.settings.last_workspace or paths.default_workspace())
        self.workspace = None  # the GUI thread's own connection
        self.session: ReviewSession | None = None
        self.classifier = None
        self._classifier_job: Job | None = None
        self._pending_after_model: list = []
        self.jobs: list[Job] = []
        self._decided_during_job: set[str] = set()
        self._closed = False
        self._refill_job: Job | None = None
        self._refill_wanted: set[str] | None | bool = False  # False: nothing; None: every product; a set: those
        self._map_job: Job | None = None
        self._map_after_classify = False  # Ctrl+M during classification: map once it ends
        self._loading_for: tuple | None = None  # the settings the model in flight is being loaded with

    # -- plumbing ----------------------------------------------------------------------------
    def run(self, fn, title: str, on_result, *, connect=None, quiet: bool = False, **kwargs) -> Job:
        """Run ``fn(progress, cancel, **kwargs)`` in the one worker type.

        ``connect(job)`` wires a caller's own slots BEFORE the job starts: a fast job's signals are
        queued at emit time, so slots connected after ``start()`` could miss them. A ``quiet`` job (a
        few milliseconds of bookkeeping after a keystroke) shows no progress bar.
        """
        job = Job(partial(fn, **kwargs), name=title)
        if self._closed:
            job.cancel()  # the window is closing: the job ends at once, before any work
        job.signals.result.connect(on_result)
        job.signals.error.connect(lambda message, details, title=title: self.failed.emit(title, message, details))
        job.signals.cancelled.connect(lambda title=title: self.message.emit(f"{title}: cancelled"))
        job.signals.finished.connect(lambda job=job: self.jobs.remove(job) if job in self.jobs else None)
        self.jobs.append(job)
        if not quiet:
            self.job_started.emit(job, title)
        if connect is not None:
            connect(job)
        return job.start()

    def _for_open_session(self, title: str, handler):
        """``handler`` for a job's result, called only while the session the job started on is still open.

        The analyst may open another delivery while a job runs; the job's results are saved in the
        workspace under its own delivery, and must never be shown in (or mixed into) the new one.
        """
        session = self.session

        def deliver(result) -> None:
            if self.session is not session:
                name = session.delivery.name if session is not None else "a closed delivery"
                self.message.emit(f"{title} {name} finished; it is saved in the workspace and shown when you reopen it")
                return
            handler(result)

        return deliver

    def save_settings(self, settings: Settings | None = None) -> None:
        if settings is not None:
            model_changed = _model_key(settings) != _model_key(self.settings)
            self.settings = settings
            if model_changed:
                self.classifier = None
                self.classifier_changed.emit(None)
                self.load_classifier(quiet=True)
        try:
            save_settings(self.settings)
        except (OSError, ValueError) as exc:
            self.message.emit(f"Settings not saved: {exc}")

    def _gui_workspace(self):
        if self.workspace is None:
            from icaam_desktop.core.store import Workspace

            self.workspace = Workspace.open(self.workspace_path)
        return self.workspace

    def close(self) -> None:
        self._closed = True  # a cancelled job's follow-up (e.g. showing what it saved) must not start now
        for job in list(self.jobs):
            job.cancel()
        if self.workspace is not None:
            self.workspace.close()
            self.workspace = None

    # -- opening -----------------------------------------------------------------------------
    def open_delivery(
        self,
        folder: Path | None = None,
        *,
        name: str | None = None,
        taxonomy_dir: Path | None = None,
        sheet: str | None = None,
    ) -> Job:
        title = f"Opening {Path(folder).name if folder else name}"
        return self.run(
            job_open_delivery,
            title,
            self._opened,
            folder=Path(folder) if folder else None,
            name=name,
            workspace_path=self.workspace_path,
            taxonomy_dir=taxonomy_dir,
            sheet=sheet,
        )

    def open_demo(self) -> Job:
        demo = paths.demo_dir()
        return self.open_delivery(demo, taxonomy_dir=demo / "taxonomy", sheet="products.csv")

    def restore_last(self) -> Job | None:
        """Re-open the last workspace's last delivery (stored state only: no folder re-scan)."""
        if self.settings.last_delivery and self.workspace_path.exists():
            return self.open_delivery(name=self.settings.last_delivery)
        return None

    def _opened(self, session: ReviewSession | NeedsSheet | NeedsTaxonomy) -> None:
        if isinstance(session, NeedsSheet):
            self.sheet_needed.emit(session)
            return
        if isinstance(session, NeedsTaxonomy):
            self.taxonomy_needed.emit(session)
            return
        try:
            session.workspace = self._gui_workspace()
        except Exception as exc:  # noqa: BLE001 - degrade to memory-only review, say so
            session.storage_problem = f"decisions are not being saved: {exc}"
            self.message.emit(session.storage_problem)
        self.session = session
        self._decided_during_job.clear()
        self.settings.last_workspace = str(self.workspace_path)
        self.settings.last_delivery = session.delivery.name
        self.save_settings()
        self.session_changed.emit(session)
        problems = session.problem_count
        self.message.emit(
            f"Opened {session.delivery.name}: {len(session.products)} products, "
            f"{len(session.predictions)} classified, {len(session.category_decisions)} decided"
            + (f"; {counted(problems, 'problem')} in the delivery (File > Delivery report…)" if problems else "")
        )
        columns, values = session.stored_mapping
        self._show_mapping(columns, values)

    def import_taxonomy(self, folder: Path, *, then_open: Path | None = None) -> Job:
        """Import a PIM taxonomy export into the workspace; ``then_open``: a delivery folder to open after."""

        def connect(job: Job) -> None:
            if then_open is not None:
                job.signals.result.connect(lambda _taxonomy: self.open_delivery(then_open))

        return self.run(
            job_import_taxonomy,
            "Importing taxonomy",
            self._taxonomy_imported,
            connect=connect,
            folder=Path(folder),
            workspace_path=self.workspace_path,
        )

    def _taxonomy_imported(self, taxonomy) -> None:
        self.message.emit(
            f"Imported taxonomy: {len(taxonomy.categories)} categories, {len(taxonomy.attributes)} attributes"
        )
        if self.session is not None:
            self.session.taxonomy = taxonomy
            self.session_changed.emit(self.session)

    # -- model + classification ----------------------------------------------------------------
    def load_classifier(self, *, quiet: bool = False) -> Job | None:
        """Load the model in a worker. ``quiet`` (start-up): a missing model is a status note, not a dialog."""
        if self.classifier is not None or self._classifier_job is not None:
            return self._classifier_job
        job = Job(partial(job_load_classifier, settings=copy.deepcopy(self.settings)), name="Loading the model")
        self._loading_for = _model_key(self.settings)
        job.signals.result.connect(self._classifier_loaded)
        if quiet:
            job.signals.error.connect(lambda message, _details: self.model_problem.emit(message))
        else:
            job.signals.error.connect(lambda message, details: self.failed.emit("Loading the model", message, details))
        job.signals.finished.connect(lambda job=job: self.jobs.remove(job) if job in self.jobs else None)
        job.signals.finished.connect(self._classifier_job_done)
        self.jobs.append(job)
        self.job_started.emit(job, "Loading the model")
        job.start()
        self._classifier_job = job
        return job

    def use_activated_model(self) -> None:
        """After an activation: drop an explicit model path and reload (the activated model wins)."""
        self.settings.model_path = ""
        self.save_settings()
        self.classifier = None
        self.classifier_changed.emit(None)
        self.load_classifier()

    def retrain_now(self) -> Job | None:
        """Head-only retrain on this workspace's decisions, then re-classify with the new model at once."""
        if self.session is None or self.classifier is None:
            self.message.emit("Open a delivery and wait for the model to load first.")
            return None
        from icaam_desktop.core.training.tracking import active_model_dir
        from icaam_desktop.gui.training import job_retrain_head

        active_before = active_model_dir()

        def cancelled_late() -> None:  # cancelled after the new model was activated: use it, do not hide it
            if not self._closed and active_model_dir() != active_before:
                self.message.emit("The retrained model had already been activated: loading it")
                self.use_activated_model()

        return self.run(
            job_retrain_head,
            "Retraining the head",
            partial(self._retrained, session=self.session),
            connect=lambda job: job.signals.cancelled.connect(cancelled_late),
            classifier=self.classifier,
            workspace_path=self.workspace_path,
            taxonomy=self.session.taxonomy,
            delivery=self.session.delivery.name,
            tracking_uri=self.settings.mlflow_tracking_uri,
        )

    def _retrained(self, outcome, *, session: ReviewSession) -> None:
        """Use the new model (it is active now); re-show ``session``'s predictions if it is still open."""
        result, others = outcome
        self.classifier = result.classifier
        self.classifier_changed.emit(result.classifier)
        retrained = (
            f"Retrained on {counted(result.n_corrections, 'decision')} in {result.total_seconds:.0f} s "
            f"(fit {result.corrections_fit_before:.0%} -> {result.corrections_fit_after:.0%})"
        )
        self.message.emit(f"{retrained}; model {result.version} activated")
        if others:
            self.message.emit(f"{retrained}; classifying the {len(others)} products without cached photos…")
        if self.session is not session:  # another delivery was opened meanwhile: its own Classify will do
            return
        shown = partial(self._classified, before=_snapshot(session), headline=retrained)
        if others:  # the run skips the products re-predicted from the cache (same model version)
            self.classify(on_result=shown)
        else:  # every product was re-predicted from the cache: show the saved predictions
            self.run(
                job_saved_predictions,
                "Reading the new predictions",
                self._for_open_session("Reading the new predictions of", shown),
                session=self.session,
            )

    def _classifier_loaded(self, classifier) -> None:
        if self._loading_for != _model_key(self.settings):
            return  # the settings changed while it loaded: _classifier_job_done loads the right one
        # torch and the model add hundreds of thousands of long-lived objects; a full cyclic GC
        # pass over them takes tens of ms on the GUI thread. Freezing them out of the collector
        # keeps later collections short (they only scan objects created from now on).
        gc.freeze()
        self.classifier = classifier
        self.classifier_changed.emit(classifier)
        pending, self._pending_after_model = self._pending_after_model, []
        for action in pending:
            action()

    def _classifier_job_done(self) -> None:
        self._classifier_job = None
        if self.classifier is None and self._loading_for != _model_key(self.settings):
            self.load_classifier(quiet=True)  # keeps the actions waiting for a model
            return
        self._pending_after_model.clear()

    def classify(self, *, on_result=None) -> Job | None:
        if self.session is None:
            self.message.emit("Open a delivery first.")
            return None
        if self.classifier is None:
            self._pending_after_model.append(self.classify)
            self.load_classifier()
            return None
        session = self.session

        def show_saved() -> None:  # a cancelled run keeps its finished chunks: show them
            if self.session is session and not self._closed:
                self.run(
                    job_saved_predictions,
                    "Reading the saved predictions",
                    self._for_open_session("Classifying", partial(self._classified, cancelled=True)),
                    session=session,
                )

        return self.run(
            job_classify,
            CLASSIFYING,
            self._for_open_session("Classifying", on_result or self._classified),
            connect=lambda job: job.signals.cancelled.connect(show_saved),
            session=session,
            classifier=self.classifier,
            batch_size=self.settings.batch_size,
        )

    def _classified(self, result, *, cancelled: bool = False, before: dict | None = None, headline: str = "") -> None:
        """Show new predictions; the note counts the products as the grid shows them (your decisions
        included) and, after a retrain (``before``), how many predictions it changed."""
        predictions, rows = result
        if self.session is None:
            return
        self.session.set_predictions(predictions)
        self.session.prepared_rows = rows
        self.session_changed.emit(self.session)
        # Decisions made while the job ran are not in the prepared rows: redraw those products.
        decided, self._decided_during_job = self._decided_during_job, set()
        if decided:
            self.products_changed.emit(sorted(decided))
        counts: dict[str, int] = {}
        for p in predictions:
            status = self.session.status(p.product_id)
            counts[status] = counts.get(status, 0) + 1
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda item: -item[1]))
        if cancelled:
            self.message.emit(
                f"Classification cancelled: {len(predictions)} of {len(self.session.products)} products are "
                f"classified and saved ({summary or 'none'}); Classify (Ctrl+K) goes on with the rest"
            )
        elif before is not None:
            after = _snapshot(self.session)
            moved = sum(1 for pid, was in before.items() if after.get(pid, was) != was)
            self.message.emit(f"{headline}: {counted(moved, 'product')} changed; now {summary}")
        else:
            self.message.emit(f"Classified {len(predictions)} products: {summary}")

    # -- export --------------------------------------------------------------------------------
    def export(self, *, out: Path, labels: bool, include_unaccepted: bool) -> Job | None:
        if self.session is None:
            self.message.emit("Open a delivery first.")
            return None
        return self.run(
            job_export,
            "Exporting",
            self._exported,
            session=self.session,
            out=out,
            labels=labels,
            include_unaccepted=include_unaccepted,
        )

    def _exported(self, report) -> None:
        self.exported.emit(report)  # the window shows report.summary_lines() until dismissed
        self.message.emit(report.summary_lines()[0])

    # -- decisions (GUI thread, one small transaction each) ----------------------------------------
    def decide(self, action: str, product_id: str, code: str | None = None) -> bool:
        if self.session is None:
            return False
        try:
            if action == "accept":
                done = self.session.accept(product_id) is not None
                if not done:
                    waiting = (
                        product_id not in self.session.predictions and self.session.product(product_id).usable_images
                    )
                    why = (
                        "is not classified yet: wait for the classifier, or press C to choose a category"
                        if waiting
                        else "has no category to accept (no usable photo, or rejected): press C to choose one"
                    )
                    self.message.emit(f"{product_id} {why}")
                    return False
            elif action == "override":
                self.session.override(product_id, code)
                done = True
            elif action == "reject":
                self.session.reject(product_id)
                done = True
            else:
                raise ValueError(action)
        except Exception as exc:  # noqa: BLE001 - the store refuses e.g. unknown categories
            self.failed.emit("Decision not saved", str(exc), "")
            return False
        self._decided_during_job.add(product_id)
        self.products_changed.emit([product_id])
        if action != "accept":  # another category can mean other required attributes
            self.refill_mapping({product_id})
        return done

    def fill_missing(self, attribute: str, value: str, *, only: set[str] | None = None) -> list[str]:
        """One value for every product (of ``only``) that needs ``attribute`` and has none (e.g. an age group
        no column gives)."""
        if self.session is None:
            return []
        try:
            filled = self.session.fill_missing(attribute, value, only=only)
        except Exception as exc:  # noqa: BLE001 - the store refuses e.g. an option the attribute does not have
            self.failed.emit("Values not saved", str(exc), "")
            return []
        if filled:
            self.products_changed.emit(filled)
            spec = self.session.taxonomy.attributes.get(attribute)
            label = spec.label if spec else attribute
            self.message.emit(f"{label} set on {len(filled)} products that had none (Ctrl+Z takes them all back)")
        else:
            self.message.emit("No product misses that attribute.")
        return filled

    def undo(self) -> str | None:
        if self.session is None:
            return None
        try:
            product_id = self.session.undo()
        except Exception as exc:  # noqa: BLE001
            self.failed.emit("Undo failed", str(exc), "")
            return None
        if product_id is None:
            self.message.emit("Nothing to undo.")
            return None
        field, n = self.session.last_undone
        if field == FIELD_CATEGORY:  # its category again: its required attributes may change
            self.refill_mapping({product_id})
        if n > 1:  # a batch (a fill for every product): say so, and stay where the analyst is
            self.products_changed.emit([p.product_id for p in self.session.products])
            spec = self.session.taxonomy.attributes.get(field)
            self.message.emit(f"Undid {spec.label if spec else field} on {counted(n, 'product')}")
            return None
        self.products_changed.emit([product_id])
        self.message.emit(f"Undid the last decision on {product_id}")
        return product_id


def _snapshot(session: ReviewSession) -> dict[str, tuple[str, str | None]]:
    """Each product's status and category as the grid shows them, to tell what a retrain changed
    (a decided product's hidden suggestion does not count)."""
    return {
        p.product_id: (session.status(p.product_id), session.final_category(p.product_id)) for p in session.products
    }
