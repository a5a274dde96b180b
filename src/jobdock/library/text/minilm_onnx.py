"""MiniLM's forward pass as an ONNX graph, built in memory from the safetensors weights.

Nothing is downloaded or exported with torch: the graph is written op by op with the
``onnx`` package's helpers (BERT: embeddings, 6 x [attention, feed-forward], each with
a residual LayerNorm) and run by onnxruntime. Its output is the sum of the final token
vectors per sequence, as :class:`.minilm.NumpyBackend` computes it.

Threads: at most two intra-op threads that do not spin while idle. A spinning pool
collapses when another process holds a core; a sleeping one degrades gracefully.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

log = logging.getLogger(__name__)
OPSET = 17  # LayerNormalization
MAX_THREADS = 2


def onnx_backend(weights: dict[str, np.ndarray], config: dict[str, Any], *,
                 required: bool = False) -> OnnxBackend | None:
    """The onnxruntime backend, or None (numpy is used) when onnx/onnxruntime are missing."""
    try:
        import onnxruntime  # noqa: F401
        from onnx import helper  # noqa: F401
    except ImportError:
        if required:
            from jobdock.library.text.minilm import EmbedderUnavailable

            raise EmbedderUnavailable("onnxruntime and onnx are not installed: "
                                      "pip install 'jobdock[embeddings]'") from None
        log.info("onnxruntime not installed: MiniLM runs on numpy (slower)")
        return None
    return OnnxBackend(weights, config)


class OnnxBackend:
    name = "onnx"

    def __init__(self, weights: dict[str, np.ndarray], config: dict[str, Any],
                 threads: int | None = None) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(MAX_THREADS, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        model = build_graph(weights, config).SerializeToString()
        self.session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def token_sums(self, ids: np.ndarray) -> np.ndarray:
        result = self.session.run(["token_sums"], {"input_ids": ids.astype(np.int64)})[0]
        return np.asarray(result)


class _Graph:
    """Accumulates nodes and initializers with unique names."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.count = 0

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(self.numpy_helper.from_array(value, name))
        return name

    def op(self, kind: str, inputs: list[str], **attrs: Any) -> str:
        self.count += 1
        out = f"{kind.lower()}_{self.count}"
        self.nodes.append(self.helper.make_node(kind, inputs, [out], **attrs))
        return out

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, name: str) -> str:
        w = self.const(f"{name}.w", np.ascontiguousarray(weight.T.astype(np.float32)))
        b = self.const(f"{name}.b", bias.astype(np.float32))
        return self.op("Add", [self.op("MatMul", [x, w]), b])

    def layer_norm(self, x: str, weights: dict[str, np.ndarray], name: str, eps: float) -> str:
        scale = self.const(f"{name}.g", weights[f"{name}.weight"])
        bias = self.const(f"{name}.beta", weights[f"{name}.bias"])
        return self.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=eps)


def build_graph(weights: dict[str, np.ndarray], config: dict[str, Any]) -> Any:
    """The ONNX model: ``input_ids`` (batch, length) → ``token_sums`` (batch, hidden)."""
    from onnx import TensorProto

    g = _Graph()
    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    eps = float(config.get("layer_norm_eps", 1e-12))
    x = _embeddings(g, weights, eps)
    for i in range(int(config["num_hidden_layers"])):
        x = _encoder_layer(g, weights, f"encoder.layer.{i}", x, hidden, heads, eps)
    axes = g.const("axis1", np.asarray([1], dtype=np.int64))
    g.nodes.append(g.helper.make_node("ReduceSum", [x, axes], ["token_sums"], keepdims=0))
    graph = g.helper.make_graph(
        g.nodes, "minilm",
        [g.helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "length"])],
        [g.helper.make_tensor_value_info("token_sums", TensorProto.FLOAT, ["batch", hidden])],
        g.initializers)
    return g.helper.make_model(graph, opset_imports=[g.helper.make_opsetid("", OPSET)],
                               ir_version=8)


