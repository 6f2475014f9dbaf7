"""The category tree as a QAbstractItemModel, after Qt for Python's editable tree model example.

A plain Python tree of ``TreeNode``s built once from the ``Taxonomy``; the Qt model is a thin
adapter (index <-> node through ``internalPointer``). ``TaxonomyFilterProxy`` filters recursively
(a match keeps its ancestors visible) on the label, the code and the whole path, which stays
interactive with 10,000+ categories because each node carries its pre-lowered search text.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from icaam_desktop.core.taxonomy import Taxonomy

Index = QModelIndex | QPersistentModelIndex
CODE_ROLE = Qt.ItemDataRole.UserRole + 1


class TreeNode:
    __slots__ = ("children", "code", "label", "parent", "row", "search")

    def __init__(self, code: str, label: str, parent: TreeNode | None, row: int) -> None:
        self.code = code
        self.label = label
        self.parent = parent
        self.row = row
        self.children: list[TreeNode] = []
        path = f"{parent.search} " if parent is not None and parent.parent is not None else ""
        self.search = f"{path}{label} {code}".lower()


def build_tree(taxonomy: Taxonomy) -> TreeNode:
    root_cat = taxonomy.categories[taxonomy.root]
    root = TreeNode(root_cat.code, root_cat.label, None, 0)
    stack = [root]
    while stack:
        node = stack.pop()
        children = sorted(taxonomy.children(node.code), key=lambda c: taxonomy.categories[c].label.lower())
        for i, code in enumerate(children):
            child = TreeNode(code, taxonomy.categories[code].label, node, i)
            node.children.append(child)
            stack.append(child)
    return root


class TaxonomyTreeModel(QAbstractItemModel):
    """Read-only tree of categories: column 0 label, column 1 code."""

    HEADERS = ("Category", "Code")

    def __init__(self, taxonomy: Taxonomy | None = None, parent=None) -> None:
        super().__init__(parent)
        self._root = TreeNode("", "", None, 0)
        self._by_code: dict[str, TreeNode] = {}
        self.taxonomy = taxonomy
        if taxonomy is not None:
            self.set_taxonomy(taxonomy)

    def set_taxonomy(self, taxonomy: Taxonomy) -> None:
        self.beginResetModel()
        self.taxonomy = taxonomy
        self._root = build_tree(taxonomy)
        self._by_code = {}
        stack = [self._root]
        while stack:
            node = stack.pop()
            self._by_code[node.code] = node
            stack.extend(node.children)
        self.endResetModel()

    def index_for(self, code: str) -> QModelIndex:
        node = self._by_code.get(code)
        if node is None or node is self._root:
            return QModelIndex()
        return self.createIndex(node.row, 0, node)

    def node(self, index: Index) -> TreeNode:
        return index.internalPointer() if index.isValid() else self._root

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        node = self.node(parent)
        if not 0 <= row < len(node.children) or not 0 <= column < len(self.HEADERS):
            return QModelIndex()
        return self.createIndex(row, column, node.children[row])

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        node: TreeNode = index.internalPointer()
        parent = node.parent
        if parent is None or parent is self._root:
            return QModelIndex()
        return self.createIndex(parent.row, 0, parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self.node(parent).children)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        node: TreeNode = index.internalPointer()
        if role == Qt.ItemDataRole.DisplayRole:
            return node.label if index.column() == 0 else node.code
        if role == CODE_ROLE:
            return node.code
        if role == Qt.ItemDataRole.ToolTipRole and self.taxonomy is not None:
            return " > ".join(self.taxonomy.categories[c].label for c in self.taxonomy.ancestors(node.code))
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def search_text(self, index: Index) -> str:
        return self.node(index).search


class TaxonomyFilterProxy(QSortFilterProxyModel):
    """Type-ahead: every word must occur in the node's path, label or code; ancestors stay visible."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setRecursiveFilteringEnabled(True)
        self.setAutoAcceptChildRows(False)
        self._words: list[str] = []

    def set_query(self, text: str) -> None:
        self.beginFilterChange()
        self._words = text.lower().split()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if not self._words:
            return True
        model: TaxonomyTreeModel = self.sourceModel()
        text = model.search_text(model.index(source_row, 0, source_parent))
        return all(word in text for word in self._words)
