"""Looking providers up by name, with their options parsed and checked."""

from __future__ import annotations

from typing import Any

import numpy as np

from hepemu.physics.cuts import Cut, DurhamJetCut, InvariantCut
from hepemu.physics.integrals.registry import INTEGRALS, find_integral
from hepemu.physics.providers.amplicol import AMPLICOL_PREFIX, AmplicolProvider
from hepemu.physics.providers.base import TruthProvider
from hepemu.physics.providers.integrals import IntegralProvider, IntegralValueProvider
from hepemu.physics.providers.loops import LOOP_PROCESSES, NUMERICAL_LOOP, LoopProvider
from hepemu.physics.providers.momenta import PROCESSES, PhaseSpaceProvider
from hepemu.physics.providers.user import import_provider
from hepemu.physics.tree.amplicol import NAMED_PROCESSES
from hepemu.physics.tree.ee_jets import EECouplings

MAX_NODES = 100  # Gauss–Legendre nodes per axis of the integral-value provider (100³ per point)
MAX_NODES_6D = 32  # the same for the x = u² rule above 4 dimensions (32⁶ ≈ 1e9 per point)


def _pop_number(
    options: dict[str, Any], key: str, default: Any = None, kind: type = float, positive=False
):
    """Remove option ``key`` and convert it with ``kind``; the error names the option."""
    value = options.pop(key, default)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        raise ValueError(
            f"option {key} must be {'an integer' if kind is int else 'a number'}, got {value!r}"
        ) from None
    if kind is int and isinstance(value, float) and value != number:
        raise ValueError(f"option {key} must be an integer, got {value!r}")
    if kind is float and not np.isfinite(number):
        raise ValueError(f"option {key} must be finite, got {value!r}")
    if positive and not number > 0:
        raise ValueError(f"option {key} must be positive, got {value!r}")
    return number


def _cut_from_options(options: dict[str, Any], n_out: int) -> Cut | None:
    cut: Cut | None = None
    if "y_min" in options:
        cut = InvariantCut(_pop_number(options, "y_min"))
    if "ycut" in options:
        jets = DurhamJetCut(n_out, _pop_number(options, "ycut"))
        cut = jets if cut is None else cut & jets
    return cut


def get_provider(name: str, options: dict[str, Any] | None = None) -> TruthProvider:
    """Look up a provider by name, with options (e.g. ``sqrt_s``, ``ycut``, ``y_min``).

    Names: the registered integrals (``gghh-box-1l`` …: the integrand f(s; x)), their
    values (``gghh-box-1l/integral``, option ``nodes`` of the Gauss–Legendre rule, or
    ``points`` of the lattice QMC rule above 4 dimensions; ``rule="gl-u2"``: Gauss–Legendre
    in u, x = u², ``nodes`` per axis in any dimension), the
    processes ``ee-qq`` and ``ee-qqg`` (options ``sqrt_s``, ``alpha``, ``alpha_s``,
    ``charge``, cuts ``ycut`` (Durham, exactly n jets) and ``y_min`` (all s_ij/s)), the
    pyamplicol processes ``ee3j``, ``ee4j``, ``ee5j`` and ``amplicol:<expression>`` (options
    ``sqrt_s`` (1000), ``ycut``, ``y_min``), the one-loop ``ggyyg-1l`` (closed form),
    ``ggyyg-1l-numerical`` (numerical reduction; option ``rescue``: ``closed-form`` (default)
    or ``none`` (NaN) where it is unstable) and ``ggyy-1l`` (option ``sqrt_s``; photon and
    jet cuts; option ``hadronic_sqrt_s``: points are the images of a pp collider's phase
    space at that energy, rescaled to ``sqrt_s``), or ``package.module:attribute`` naming a
    provider object or a function of the options returning one.
    """
    opts = dict(options or {})
    base = name.removesuffix("/integral")
    integral = find_integral(base)  # registered names and sector subsets
    if integral is not None and name == base:
        provider: TruthProvider = IntegralProvider(integral)
    elif integral is not None:  # <integral>/integral
        nodes = _pop_number(opts, "nodes", 24, int)
        rule = str(opts.pop("rule", "auto"))
        top = MAX_NODES if rule == "auto" or integral.dim <= 4 else MAX_NODES_6D
        if not 1 <= nodes <= top:
            raise ValueError(f"option nodes must be in [1, {top}], got {nodes}")
        points = _pop_number(opts, "points", 100003, int)
        if not 31 <= points <= 10**8:
            raise ValueError(f"option points must be in [31, 1e8], got {points}")
        provider = IntegralValueProvider(integral, nodes, points, rule)
    elif name in PROCESSES:
        n_out = PROCESSES[name][0]
        cut = _cut_from_options(opts, n_out)
        coup = {
            k: _pop_number(opts, k, positive=k != "charge")
            for k in ("alpha", "alpha_s", "charge")
            if k in opts
        }
        sqrt_s = _pop_number(opts, "sqrt_s", 91.188, positive=True)
        provider = PhaseSpaceProvider(name, sqrt_s, cut, EECouplings(**coup))
    elif name in NAMED_PROCESSES or name.startswith(AMPLICOL_PREFIX):
        process = NAMED_PROCESSES.get(name) or name.removeprefix(AMPLICOL_PREFIX)
        provider = AmplicolProvider(process, name if name in NAMED_PROCESSES else "")
        cut = _cut_from_options(opts, provider.n_out)
        sqrt_s = _pop_number(opts, "sqrt_s", 1000.0, positive=True)
        provider = AmplicolProvider(provider.process, provider.name, sqrt_s, cut)
    elif name in LOOP_PROCESSES:
        sqrt_s = _pop_number(opts, "sqrt_s", 1000.0, positive=True)
        extra = {"rescue": str(opts.pop("rescue"))} if "rescue" in opts else {}
        if extra and name != NUMERICAL_LOOP:
            raise ValueError(f"option rescue is for {NUMERICAL_LOOP} only")
        if "hadronic_sqrt_s" in opts:
            extra["hadronic_sqrt_s"] = _pop_number(opts, "hadronic_sqrt_s", positive=True)
        provider = LoopProvider(name, sqrt_s, **extra)
    elif ":" in name:
        provider = import_provider(name, opts)
        opts = {}
    else:
        known = [
            *INTEGRALS,
            *(f"{k}/integral" for k in INTEGRALS),
            *PROCESSES,
            *NAMED_PROCESSES,
            *LOOP_PROCESSES,
        ]
        raise ValueError(
            f"unknown provider {name!r}; known: {', '.join(known)}, amplicol:<process> "
            "(e.g. 'amplicol:e+ e- > u u~ g'), or module:attribute"
        )
    if opts:
        raise ValueError(f"provider {name!r} does not take option(s) {', '.join(opts)}")
    return provider
