"""Optional embedding backend: sentence-transformers from a LOCAL model directory. Off by default.

Enabled only when KINDRED_MATCHING_EMBEDDING_MODEL names a directory holding a sentence-transformers model
(nothing is ever downloaded: the path must exist). The one-way score then blends the TF-IDF cosine with
the cosine of the needs and offers embeddings: s = (1 - EMBED_SHARE)·tfidf + EMBED_SHARE·embedding.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

ENV = "KINDRED_MATCHING_EMBEDDING_MODEL"
EMBED_SHARE = 0.5


class EmbeddingUnavailable(RuntimeError):
    pass


def configured_path() -> Path | None:
    raw = os.environ.get(ENV, "").strip()
    return Path(raw) if raw else None


@lru_cache(maxsize=2)
def load(path: str) -> Any:
    """The model at `path`, loaded once per process. Raises EmbeddingUnavailable (never downloads)."""
    if not Path(path).is_dir():
        raise EmbeddingUnavailable(f"{path} is not a directory")
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise EmbeddingUnavailable("sentence-transformers is not installed") from exc
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return SentenceTransformer(path, device="cpu", local_files_only=True)


def encode(model: Any, texts: list[str]) -> np.ndarray:
    vectors = np.asarray(
        model.encode(texts, normalize_embeddings=True, show_progress_bar=False), dtype=np.float64
    )
    return vectors.reshape(len(texts), -1)


def one_way(model: Any, needs: list[str], offers: list[str]) -> np.ndarray:
    """Dense cosine of every needs text against every offers text, clipped at 0."""
    return np.clip(encode(model, needs) @ encode(model, offers).T, 0.0, 1.0)


def blend(tfidf: np.ndarray, embedded: np.ndarray) -> np.ndarray:
    return (1.0 - EMBED_SHARE) * tfidf + EMBED_SHARE * embedded
