"""The backbone-embedding cache for the head-only retrain, keyed by image content hash.

An embedding is only valid for the backbone that produced it, so putting rows for a
new backbone id purges every other backbone's rows in the same transaction, and
``get_embeddings`` only ever returns rows of the backbone asked for. Vectors are
stored as float16 (half the space; the head does not need more) and come back
as float32.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from icaam_desktop.core.store.base import WorkspaceBase, chunks, now_utc

if TYPE_CHECKING:
    import numpy as np

META_EMBEDDING_BACKBONE = "embedding_backbone"


def image_key(path: str | Path) -> str:
    """The cache key of an image: the sha1 of its file bytes (a renamed or moved file keeps its key)."""
    digest = hashlib.sha1()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class EmbeddingSection(WorkspaceBase):
    def put_embeddings(self, backbone_id: str, items: dict[str, np.ndarray]) -> int:
        """Store one vector per image key for ``backbone_id``; return how many stale rows were purged."""
        import numpy as np  # numpy stays out of the GUI's start-up path

        if not backbone_id:
            raise ValueError("an embedding needs the id of the backbone that produced it")
        rows = []
        now = now_utc()
        for key, vector in items.items():
            flat = np.asarray(vector, dtype=np.float32).reshape(-1)
            rows.append((backbone_id, key, int(flat.size), flat.astype(np.float16).tobytes(), now))
        with self.transaction() as conn:
            purged = conn.execute("DELETE FROM embeddings WHERE backbone_id != ?", (backbone_id,)).rowcount
            conn.executemany(
                "INSERT OR REPLACE INTO embeddings (backbone_id, key, dim, vector, saved_at) VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (META_EMBEDDING_BACKBONE, backbone_id),
            )
            self._audit("embeddings_put", backbone_id=backbone_id, count=len(rows), purged=purged)
        return purged

    def get_embeddings(self, backbone_id: str, keys: Iterable[str]) -> dict[str, np.ndarray]:
        """The cached float32 vectors of ``backbone_id`` for those of ``keys`` that are cached."""
        import numpy as np

        found: dict[str, np.ndarray] = {}
        for part in chunks(list(dict.fromkeys(keys))):
            marks = ",".join("?" * len(part))
            for key, dim, blob in self.conn.execute(
                f"SELECT key, dim, vector FROM embeddings WHERE backbone_id = ? AND key IN ({marks})",
                [backbone_id, *part],
            ):
                vector = np.frombuffer(blob, dtype=np.float16)
                if vector.size == dim:  # a damaged row is a cache miss, not a crash
                    found[key] = vector.astype(np.float32)
        return found

    def embedding_backbone(self) -> str | None:
        """The backbone whose embeddings the cache holds (None when empty)."""
        return self.get_meta(META_EMBEDDING_BACKBONE)
