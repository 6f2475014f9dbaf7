"""``Workspace``: one SQLite file holding everything an analyst's work needs (see the package docstring)."""

from __future__ import annotations

from pathlib import Path

from icaam_desktop import paths
from icaam_desktop.core.store.connection import open_connection
from icaam_desktop.core.store.embeddings import EmbeddingSection
from icaam_desktop.core.store.mappings import MappingSection
from icaam_desktop.core.store.migrations import schema_version


class Workspace(MappingSection, EmbeddingSection):
    """The analyst's workspace: taxonomy, deliveries, predictions, decisions, mappings, audit, caches.

    Use one ``Workspace`` per thread (SQLite connections refuse other threads);
    ``Workspace.open`` is cheap, so a worker simply opens its own and closes it.
    """

    @classmethod
    def open(cls, path: str | Path | None = None, *, create: bool = True, timeout: float = 5.0) -> Workspace:
        """Open (and create or migrate) the workspace at ``path`` (default: the user data folder).

        Raises WorkspaceError, with nothing left behind, when the folder is
        read-only, the file is not a SQLite database or a newer schema, or the
        file stays locked for ``timeout`` seconds.
        """
        target = paths.default_workspace() if path is None else Path(path).expanduser()
        target = target.absolute()
        conn = open_connection(target, create=create, timeout=timeout)
        return cls(conn, target, timeout=timeout)

    @property
    def schema_version(self) -> int:
        return schema_version(self.conn)
