"""Export a surrogate's whole prediction as one graph (ONNX or TorchScript) for C++ generators.

The graph maps the model's input columns — one (N, d) tensor in the physical units
``predict`` takes — to ``mean`` and ``sigma`` (N,), preprocessing included
(:class:`hepemu.models.inn_graph.INNGraph` for integration networks,
:class:`hepemu.models.regressor_graph.RegressorGraph` for dataset-trained networks: features,
dipoles, references, ensembles, Bayesian weight draws). Boosted trees are not exportable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from hepemu.models.inn_graph import INNGraph
from hepemu.models.inn_surrogate import INNSurrogate
from hepemu.models.regressor import NetworkRegressor
from hepemu.models.regressor_graph import RegressorGraph

FORMATS = ("onnx", "torchscript")


def graph_of(model, dtype: torch.dtype = torch.float64, own_erf: bool = True) -> nn.Module:
    """The exportable module of a loaded surrogate (integration networks and dataset-trained
    networks); ``own_erf``: erf from elementary operations (for ONNX Runtime in float64)."""
    if isinstance(model, INNSurrogate):
        return INNGraph(model, dtype, own_erf).eval()
    if isinstance(model, NetworkRegressor):
        return RegressorGraph(model, dtype).eval()
    raise ValueError(
        f"export is written for integration networks and network regressors; "
        f"{type(model).__name__} is not exportable"
    )


def example_inputs(model, n: int = 3) -> np.ndarray:
    """n valid input rows of ``model`` (from its integral's region or its provider's map)."""
    rng = np.random.default_rng(1)
    if isinstance(model, INNSurrogate):
        return model.integral.sample_params(n, rng)
    from hepemu.physics.providers import get_provider

    provider = get_provider(model.pre.provider)
    rows = np.empty((0, len(model.input_columns)))
    for _ in range(100):
        x, kept = provider.from_unit(rng.random((16 * n, provider.unit_dim)))
        rows = np.concatenate([rows, x[kept]])
        if len(rows) >= n:
            return rows[:n]
    raise ValueError(f"{provider.name} kept too few points to make {n} example inputs")


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
