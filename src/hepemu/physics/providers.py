"""Truth providers: named, vectorised functions with a map from the unit hypercube.

A provider draws its inputs from uniform numbers ``u`` in [0,1]^unit_dim (``from_unit`` may
reject points, e.g. by cuts) and evaluates the truth on them (``__call__``); ``metadata``
describes units, conventions and cuts for the dataset file. Providers are looked up by name
(``get_provider``), or given as ``module:attribute`` for a user's own code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from hepemu.physics.cuts import Cut, DurhamJetCut, InvariantCut, PhotonJetCut
from hepemu.physics.integrals.base import ParametricIntegral
from hepemu.physics.integrals.registry import INTEGRALS, find_integral
from hepemu.physics.kinematics import massless_volume, rambo_from_unit
from hepemu.physics.loop import gg_yy, gg_yyg, gg_yyg_closed
from hepemu.physics.tree import amplicol
from hepemu.physics.tree.amplicol import NAMED_PROCESSES
from hepemu.physics.tree.ee_jets import EECouplings, beams, ee_qq, ee_qqg


@runtime_checkable
class TruthProvider(Protocol):
    """What generation needs from a truth: a unit-cube map, the function, a description."""

    name: str
    unit_dim: int

    def columns(self) -> list[str]: ...

    def from_unit(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inputs (N, d) and a mask (N,) of the points kept (e.g. passing cuts)."""
        ...

    def __call__(self, inputs: np.ndarray) -> np.ndarray: ...

    def metadata(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class IntegralProvider:
    """The integrand f(s; x) of a parametric integral, inputs (s, x) on region × [0,1]^k."""

    target_name = "f"  # the truth column's name in datasets (not a field)
    integral: ParametricIntegral

    @property
    def name(self) -> str:
        return self.integral.name

    @property
    def unit_dim(self) -> int:
        return self.integral.n_params + self.integral.dim

    def columns(self) -> list[str]:
        return [*self.integral.param_names, *(f"x{j + 1}" for j in range(self.integral.dim))]

    def from_unit(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = self.integral.n_params
        s = self.integral.params_from_unit(u[:, :m])
        return np.hstack([s, u[:, m:]]), np.ones(len(u), dtype=bool)

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        m = self.integral.n_params
        return self.integral(inputs[:, :m], inputs[:, m:])

    def metadata(self) -> dict[str, Any]:
        ig = self.integral
        return {
            "description": ig.description,
            "fixed": ig.fixed,
            "region": dict(zip(ig.param_names, ig.param_ranges, strict=True)),
            "generator": "hepemu.physics.integrals",
        }


@dataclass(frozen=True)
class IntegralValueProvider:
    """The integral I(s) itself; inputs s in the region. Up to 4 dimensions by an n^k tensor
    Gauss–Legendre rule (``nodes``), above by lattice QMC (``points`` × 8 random shifts).

    Name ``<integral>/integral`` (e.g. ``gghh-box-1l/integral``), options ``nodes`` and
    ``points``: the truth for direct regressors of I(s), and an expensive provider.
    """

    target_name = "I"  # the truth column's name in datasets (not a field)
    integral: ParametricIntegral
    nodes: int = 24  # 24³: median relative error 2e-10, worst 7e-8 (against 48³)
    points: int = 100003  # double box: relative error ~1e-5 (8 shifts)

    def __post_init__(self) -> None:
        if self.nodes < 1:
            raise ValueError(f"nodes must be >= 1, got {self.nodes}")

    @property
    def name(self) -> str:
        return f"{self.integral.name}/integral"

    @property
    def unit_dim(self) -> int:
        return self.integral.n_params

    def columns(self) -> list[str]:
        return list(self.integral.param_names)

    def from_unit(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.integral.params_from_unit(u), np.ones(len(u), dtype=bool)

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        from hepemu.physics.integrals.quadrature import reference_integrals

        ig = self.integral
        return reference_integrals(ig, inputs, ig.dim, self.nodes, self.points)[0]

    def metadata(self) -> dict[str, Any]:
        from hepemu.physics.integrals.quadrature import reference_rule

        rule = reference_rule(self.integral.dim, self.nodes, self.points)
        return {
            **IntegralProvider(self.integral).metadata(),
            "truth": f"integral over [0,1]^{self.integral.dim}, {rule}",
        }


def _beams_and_rambo(u: np.ndarray, sqrt_s: float, cut: Cut | None):
    """Beams (+z, −z) and massless RAMBO final states from u, flattened; the cut's mask."""
    u = np.clip(u, 1e-300, 1.0)  # RAMBO takes logs of u
    p_out, _ = rambo_from_unit(u, sqrt_s)
    keep = cut(p_out) if cut is not None else np.ones(len(u), dtype=bool)
    p = np.concatenate([beams(len(u), sqrt_s), p_out], axis=1)
    return p.reshape(len(u), -1), keep


class _RamboMomenta:
    """Shared by the momentum providers: inputs are all momenta (beams, then RAMBO final
    states at ``sqrt_s`` with ``cut``), flattened; needs ``n_out``, ``sqrt_s``, ``cut``."""

    @property
    def unit_dim(self) -> int:
        return 4 * self.n_out

    def momenta(self, inputs: np.ndarray) -> np.ndarray:
        return np.asarray(inputs, dtype=float).reshape(len(inputs), 2 + self.n_out, 4)

    def from_unit(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _beams_and_rambo(u, self.sqrt_s, self.cut)


PROCESSES: dict[str, tuple[int, Callable, str]] = {
    "ee-qq": (2, ee_qq, "e+ e- -> gamma* -> q qbar, tree level"),
    "ee-qqg": (3, ee_qqg, "e+ e- -> gamma* -> q qbar g, tree level"),
}


@dataclass(frozen=True)
class PhaseSpaceProvider(_RamboMomenta):
    """A matrix element on RAMBO phase space with cuts; inputs are all momenta, flattened.

    Inputs are (N, 4·(2+n)): E, px, py, pz of e⁺, e⁻ and the n final-state partons; the
    RAMBO weight (constant for massless partons) is in ``metadata``.
    """

    target_name = "msq"  # the truth column's name in datasets (not a field)
    process: str
    sqrt_s: float = 91.188
    cut: Cut | None = None
    couplings: EECouplings = field(default_factory=EECouplings)

    def __post_init__(self) -> None:
        if self.process not in PROCESSES:
            raise ValueError(f"unknown process {self.process!r}; known: {', '.join(PROCESSES)}")
        if not self.sqrt_s > 0:
            raise ValueError(f"sqrt_s must be positive, got {self.sqrt_s}")

    @property
    def name(self) -> str:
        return self.process

    @property
    def n_out(self) -> int:
        return PROCESSES[self.process][0]

    def columns(self) -> list[str]:
        names = ["ep", "em", "q", "qbar", "g"][: 2 + self.n_out]
        return [f"{c}_{name}" for name in names for c in ("E", "px", "py", "pz")]

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        return PROCESSES[self.process][1](self.momenta(inputs), self.couplings)

    def metadata(self) -> dict[str, Any]:
        c = self.couplings
        return {
            "description": PROCESSES[self.process][2],
            "units": f"|M|^2 in GeV^{2 * (4 - (2 + self.n_out))}, momenta in GeV",
            "conventions": "averaged over e+- spins, summed over final spins and colours; "
            "photon exchange only; massless quarks; one flavour",
            "sqrt_s": self.sqrt_s,
            "couplings": {"alpha": c.alpha, "alpha_s": c.alpha_s, "quark_charge": c.charge},
            "cuts": repr(self.cut),
            "phase_space": "RAMBO (massless)",
            "phase_space_weight": massless_volume(self.n_out, self.sqrt_s),
            "generator": "hepemu.physics.tree.ee_jets",
        }


AMPLICOL_PREFIX = "amplicol:"


@dataclass(frozen=True)
class AmplicolProvider(_RamboMomenta):
    """A pyamplicol tree-level |M|² on massless RAMBO phase space with cuts.

    ``process`` is a pyamplicol expression (``e+ e- > d d~ g``) with two massless incoming
    legs along ±z (the first along +z) and massless final-state legs; inputs are all momenta
    flattened (E, px, py, pz per leg, in the expression's order). The artifact is built on
    first use and cached (:mod:`hepemu.physics.tree.amplicol`); constructing the provider
    is cheap and it pickles by value, so every worker loads the runtime once.
    """

    target_name = "msq"  # the truth column's name in datasets (not a field)
    process: str
    name: str = ""
    sqrt_s: float = 1000.0
    cut: Cut | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "process", amplicol.normalize_expression(self.process))
        if not self.name:
            object.__setattr__(self, "name", AMPLICOL_PREFIX + self.process)
        initial = self.process.split(">")[0].split()
        if len(initial) != 2:
            raise ValueError(f"{self.process!r}: need two incoming particles")
        if self.n_out < 2:
            raise ValueError(f"{self.process!r}: need at least two outgoing particles")
        if not self.sqrt_s > 0:
            raise ValueError(f"sqrt_s must be positive, got {self.sqrt_s}")

    @property
    def n_out(self) -> int:
        return len(self.process.split(">")[1].split())

    def columns(self) -> list[str]:
        legs = amplicol.leg_names(self.process)
        return [f"{c}_{leg}" for leg in legs for c in ("E", "px", "py", "pz")]

    def runtime(self) -> tuple[Any, dict[str, Any]]:
        """The pyamplicol runtime and physics record (built and cached on first use)."""
        runtime, physics = amplicol.load_runtime(self.process)
        if heavy := amplicol.massive_legs(physics):
            raise ValueError(
                f"{self.process!r} has massive external particles ({', '.join(heavy)}); "
                "this provider's RAMBO phase space is massless"
            )
        return runtime, physics

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        return amplicol.evaluate(self.runtime()[0], self.momenta(inputs))

    def metadata(self) -> dict[str, Any]:
        summary = amplicol.physics_summary(self.runtime()[1])
        norm = summary["normalization"]
        n_legs = 2 + self.n_out
        return {
            "description": f"{self.process}, tree level, pyamplicol built-in SM (all "
            "tree diagrams at the lowest order in both couplings: γ*/Z for e+e- -> jets)",
            "process": self.process,
            "legs": summary["legs"],
            "units": f"|M|^2 in GeV^{2 * (4 - n_legs)}, momenta in GeV",
            "conventions": "averaged over initial spins and colours (divided by "
            f"{norm['initial_spin_colour_average']}), summed over final spins and colours "
            "(full colour, helicity sum), divided by the identical-final-state factor "
            f"{norm['identical_final_state_factor']} (prod n_k!); massless quarks and "
            "leptons; the first incoming particle along +z; couplings g_s^2 = 4 pi "
            "alpha_s, e^2 = 4 pi alpha_ew; no other constant (pyamplicol's value as is; "
            "for e+ e- > d d~ g it equals hepemu.physics.tree.ee_jets.ee_qqg with Z "
            "exchange at these parameters)",
            "normalization": norm,
            "couplings": summary["couplings"],
            "model": amplicol.MODEL,
            "color": summary["color_accuracy"],
            "sqrt_s": self.sqrt_s,
            "cuts": repr(self.cut),
            "phase_space": "RAMBO (massless)",
            "phase_space_weight": massless_volume(self.n_out, self.sqrt_s),
            "generator": "pyamplicol",
            "generator_version": amplicol.pyamplicol_version(),
            "generator_cache_key": amplicol.cache_key(self.process),
        }


LOOP_PROCESSES: dict[str, tuple[int, Callable, str, str]] = {
    "ggyyg-1l": (
        3,
        gg_yyg_closed.msq,
        "g g -> gamma gamma g, one loop (massless quark loops, 5 flavours)",
        "analytic, Bern, Dixon & Kosower five-gluon amplitudes, photon-decoupling sum "
        "(Bern, Dixon & Schmidt 2002)",
    ),
    "ggyyg-1l-numerical": (
        3,
        gg_yyg.msq,
        "g g -> gamma gamma g, one loop (massless quark loops, 5 flavours)",
        "Feynman diagrams reduced numerically in D dimensions (hepemu.physics.loop)",
    ),
    "ggyy-1l": (
        2,
        gg_yy.msq,
        "g g -> gamma gamma, one loop (massless quark loops, 5 flavours)",
        "analytic, Bern, De Freitas & Dixon, JHEP 09 (2001) 037",
    ),
}
LOOP_CHUNK = 64  # points per evaluation of a numerically reduced loop (bounds memory)
NUMERICAL_LOOP = "ggyyg-1l-numerical"  # the one truth that declines (NaN) unstable points
LOOP_TOLERANCE = 1e-5  # relative error above which a numerically reduced |M|² is NaN


@dataclass(frozen=True)
class LoopProvider(_RamboMomenta):
    """A one-loop g g → γ γ (+ g) |M|² in the partonic centre-of-mass frame, with cuts.

    Inputs are all momenta flattened (E, px, py, pz of g₁ (+z), g₂ (−z), γ, γ (, g)); the
    final state is RAMBO at ``sqrt_s`` (1000 GeV) with the photon and jet cuts of
    :class:`~hepemu.physics.cuts.PhotonJetCut`.
    """

    target_name = "msq"  # the truth column's name in datasets (not a field)
    process: str
    sqrt_s: float = 1000.0
    cut: Cut | None = field(default_factory=PhotonJetCut)

    def __post_init__(self) -> None:
        if self.process not in LOOP_PROCESSES:
            raise ValueError(f"unknown loop process {self.process!r}")
        if not self.sqrt_s > 0:
            raise ValueError(f"sqrt_s must be positive, got {self.sqrt_s}")

    @property
    def name(self) -> str:
        return self.process

    @property
    def n_out(self) -> int:
        return LOOP_PROCESSES[self.process][0]

    def columns(self) -> list[str]:
        legs = ["g1", "g2", "a1", "a2", "g3"][: 2 + self.n_out]
        return [f"{c}_{leg}" for leg in legs for c in ("E", "px", "py", "pz")]

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        p = self.momenta(inputs)
        fn = LOOP_PROCESSES[self.process][1]
        if len(p) == 0:
            return np.zeros(0)
        if self.process != NUMERICAL_LOOP:
            return fn(p)  # closed forms: vectorised in batches of their own
        opts = {"tolerance": LOOP_TOLERANCE}
        return np.concatenate(
            [fn(p[i : i + LOOP_CHUNK], **opts) for i in range(0, len(p), LOOP_CHUNK)]
        )

    def metadata(self) -> dict[str, Any]:
        n_out, _, description, method = LOOP_PROCESSES[self.process]
        return {
            "description": description,
            "truth": method,
            "units": f"|M|^2 in GeV^{2 * (4 - (2 + n_out))}, momenta in GeV",
            "conventions": "summed over final and averaged over initial helicities and "
            "colours, x 1/2 for the identical photons; alpha = 1/137.036, alpha_s = 0.118, "
            "sum of Q_q^2 over u, d, s, c, b; the first gluon along +z",
            "numerical_stability": (
                f"{NUMERICAL_LOOP}: NaN (and left out of datasets, counted as "
                f"rejected_nonfinite) where the estimated relative error exceeds "
                f"{LOOP_TOLERANCE:g} (ill-conditioned reduction: near-planar events and the like)"
                if self.process == NUMERICAL_LOOP
                else "analytic"
            ),
            "sqrt_s": self.sqrt_s,
            "cuts": repr(self.cut),
            "phase_space": "RAMBO (massless)",
            "phase_space_weight": massless_volume(n_out, self.sqrt_s),
            "generator": "hepemu.physics.loop",
        }


@dataclass(frozen=True)
class FunctionProvider:
    """Wrap a user's vectorised function ``fn(x) -> y`` on a box of ``ranges``."""

    target_name = "y"  # the truth column's name in datasets (not a field)
    name: str
    fn: Callable[[np.ndarray], np.ndarray]
    ranges: tuple[tuple[float, float], ...]
    description: str = ""

    @property
    def unit_dim(self) -> int:
        return len(self.ranges)

    def columns(self) -> list[str]:
        return [f"x{j + 1}" for j in range(self.unit_dim)]

    def from_unit(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.array(self.ranges, dtype=float).T
        return lo + (hi - lo) * u, np.ones(len(u), dtype=bool)

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        return np.asarray(self.fn(inputs), dtype=float)

    def metadata(self) -> dict[str, Any]:
        return {"description": self.description, "region": [list(r) for r in self.ranges]}


MAX_NODES = 100  # Gauss–Legendre nodes per axis of the integral-value provider (100³ per point)


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
    ``points`` of the lattice QMC rule above 4 dimensions), the
    processes ``ee-qq`` and ``ee-qqg`` (options ``sqrt_s``, ``alpha``, ``alpha_s``,
    ``charge``, cuts ``ycut`` (Durham, exactly n jets) and ``y_min`` (all s_ij/s)), the
    pyamplicol processes ``ee3j``, ``ee4j``, ``ee5j`` and ``amplicol:<expression>`` (options
    ``sqrt_s`` (1000), ``ycut``, ``y_min``), the one-loop ``ggyyg-1l`` (closed form),
    ``ggyyg-1l-numerical`` (numerical reduction) and ``ggyy-1l`` (option ``sqrt_s``; photon
    and jet cuts), or ``package.module:attribute`` naming a
    provider object or a function of the options returning one.
    """
    opts = dict(options or {})
    base = name.removesuffix("/integral")
    integral = find_integral(base)  # registered names and sector subsets
    if integral is not None and name == base:
        provider: TruthProvider = IntegralProvider(integral)
    elif integral is not None:  # <integral>/integral
        nodes = _pop_number(opts, "nodes", 24, int)
        if not 1 <= nodes <= MAX_NODES:
            raise ValueError(f"option nodes must be in [1, {MAX_NODES}], got {nodes}")
        points = _pop_number(opts, "points", 100003, int)
        if not 31 <= points <= 10**8:
            raise ValueError(f"option points must be in [31, 1e8], got {points}")
        provider = IntegralValueProvider(integral, nodes, points)
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
        provider = LoopProvider(name, sqrt_s)
    elif ":" in name:
        provider = _import_provider(name, opts)
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


def _import_provider(spec: str, opts: dict[str, Any]) -> TruthProvider:
    module, _, attr = spec.partition(":")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot load provider {spec!r}: {exc}") from None
    if isinstance(obj, type) or (not isinstance(obj, TruthProvider) and callable(obj)):
        try:  # a provider class or a factory function, called with the options
            obj = obj(**opts)
        except TypeError as exc:
            raise ValueError(f"provider {spec!r} rejected its options {opts}: {exc}") from None
    elif opts:
        raise ValueError(f"provider {spec!r} is an object and takes no options")
    if not isinstance(obj, TruthProvider):
        raise ValueError(f"{spec!r} is not a truth provider (see hepemu.physics.providers)")
    return obj