def _embeddings(g: _Graph, weights: dict[str, np.ndarray], eps: float) -> str:
    words = g.const("words", weights["embeddings.word_embeddings.weight"])
    positions = g.const("positions", weights["embeddings.position_embeddings.weight"])
    token_type = g.const("token_type", weights["embeddings.token_type_embeddings.weight"][0])
    length = g.op("Gather", [g.op("Shape", ["input_ids"]),
                             g.const("one_index", np.asarray(1, dtype=np.int64))], axis=0)
    zero = g.const("zero", np.asarray(0, dtype=np.int64))
    step = g.const("step", np.asarray(1, dtype=np.int64))
    position_ids = g.op("Range", [zero, length, step])
    x = g.op("Add", [g.op("Gather", [words, "input_ids"], axis=0),
                     g.op("Gather", [positions, position_ids], axis=0)])
    x = g.op("Add", [x, token_type])
    return g.layer_norm(x, weights, "embeddings.LayerNorm", eps)


def _encoder_layer(g: _Graph, weights: dict[str, np.ndarray], p: str, x: str, hidden: int,
                   heads: int, eps: float) -> str:
    size = hidden // heads
    names = [f"{p}.attention.self.{n}" for n in ("query", "key", "value")]
    qkv_w = np.concatenate([weights[f"{n}.weight"] for n in names], axis=0)
    qkv_b = np.concatenate([weights[f"{n}.bias"] for n in names])
    qkv = g.linear(x, qkv_w, qkv_b, f"{p}.qkv")
    shape = g.const(f"{p}.split_shape", np.asarray([0, 0, 3, heads, size], dtype=np.int64))
    qkv = g.op("Transpose", [g.op("Reshape", [qkv, shape])], perm=[2, 0, 3, 1, 4])
    q, k, v = (g.op("Gather", [qkv, g.const(f"{p}.pick{i}", np.asarray(i, dtype=np.int64))],
                    axis=0) for i in range(3))  # each (batch, heads, length, size)
    scores = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])
    scale = g.const(f"{p}.scale", np.asarray(1.0 / np.sqrt(size), dtype=np.float32))
    attention = g.op("Softmax", [g.op("Mul", [scores, scale])], axis=-1)
    context = g.op("Transpose", [g.op("MatMul", [attention, v])], perm=[0, 2, 1, 3])
    merged = g.const(f"{p}.merge_shape", np.asarray([0, 0, hidden], dtype=np.int64))
    context = g.op("Reshape", [context, merged])
    out = g.linear(context, weights[f"{p}.attention.output.dense.weight"],
                   weights[f"{p}.attention.output.dense.bias"], f"{p}.out")
    x = g.layer_norm(g.op("Add", [x, out]), weights, f"{p}.attention.output.LayerNorm", eps)
    up = g.linear(x, weights[f"{p}.intermediate.dense.weight"],
                  weights[f"{p}.intermediate.dense.bias"], f"{p}.up")
    down = g.linear(_gelu(g, up, p), weights[f"{p}.output.dense.weight"],
                    weights[f"{p}.output.dense.bias"], f"{p}.down")
    return g.layer_norm(g.op("Add", [x, down]), weights, f"{p}.output.LayerNorm", eps)


def _gelu(g: _Graph, x: str, p: str) -> str:
    """x · ½(1 + erf(x/√2)), BERT's exact GELU."""
    root = g.const(f"{p}.inv_sqrt2", np.asarray(1.0 / np.sqrt(2.0), dtype=np.float32))
    one = g.const(f"{p}.one", np.asarray(1.0, dtype=np.float32))
    half = g.const(f"{p}.half", np.asarray(0.5, dtype=np.float32))
    erf = g.op("Erf", [g.op("Mul", [x, root])])
    return g.op("Mul", [g.op("Mul", [x, half]), g.op("Add", [erf, one])])
