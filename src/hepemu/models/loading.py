"""Load any hepemu model file (INN replica set, network regressor, trees) as a surrogate."""

from __future__ import annotations

from pathlib import Path

from hepemu.models.envelope import (
    FORMAT,
    ModelFileError,
    header_json,
    load_envelope,
    read_format,
)
from hepemu.models.inn_surrogate import FORMAT as INN_FORMAT
from hepemu.models.inn_surrogate import INNSurrogate
from hepemu.models.regressor import KIND as NETWORK
from hepemu.models.regressor import NetworkRegressor


def _kinds() -> dict:
    kinds = {NETWORK: NetworkRegressor.from_envelope}
    try:
        from hepemu.models.trees import KIND as BDT
        from hepemu.models.trees import TreeRegressor

        kinds[BDT] = TreeRegressor.from_envelope
    except ImportError:  # trees are optional until their module lands
        pass
    return kinds


def load_surrogate(path: str | Path, device: str = "cpu"):
    """The surrogate stored in ``path``: anything with ``predict(x) -> (mean, sigma)``,
    ``input_columns`` and ``target``."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file not found: {path}")
    fmt = read_format(path)
    if fmt == INN_FORMAT:
        return INNSurrogate.load(path, device=device)
    if fmt != FORMAT:
        raise ModelFileError(f"{path} is not a hepemu model file (format={fmt!r})")
    tensors, header = load_envelope(path)
    kind = header_json(header, "kind")
    kinds = _kinds()
    if kind not in kinds:
        raise ModelFileError(f"{path}: unknown model kind {kind!r} (known: {', '.join(kinds)})")
    try:
        model = kinds[kind](tensors, header)
    except (KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise ModelFileError(f"{path}: inconsistent {kind} model: {exc}") from None
    return model.to(device) if hasattr(model, "to") else model
