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


@pytest.fixture(scope="session")
def fresh_points(tmp_path_factory):
    """A function (process, n, options=()) -> (inputs, truth) of n fresh points of a provider,
    drawn with seed 99 (no training run of a shipped model used it)."""
    from hepemu.data.dataset import Dataset
    from hepemu.data.generate import GenerationPlan, generate

    def draw(process: str, n: int, options: tuple = ()) -> tuple[np.ndarray, np.ndarray]:
        path = tmp_path_factory.mktemp("fresh") / "points.h5"
        generate(GenerationPlan(process, n, n, seed=99, options=tuple(options)), path)
        ds = Dataset.open(path)
        return ds.read("inputs"), ds.read("targets").ravel()

    return draw
