"""Override dialog: type-ahead search over the whole category tree, Enter picks.

Typing filters the tree recursively (ancestors of a match stay visible, expanded), the best
matching leaf is selected (an exact name first: "shirts" picks Shirts, not Lounge Tshirts), arrow
keys move within the results without leaving the search box.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QLabel, QLineEdit, QTreeView, QVBoxLayout, QWidget

from icaam_desktop.core.taxonomy import Taxonomy
from icaam_desktop.gui.models.taxonomy_tree import CODE_ROLE, TaxonomyFilterProxy, TaxonomyTreeModel

EXPAND_LIMIT = 400  # expand all results only while there are few enough to read


def match_rank(query: str, label: str, code: str) -> int:
    """0: the name or code itself; 1: every typed word is a whole word of the name; 2: the name starts
    with the query; 3: the words only occur somewhere (in the path, or inside longer words)."""
    q = " ".join(query.casefold().replace("_", " ").split())
    name = " ".join(label.casefold().replace("_", " ").split())
    if q in (name, code.casefold().replace("_", " ")):
        return 0
    if set(q.split()) <= set(re.findall(r"\w+", name)):
        return 1
    return 2 if name.startswith(q) else 3


class TaxonomyPicker(QDialog):
    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        current: str | None = None,
        model: TaxonomyTreeModel | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("taxonomyPicker")
        self.setWindowTitle("Choose a category")
        self.resize(560, 620)
        self.taxonomy = taxonomy
        self.model = model or TaxonomyTreeModel(taxonomy, self)
        self.proxy = TaxonomyFilterProxy(self)
        self.proxy.setSourceModel(self.model)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Type to search the whole tree (label, code or path); ↑/↓ to move, Enter to choose."))
        self.search = QLineEdit(placeholderText="e.g. sandal, women shoes, tshirts…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        layout.addWidget(self.search)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.doubleClicked.connect(lambda _index: self.accept())
        layout.addWidget(self.tree, 1)
        self.path_label = QLabel("", objectName="pickerPath")
        layout.addWidget(self.path_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.tree.selectionModel().currentChanged.connect(self._show_path)
        if current and current in taxonomy.categories:
            self._select(self.proxy.mapFromSource(self.model.index_for(current)))
        self.search.setFocus()

    def selected_code(self) -> str | None:
        index = self.tree.currentIndex()
        return index.data(CODE_ROLE) if index.isValid() else None

    def _filter(self, text: str) -> None:
        self.proxy.set_query(text)
        if not text.strip():
            self.tree.collapseAll()
            return
        visible = self._count_visible(QModelIndex(), EXPAND_LIMIT + 1)
        if visible <= EXPAND_LIMIT:
            self.tree.expandAll()
        leaf = self._best_leaf(text)
        if leaf is not None:
            self._select(leaf)

    def _count_visible(self, parent: QModelIndex, limit: int) -> int:
        total = 0
        for r in range(self.proxy.rowCount(parent)):
            total += 1 + self._count_visible(self.proxy.index(r, 0, parent), limit)
            if total >= limit:
                break
        return total

    def _leaves(self, parent: QModelIndex):
        """The visible leaves in tree order."""
        for r in range(self.proxy.rowCount(parent)):
            index = self.proxy.index(r, 0, parent)
            if self.proxy.rowCount(index) == 0:
                yield index
            else:
                yield from self._leaves(index)

    def _best_leaf(self, text: str) -> QModelIndex | None:
        """The visible leaf whose name matches the query best; the first in tree order among equals."""
        best, best_rank = None, 4
        for index in self._leaves(QModelIndex()):
            rank = match_rank(
                text, str(index.data(Qt.ItemDataRole.DisplayRole) or ""), str(index.data(CODE_ROLE) or "")
            )
            if rank < best_rank:
                best, best_rank = index, rank
                if rank == 0:
                    break
        return best

    def _select(self, index: QModelIndex) -> None:
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)

    def _show_path(self, current: QModelIndex, _previous: QModelIndex) -> None:
        code = current.data(CODE_ROLE) if current.isValid() else None
        if code and code in self.taxonomy.categories:
            labels = [self.taxonomy.categories[c].label for c in self.taxonomy.ancestors(code)]
            self.path_label.setText(" › ".join(labels) + f"   ({code})")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Arrow keys in the search box move through the results, so the hands never leave the keys.
        moves = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)
        if (
            watched is self.search
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in moves
        ):
            self.tree.keyPressEvent(event)
            return True
        return super().eventFilter(watched, event)
