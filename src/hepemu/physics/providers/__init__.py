"""Truth providers: named, vectorised functions with a map from the unit hypercube.

A provider draws its inputs from uniform numbers ``u`` in [0,1]^unit_dim (``from_unit`` may
reject points, e.g. by cuts) and evaluates the truth on them (``__call__``); ``metadata``
describes units, conventions and cuts for the dataset file. Providers are looked up by name
(``get_provider``), or given as ``module:attribute`` for a user's own code.

One module per family: :mod:`.integrals` (parametric integrals), :mod:`.momenta` (RAMBO
phase space, e+e- → jets), :mod:`.amplicol` (pyamplicol), :mod:`.loops` (one-loop
g g → γ γ (g)), :mod:`.user` (a user's function or ``module:attribute``), and
:mod:`.registry` (``get_provider``).
"""

from hepemu.physics.providers.amplicol import AMPLICOL_PREFIX, AmplicolProvider
from hepemu.physics.providers.base import TruthProvider
from hepemu.physics.providers.integrals import IntegralProvider, IntegralValueProvider
from hepemu.physics.providers.loops import (
    LOOP_CHUNK,
    LOOP_PROCESSES,
    LOOP_TOLERANCE,
    NUMERICAL_LOOP,
    LoopProvider,
)
from hepemu.physics.providers.momenta import PROCESSES, PhaseSpaceProvider
from hepemu.physics.providers.registry import MAX_NODES, get_provider
from hepemu.physics.providers.user import FunctionProvider, import_provider

__all__ = [
    "AMPLICOL_PREFIX",
    "LOOP_CHUNK",
    "NUMERICAL_LOOP",
    "LOOP_PROCESSES",
    "LOOP_TOLERANCE",
    "MAX_NODES",
    "PROCESSES",
    "AmplicolProvider",
    "FunctionProvider",
    "IntegralProvider",
    "IntegralValueProvider",
    "LoopProvider",
    "PhaseSpaceProvider",
    "TruthProvider",
    "get_provider",
    "import_provider",
]
