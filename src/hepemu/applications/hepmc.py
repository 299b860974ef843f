"""HepMC3 event files (Buckley et al., Comput. Phys. Commun. 260 (2021) 107310) via PyPI
``pyhepmc``: the parton-level events of ``hepemu events`` in the HepMC3 ASCII format."""

from __future__ import annotations

from pathlib import Path

import numpy as np

BEAM, FINAL, HARD_INCOMING = 4, 1, 21  # HepMC3 status codes (21: Pythia's incoming hard parton)


def _particle(pyhepmc, p: np.ndarray, pid: int, status: int):
    return pyhepmc.GenParticle(pyhepmc.FourVector(p[1], p[2], p[3], p[0]), int(pid), status)


def write_hepmc3(
    path: str | Path,
    momenta: np.ndarray,
    weights: np.ndarray,
    ids: list[int],
    cross_section: tuple[float, float],
    trials: int,
    beams: tuple[int, float, int] | None = None,
    scales: np.ndarray | None = None,
) -> int:
    """Write events (momenta (N, legs, 4) as E, px, py, pz; first two incoming; PDG ``ids``)
    as HepMC3 ASCII; returns the number written.

    Lepton or partonic beams: the two incoming legs are the beam particles (status 4) of one
    vertex whose outgoing legs are final (status 1). Hadron collisions (``beams`` = (beam
    PDG code, beam energy, LHAPDF id), lab-frame momenta): each proton (status 4) ends in a
    vertex that gives its parton (status 21) to the hard vertex; no remnants (parton level);
    the PDF record holds x₁, x₂ and μ = ``scales``. Each event's weight is σ·w/⟨w⟩ in pb
    (named "Weight"), and the cross section record holds σ ± err and the trials.
    """
    import pyhepmc

    sigma, err = cross_section
    run = pyhepmc.GenRunInfo()
    run.weight_names = ["Weight"]
    run.tools = [pyhepmc.GenRunInfo.ToolInfo("hepemu", _version(), "hepemu events")]
    mean_weight = float(np.mean(weights)) if len(weights) else 1.0
    with pyhepmc.open(str(path), "w") as f:
        for i, (p, w) in enumerate(zip(momenta, weights, strict=True)):
            event = pyhepmc.GenEvent(pyhepmc.Units.GEV, pyhepmc.Units.MM)
            event.run_info = run
            event.event_number = i
            hard = pyhepmc.GenVertex()
            if beams is None:
                for k in (0, 1):
                    hard.add_particle_in(_particle(pyhepmc, p[k], ids[k], BEAM))
            else:
                pid, energy, lhaid = beams
                for k, sign in ((0, 1.0), (1, -1.0)):
                    proton = _particle(pyhepmc, np.array([energy, 0, 0, sign * energy]), pid, BEAM)
                    split = pyhepmc.GenVertex()
                    split.add_particle_in(proton)
                    parton = _particle(pyhepmc, p[k], ids[k], HARD_INCOMING)
                    split.add_particle_out(parton)
                    event.add_vertex(split)
                    hard.add_particle_in(parton)
                pdf = pyhepmc.GenPdfInfo()
                x1, x2 = p[0, 0] / energy, p[1, 0] / energy
                pdf.parton_id1, pdf.parton_id2 = int(ids[0]), int(ids[1])
                pdf.x1, pdf.x2 = float(x1), float(x2)
                pdf.scale = float(scales[i]) if scales is not None else 0.0
                pdf.pdf_id1 = pdf.pdf_id2 = int(lhaid)
                event.pdf_info = pdf
            for k in range(2, len(ids)):
                hard.add_particle_out(_particle(pyhepmc, p[k], ids[k], FINAL))
            event.add_vertex(hard)
            event.weights = [sigma * float(w) / mean_weight]
            xs = pyhepmc.GenCrossSection()
            xs.set_cross_section(sigma, err, len(weights), trials)
            event.cross_section = xs
            f.write(event)
    return len(weights)


def _version() -> str:
    from hepemu.version import __version__

    return __version__
