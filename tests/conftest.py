import numpy as np
import pytest
import torch

torch.set_num_threads(max(1, min(2, torch.get_num_threads())))


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture
def saved_figures(monkeypatch):
    """Every matplotlib figure saved during the test, in order (read back with plot_data)."""
    from matplotlib.figure import Figure

    saved = []
    real = Figure.savefig

    def record(self, fname, *args, **kwargs):
        saved.append(self)
        return real(self, fname, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", record)
    return saved
