"""Export a surrogate's whole prediction as one graph (ONNX or TorchScript) for C++ generators.

The graph maps the model's input columns — one (N, d) tensor in the physical units
``predict`` takes — to ``mean`` and ``sigma`` (N,), preprocessing included
(:class:`hepemu.models.inn_graph.INNGraph` for integration networks).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from hepemu.models.inn_graph import INNGraph
from hepemu.models.inn_surrogate import INNSurrogate

FORMATS = ("onnx", "torchscript")


def graph_of(model, dtype: torch.dtype = torch.float64, own_erf: bool = True) -> nn.Module:
    """The exportable module of a loaded surrogate (integration networks for now);
    ``own_erf``: erf from elementary operations (for ONNX Runtime in float64)."""
    if isinstance(model, INNSurrogate):
        return INNGraph(model, dtype, own_erf).eval()
    raise ValueError(
        f"export is written for integration networks; {type(model).__name__} is not yet "
        "exportable (its preprocessing runs in NumPy)"
    )


def export(model, path: str | Path, fmt: str = "onnx", dtype: str = "float64") -> nn.Module:
    """Write the graph of ``model`` to ``path`` as ONNX (opset 17, dynamic N) or TorchScript."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    tdtype = {"float64": torch.float64, "float32": torch.float32}[dtype]
    graph = graph_of(model, tdtype, own_erf=fmt == "onnx" and tdtype == torch.float64)
    n_in = len(model.input_columns)
    example = torch.tensor(
        model.integral.sample_params(3, np.random.default_rng(1)), dtype=tdtype
    ).reshape(3, n_in)
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
