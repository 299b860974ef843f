"""Truth providers with deliberate faults, loaded as ``providers_for_tests:NAME``."""

import numpy as np

from hepemu.physics.providers import FunctionProvider

THRESHOLD = 0.9995


def _raises_near_edge(x: np.ndarray) -> np.ndarray:
    if np.any(x[:, 0] > THRESHOLD):
        raise FloatingPointError("integrator did not converge")
    return np.sin(x).sum(axis=1)


def _nan_near_origin(x: np.ndarray) -> np.ndarray:
    y = np.sin(x).sum(axis=1)
    y[x[:, 0] < 0.01] = np.nan
    y[x[:, 1] < 0.005] = np.inf
    return y


def _smooth(x: np.ndarray) -> np.ndarray:
    return np.sin(x).sum(axis=1)


raising = FunctionProvider("raising", _raises_near_edge, ((0.0, 1.0),) * 2)
nonfinite = FunctionProvider("nonfinite", _nan_near_origin, ((0.0, 1.0),) * 2)
smooth = FunctionProvider("smooth", _smooth, ((0.0, 1.0),) * 2)

_calls = {"n": 0}


def reset_calls() -> None:
    _calls["n"] = 0


def flaky(fail_times: int = 1) -> FunctionProvider:
    """The smooth function, except that the first ``fail_times`` calls in a process raise."""

    def fn(x: np.ndarray) -> np.ndarray:
        _calls["n"] += 1
        if _calls["n"] <= fail_times:
            raise ConnectionError("transient failure")
        return _smooth(x)

    return FunctionProvider("flaky", fn, ((0.0, 1.0),) * 2)


evaluated = {"points": 0}


def _counted(x: np.ndarray) -> np.ndarray:
    evaluated["points"] += len(x)
    return _smooth(x)


counting = FunctionProvider("counting", _counted, ((0.0, 1.0),) * 2)  # counts truth points
