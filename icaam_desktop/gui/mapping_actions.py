"""The controller's mapping actions: run the mapper, take the analyst's column and value decisions, and keep the
products' mapped values up to date with them (a refill in a worker, one at a time, never beside a mapping run).

A mixin of ``Controller`` (gui/controller.py), which owns the signals, the jobs and the session it uses.
"""

from __future__ import annotations

from functools import partial

from icaam_desktop.gui.jobs import job_map, job_refill_mapping, sample_values
from icaam_desktop.gui.models.mapping import column_rows
from icaam_desktop.gui.models.session import Refill, ReviewSession
from icaam_desktop.gui.workers import Job

CLASSIFYING = "Classifying"  # the classification job's name: a mapping asked for meanwhile waits for it


class MappingActions:
    def map_attributes(self) -> Job | None:
        if self.session is None:
            self.message.emit("Open a delivery first.")
            return None
        if self.classify in self._pending_after_model:  # classification waits for the model: map after it
            if self.map_attributes not in self._pending_after_model:
                self._pending_after_model.append(self.map_attributes)
            self.message.emit("Mapping starts when the classification ends: it uses the predicted categories")
            return None
        classifying = next((job for job in self.jobs if job.name == CLASSIFYING and not job.done), None)
        if classifying is not None:  # the mapper reads the predicted categories: wait for them
            if not self._map_after_classify:
                self._map_after_classify = True
                session = self.session
                classifying.signals.finished.connect(lambda: self._map_when_classified(session))
            self.message.emit("Mapping starts when the classification ends: it uses the predicted categories")
            return None

        def finished() -> None:
            self._map_job = None
            if self._refill_wanted is not False:  # decisions made while it ran
                self.refill_mapping(self._take_refill_wanted())

        self._map_job = self.run(
            job_map,
            "Mapping attributes",
            self._for_open_session("Mapping attributes of", self._mapped),
            connect=lambda job: job.signals.finished.connect(finished),
            session=self.session,
            embedding_model=self.settings.embedding_model,
        )
        return self._map_job

    def _map_when_classified(self, session: ReviewSession) -> None:
        self._map_after_classify = False
        if self.session is session and not self._closed:
            self.map_attributes()

    def _mapped(self, result) -> None:
        columns, values, product_values, problems = result
        if problems:
            self.message.emit("Mapping: " + "; ".join(problems))
        if self.session is None:
            return
        self.session.values = product_values
        self._show_mapping(columns, values)
        self.session_changed.emit(self.session)

    def _show_mapping(self, columns, values) -> None:
        delivery = self.session.delivery
        rows = column_rows(
            columns,
            columns=delivery.sheet.columns,
            samples=sample_values(self.session),
            image_columns=frozenset(c for c in [delivery.image_column, *delivery.extra_image_columns] if c),
        )
        self.session.set_sources(rows)
        self.mapping_changed.emit(rows, list(values))

    def accept_column(self, column: str, attributes: list[str]) -> None:
        self._mapping_write(
            lambda ws: ws.accept_column(self.session.delivery.name, supplier_column=column, attributes=attributes)
        )

    def accept_value(self, attribute: str, supplier_value: str, option: str) -> None:
        self._mapping_write(
            lambda ws: ws.accept_value(
                self.session.delivery.name,
                attribute=attribute,
                supplier_value=supplier_value,
                option_code=option or None,
            )
        )

    def _mapping_write(self, write) -> None:
        if self.session is None:
            return
        try:
            write(self._gui_workspace())
        except Exception as exc:  # noqa: BLE001 - a refused mapping is a message, not a crash
            self.failed.emit("Mapping not saved", str(exc), "")
            return
        self.refill_mapping()

    def refill_mapping(self, only: set[str] | None = None) -> Job | None:
        """Bring the products' mapped values (``only`` those, else all) up to date with the latest decisions
        (columns, values, categories), in a worker: one refill at a time and never beside a mapping run;
        what is asked meanwhile is merged into the next one."""
        if self.session is None or self._closed:
            return None
        wanted = self._refill_wanted
        self._refill_wanted = None if only is None or wanted is None else (only | (wanted or set()))
        if self._refill_job is not None or self._map_job is not None:
            return self._refill_job
        only = self._take_refill_wanted()
        session = self.session

        def finished() -> None:
            self._refill_job = None
            if self._refill_wanted is not False:
                self.refill_mapping(self._take_refill_wanted())

        self._refill_job = self.run(
            job_refill_mapping,
            "Updating the mapped values",
            partial(self._refilled, session=session, only=only),
            connect=lambda job: job.signals.finished.connect(finished),
            quiet=True,
            session=session,
            only=only,
        )
        return self._refill_job

    def _refilled(self, refill: Refill | None, *, session: ReviewSession, only: set[str] | None) -> None:
        """Take a refill's values; the window redraws only the products whose values changed (a column
        decision refills all 40,000 products; redrawing every row took a second of the GUI thread)."""
        if refill is None or self.session is not session:
            return
        self.values_refilled.emit(session.take_refill(refill, only=only))

    def _take_refill_wanted(self) -> set[str] | None:
        wanted, self._refill_wanted = self._refill_wanted, False
        return None if wanted is None else set(wanted or ())
