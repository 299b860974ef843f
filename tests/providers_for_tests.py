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


def _smooth5(x: np.ndarray) -> np.ndarray:
    """Analytic and not separable on [0, 1]^5 (its pole lies outside the box)."""
    return 1.0 / (1.5 + x @ np.array([0.3, 0.5, 0.2, 0.4, 0.6]) + 0.5 * np.prod(x, axis=1))


smooth5 = FunctionProvider("smooth5", _smooth5, ((0.0, 1.0),) * 5)


def _killing(x: np.ndarray) -> np.ndarray:
    """Kill this (worker) process on points with x0 >= $HEPEMU_TEST_KILL_AT, every time; on
    any chunk, once, if the marker file $HEPEMU_TEST_KILL_ONCE does not exist yet."""
    import os
    import signal

    once = os.environ.get("HEPEMU_TEST_KILL_ONCE")
    if once and not os.path.exists(once):
        open(once, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    at = os.environ.get("HEPEMU_TEST_KILL_AT")
    if at and np.any(x[:, 0] >= float(at)):
        os._exit(1)
    return _smooth(x)


killing = FunctionProvider("killing", _killing, ((0.0, 1.0),) * 2)  # processes executor only
