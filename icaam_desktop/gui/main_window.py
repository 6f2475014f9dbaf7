"""The main window: a thin shell of menus, views and wiring; the work is in Controller."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from icaam_desktop import __version__
from icaam_desktop.gui.controller import Controller
from icaam_desktop.gui.models.grid import ProductFilterProxy, ProductGridModel, Role
from icaam_desktop.gui.models.session import STATUS_REVIEW
from icaam_desktop.gui.models.taxonomy_tree import TaxonomyTreeModel
from icaam_desktop.gui.models.thumbnails import ThumbnailCache
from icaam_desktop.gui.views.dialogs import ExportDialog, ReportDialog, SettingsDialog, show_error
from icaam_desktop.gui.views.evaluation_view import EvaluationDialog
from icaam_desktop.gui.views.grid_view import FilterBar, ProductGrid
from icaam_desktop.gui.views.mapping_view import FillMissingDialog, MappingView
from icaam_desktop.gui.views.model_picker import ModelPickerDialog
from icaam_desktop.gui.views.product_panel import ProductPanel
from icaam_desktop.gui.views.status_area import StatusArea
from icaam_desktop.gui.views.taxonomy_picker import TaxonomyPicker
from icaam_desktop.gui.views.training_panel import TrainingPanel
from icaam_desktop.gui.workers import all_pools


class MainWindow(QMainWindow):
    def __init__(self, *, demo: bool = False, db: str | None = None, load_model: bool = True) -> None:
        super().__init__()
        self.setWindowTitle(f"ICaAM {__version__} — product onboarding review")
        self.setAcceptDrops(True)
        self.controller = Controller(self)
        if db:
            self.controller.workspace_path = Path(db)

        self.thumbnails = ThumbnailCache(self)
        self.grid_model = ProductGridModel(self.thumbnails, self)
        self.proxy = ProductFilterProxy(self)
        self.proxy.setSourceModel(self.grid_model)
        self.tree_model = TaxonomyTreeModel(parent=self)

        self.tabs = QTabWidget()
        review = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.filter_bar = FilterBar(self.proxy)
        self.grid = ProductGrid(self.proxy)
        left_layout.addWidget(self.filter_bar)
        left_layout.addWidget(self.grid, 1)
        self.panel = ProductPanel()
        review.addWidget(left)
        review.addWidget(self.panel)
        review.setStretchFactor(0, 3)
        review.setStretchFactor(1, 2)
        self.review_splitter = review
        self._splitter_touched = False
        self._shown_delivery: str | None = None  # whose saved review position was last restored
        review.splitterMoved.connect(lambda *_: setattr(self, "_splitter_touched", True))
        self.tabs.addTab(review, "Review")
        self.mapping = MappingView()
        self.tabs.addTab(self.mapping, "Attribute mapping")
        self.setCentralWidget(self.tabs)
        self.status = StatusArea(self.statusBar())

        self._menus()
        self._wire()
        self._restore_geometry()
        QTimer.singleShot(0, lambda: self._after_show(demo=demo, load_model=load_model))

    # -- construction --------------------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut: str | QKeySequence | list | None = None) -> QAction:
        action = QAction(text, self)
        if isinstance(shortcut, list):
            action.setShortcuts([QKeySequence(s) for s in shortcut])
        elif shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "Open delivery…", self.open_delivery_dialog, QKeySequence.StandardKey.Open)
        self._action(file, "Import taxonomy…", self.import_taxonomy_dialog)
        self._action(file, "Delivery report…", self.delivery_report)
        self._action(file, "Export…", self.export_dialog, "Ctrl+E")
        file.addSeparator()
        self._action(file, "Settings…", self.settings_dialog, QKeySequence.StandardKey.Preferences)
        file.addSeparator()
        self._action(file, "Quit", self.close, QKeySequence.StandardKey.Quit)
        work = bar.addMenu("&Classify")
        self._action(work, "Classify delivery", self.controller.classify, "Ctrl+K")
        self._action(work, "Map attributes", self._map, "Ctrl+M")
        self._action(work, "Fill a missing attribute…", self.fill_missing_dialog)
        work.addSeparator()
        self._action(work, "Retrain now (head only, from your decisions)", self.controller.retrain_now, "Ctrl+Shift+R")
        self._action(work, "Train a model…", self.training_panel)
        self._action(work, "Evaluate the model…", self.evaluation_dialog)
        self._action(work, "Models…", self.model_picker)
        review = bar.addMenu("&Review")
        self.accept_action = self._action(review, "Accept", self.accept_current, ["A", "Return", "Enter"])
        self._action(review, "Change category…", self.change_current, ["C", "O"])
        self._action(review, "Reject", self.reject_current, "R")
        self._action(review, "Undo", self.undo, QKeySequence.StandardKey.Undo)
        self._action(review, "Next needing review", self.next_review, ["N", "Space"])
        review.addSeparator()
        self._action(review, "Show only products needing review", lambda: self.filter_bar.show_only({STATUS_REVIEW}))
        self._action(review, "Show all products", self.filter_bar.reset)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "Open demo", self.controller.open_demo)
        self._action(help_menu, "Keyboard shortcuts", self.show_keys, "F1")
        # The review keys belong to the grid/panel, not to text fields or the mapping tables.
        for action in review.actions():
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.tabs.widget(0).addAction(action)

    def _wire(self) -> None:
        c = self.controller
        c.session_changed.connect(self._session_changed)
        c.products_changed.connect(self._products_changed)
        c.values_refilled.connect(self._values_refilled)
        c.mapping_changed.connect(
            lambda rows, values: self.mapping.show_mapping(rows, values, c.session.taxonomy if c.session else None)
        )
        c.classifier_changed.connect(self._classifier_changed)
        c.job_started.connect(self.status.track)
        c.sheet_needed.connect(self._choose_sheet)
        c.taxonomy_needed.connect(self._ask_for_taxonomy)
        c.model_problem.connect(self._model_problem)
        c.failed.connect(lambda title, message, details: show_error(self, title, message, details))
        c.message.connect(lambda text: self.status.show_message(text, 8000))
        c.exported.connect(self._export_done)
        self.grid.current_product.connect(self._show_product)
        self.panel.accept_requested.connect(self.accept_current)
        self.panel.change_requested.connect(self.change_current)
        self.panel.reject_requested.connect(self.reject_current)
        self.panel.next_requested.connect(self.next_review)
        self.panel.editing_done.connect(self.grid.setFocus)  # the review keys work again after an edit
        self.panel.attributes.edited.connect(lambda pid, _attr: self._products_changed([pid]))
        self.panel.attributes.refused.connect(lambda text: show_error(self, "Value not saved", text))
        self.mapping.column_decided.connect(c.accept_column)
        self.mapping.fill_requested.connect(self.fill_missing_dialog)
        self.mapping.value_decided.connect(c.accept_value)

    def fit_grid_columns(self) -> None:
        """Give the grid a whole number of columns and the rest to the panel (no ragged gap)."""
        total = self.review_splitter.width()
        cell = self.grid.gridSize().width()
        columns = max(2, int(total * 0.58) // cell)
        grid = columns * cell + self.grid.verticalScrollBar().sizeHint().width() + 2 * self.grid.frameWidth() + 12
        self.review_splitter.setSizes([grid, max(360, total - grid)])

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self._splitter_touched:
            self.fit_grid_columns()

    def _after_show(self, *, demo: bool, load_model: bool) -> None:
        self.fit_grid_columns()
        if self.controller.settings.problems:
            self.status.show_message("; ".join(self.controller.settings.problems), 10000)
        if demo:
            self.controller.open_demo()
        else:
            self.controller.restore_last()
        if load_model:
            self.controller.load_classifier(quiet=True)
        self.grid.setFocus()  # the review keys work at once, not on the tab bar

    # -- reacting --------------------------------------------------------------------------------
    def _session_changed(self, session) -> None:
        current = self.grid.current_product_id()
        name = session.delivery.name if session is not None else None
        if name != self._shown_delivery:  # another delivery (or the first): back where the analyst left it
            self._shown_delivery = name
            current = str(QSettings().value(f"review/position/{name}", "") or "") if name else None
            self.mapping.value_filter.clear()  # a search for the last delivery's values would hide this one's
        self.grid_model.replace_rows(session.take_rows() if session else [])
        self.filter_bar.refilter()  # statuses and confidences may have changed under active filters
        if session is not None and (self.tree_model.taxonomy is not session.taxonomy):
            self.tree_model.set_taxonomy(session.taxonomy)
            self.filter_bar.set_taxonomy(session.taxonomy)
        self.setWindowTitle(f"ICaAM {__version__} — {session.delivery.name}" if session else f"ICaAM {__version__}")
        if session is not None and session.storage_problem:
            self.status.show_message(session.storage_problem)
        if not (current and self.grid.select_product(current)) and self.proxy.rowCount():
            self.grid.setCurrentIndex(self.proxy.index(0, 0))
        self.panel.show_product(session, self.grid.current_product_id())
        focused = QApplication.focusWidget()
        if focused is None or isinstance(focused, QTabBar):
            self.grid.setFocus()

    def _products_changed(self, product_ids: list[str]) -> None:
        session = self.controller.session
        if session is None:
            return
        self.grid_model.update_rows([session.row(pid) for pid in product_ids])
        self.panel.refresh()

    def _values_refilled(self, missing: dict[str, list[str]]) -> None:
        """A refill changed these products' mapped values: redraw the cards whose "N missing" changed
        (nothing else in a card depends on the values), and the panel if it shows one of them."""
        self.grid_model.set_missing(missing)
        if self.panel.product_id in missing:
            self.panel.refresh()

    def _show_product(self, product_id: str) -> None:
        session = self.controller.session
        self.panel.show_product(session, product_id)
        if session is not None and product_id:
            QSettings().setValue(f"review/position/{session.delivery.name}", product_id)

    def _classifier_changed(self, classifier) -> None:
        if classifier is None:
            self.status.set_device("device: not loaded")
            self.status.set_model("not loaded")
            return
        self.status.set_device(getattr(classifier, "device_description", "") or "CPU")
        self.status.set_model(getattr(classifier, "version", "") or "unknown")

    def _model_problem(self, message: str) -> None:
        self.status.set_model("not available")
        self.status.model.setToolTip(message)
        self.status.show_message(f"No model loaded: {message} (Settings… picks another)", 15_000)

    def _map(self) -> None:
        self.tabs.setCurrentWidget(self.mapping)
        self.controller.map_attributes()

    # -- review actions (keyboard first) -----------------------------------------------------------
    def _current(self) -> str | None:
        return self.grid.current_product_id() if self.controller.session else None

    def accept_current(self) -> None:
        pid = self._current()
        if pid and self.controller.decide("accept", pid):
            self.next_review()

    def reject_current(self) -> None:
        pid = self._current()
        if pid and self.controller.decide("reject", pid):
            self.next_review()

    def change_current(self) -> None:
        pid = self._current()
        session = self.controller.session
        if not pid or session is None:
            return
        picker = TaxonomyPicker(
            session.taxonomy, current=session.final_category(pid), model=self.tree_model, parent=self
        )
        self._picker = picker  # reachable for tests and screenshots
        if picker.exec() and picker.selected_code() and self.controller.decide("override", pid, picker.selected_code()):
            self.next_review()  # like A and R: the decision is made, on to the next
        self._picker = None

    def undo(self) -> None:
        pid = self.controller.undo()
        if pid:
            self.grid.select_product(pid)

    def next_review(self) -> None:
        session = self.controller.session
        if session is None:
            return
        current = self._current()
        pid = self._next_visible_needing_review(current) or session.next_needing_review(current)
        if pid is None:
            self.status.show_message("Nothing left to review in this delivery.", 5000)
        elif not self.grid.select_product(pid):
            self.filter_bar.reset()
            self.grid.select_product(pid)

    def _next_visible_needing_review(self, after: str | None) -> str | None:
        """The next product needing review in the grid's own order (its sort and filters), wrapping around."""
        session, rows = self.controller.session, self.proxy.rowCount()
        start = self.grid.currentIndex().row() + 1 if after and self.grid.currentIndex().isValid() else 0
        for step in range(rows):
            pid = self.proxy.index((start + step) % rows, 0).data(Role.PRODUCT_ID)
            if pid != after and session.needs_review(pid):
                return pid
        return None

    # -- dialogs --------------------------------------------------------------------------------
    def open_delivery_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a supplier delivery folder")
        if folder:
            self.controller.open_delivery(Path(folder))

    def _choose_sheet(self, needs) -> None:
        sheet, ok = QInputDialog.getItem(
            self, "Which sheet holds the products?", f"{needs.message}\n\nProduct sheet:", needs.candidates, 0, False
        )
        if ok and sheet:
            self.controller.open_delivery(needs.folder, sheet=sheet)

    def import_taxonomy_dialog(self, *, then_open: Path | None = None) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Import a PIM taxonomy export folder")
        if folder:
            self.controller.import_taxonomy(Path(folder), then_open=then_open)

    def _ask_for_taxonomy(self, needs) -> None:
        """Opening a delivery in a workspace without a taxonomy: offer to import one, then open it."""
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Import the retailer's taxonomy first",
            "This workspace has no retailer taxonomy yet. Products are reviewed against the retailer's "
            "categories and attributes, so import its PIM export (categories.csv, attributes.csv, …) first.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("taxonomyNeeded")
        importing = box.addButton("Import taxonomy…", QMessageBox.ButtonRole.AcceptRole)
        self._taxonomy_box = box  # reachable for tests and screenshots
        box.exec()
        if box.clickedButton() is importing:
            self.import_taxonomy_dialog(then_open=needs.folder)

    def delivery_report(self) -> ReportDialog | None:
        """What was detected in the open delivery and every problem with its rows and files."""
        session = self.controller.session
        if session is None:
            self.status.show_message("Open a delivery first.", 5000)
            return None
        dialog = ReportDialog(f"Delivery report: {session.delivery.name}", session.report().text(), self)
        self._report_dialog = dialog  # reachable for tests and screenshots
        dialog.open()
        return dialog

    def export_dialog(self) -> ExportDialog | None:
        session = self.controller.session
        if session is None:
            self.status.show_message("Open a delivery first.", 5000)
            return None
        statuses = [session.status(p.product_id) for p in session.products]
        last_dir = Path(str(QSettings().value("export/last_dir", "") or Path.home()))
        dialog = ExportDialog(
            delivery=session.delivery.name,
            default_dir=last_dir if last_dir.is_dir() else Path.home(),
            counts={s: statuses.count(s) for s in set(statuses)},
            parent=self,
        )
        self._export_dialog = dialog
        if dialog.exec():
            options = dialog.options()
            QSettings().setValue("export/last_dir", str(options["out"].parent))
            self.controller.export(**options)
        return dialog

    def fill_missing_dialog(self) -> FillMissingDialog | None:
        session = self.controller.session
        if session is None:
            self.status.show_message("Open a delivery first.", 5000)
            return None
        missing = session.missing_counts()
        if not missing:
            self.status.show_message("Every product has its category's required attributes.", 5000)
            return None
        filtered = not self.filter_bar.is_default()
        shown = {self.proxy.index(r, 0).data(Role.PRODUCT_ID) for r in range(self.proxy.rowCount())}
        if filtered and not shown:
            self.status.show_message("The grid shows no product: clear its filter or search first.", 5000)
            return None
        dialog = FillMissingDialog(session.taxonomy, missing, shown=len(shown) if filtered else None, parent=self)
        self._fill_dialog = dialog  # reachable for tests and screenshots
        if dialog.exec() and dialog.chosen():
            only = shown if filtered and dialog.only_shown.isChecked() else None
            self.controller.fill_missing(*dialog.chosen(), only=only)
        self._fill_dialog = None
        return dialog

    def _export_done(self, report) -> QMessageBox:
        """What was written and what was left out (with the products, behind Show Details), until dismissed."""
        box = QMessageBox(
            QMessageBox.Icon.Information, "Export finished", "\n".join(report.summary_lines()), parent=self
        )
        if report.skipped:
            box.setDetailedText("\n".join(f"{s.product_id}: {s.reason}" for s in report.skipped))
        self._export_summary = box  # reachable for tests and screenshots
        box.open()
        return box

    def _modeless(self, attribute: str, factory):
        """One instance per window of a modeless dialog, created on first use, then brought to the front."""
        dialog = getattr(self, attribute, None)
        if dialog is None:
            dialog = factory(self.controller, self)
            setattr(self, attribute, dialog)
        dialog.show()
        dialog.raise_()
        return dialog

    def training_panel(self) -> TrainingPanel:
        return self._modeless("_training", TrainingPanel)

    def evaluation_dialog(self) -> EvaluationDialog:
        return self._modeless("_evaluation", EvaluationDialog)

    def model_picker(self) -> ModelPickerDialog:
        return self._modeless("_models", ModelPickerDialog)

    def settings_dialog(self) -> None:
        dialog = SettingsDialog(self.controller.settings, self)
        if dialog.exec():
            self.controller.save_settings(dialog.result_settings())

    def show_keys(self) -> None:
        QMessageBox.information(
            self,
            "Keyboard shortcuts",
            "A / Enter  accept\nC / O  change category (type to search)\nR  reject\nCtrl+Z  undo\n"
            "N / Space  next product needing review\n\n"
            "Ctrl+O  open a delivery · Ctrl+K  classify · Ctrl+M  map attributes · Ctrl+E  export\n"
            "Ctrl+Shift+R  retrain now (head only, from your decisions)\n"
            "In the mapping tables: A accept · C change · Del set to none\nF1  this list",
        )

    # -- window events ----------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and Path(urls[0].toLocalFile()).is_dir():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        folder = Path(event.mimeData().urls()[0].toLocalFile())
        if folder.is_dir():
            event.acceptProposedAction()
            self.controller.open_delivery(folder)

    def _restore_geometry(self) -> None:
        geometry = QSettings().value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 880)

    def closeEvent(self, event) -> None:
        QSettings().setValue("window/geometry", self.saveGeometry())
        self.thumbnails.cancel_all()
        self.controller.close()  # cancels running jobs
        for pool in all_pools():
            pool.waitForDone(5000)  # a cancelled job stops at its next unit of work
        super().closeEvent(event)
