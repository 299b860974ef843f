"""Export a surrogate's whole prediction as one graph (ONNX or TorchScript) for C++ generators.

The graph maps the model's input columns — one (N, d) tensor in the physical units
``predict`` takes — to ``mean`` and ``sigma`` (N,), preprocessing included
(each kind's ``graph``: :class:`hepemu.models.inn_graph.INNGraph` for integration networks,
:class:`hepemu.models.regressor_graph.RegressorGraph` for dataset-trained networks: features,
dipoles, references, ensembles, Bayesian weight draws). Boosted trees are not exportable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from hepemu.models.surrogate import Surrogate

FORMATS = ("onnx", "torchscript")


def graph_of(
    model: Surrogate, dtype: torch.dtype = torch.float64, own_erf: bool = True
) -> nn.Module:
    """The exportable module of a loaded surrogate (``NotSupportedError`` for kinds without
    one); ``own_erf``: erf from elementary operations (for ONNX Runtime in float64)."""
    return model.graph(dtype, own_erf=own_erf)


def example_inputs(model: Surrogate, n: int = 3) -> np.ndarray:
    """n valid input rows of ``model`` (from its region or its provider's map)."""
    return model.example_inputs(n, np.random.default_rng(1))


def export(model, path: str | Path, fmt: str = "onnx", dtype: str = "float64") -> nn.Module:
    """Write the graph of ``model`` to ``path`` as ONNX (opset 17, dynamic N) or TorchScript."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    tdtype = {"float64": torch.float64, "float32": torch.float32}[dtype]
    graph = graph_of(model, tdtype, own_erf=fmt == "onnx" and tdtype == torch.float64)
    n_in = len(model.input_columns)
    example = torch.tensor(example_inputs(model), dtype=tdtype).reshape(3, n_in)
    with torch.no_grad():
        if fmt == "torchscript":
            torch.jit.trace(graph, example).save(str(path))
        else:
            torch.onnx.export(
                graph,
                (example,),
                str(path),
                input_names=["x"],
                output_names=["mean", "sigma"],
                dynamic_axes={"x": {0: "n"}, "mean": {0: "n"}, "sigma": {0: "n"}},
                opset_version=17,
                dynamo=False,
            )
    return graph
