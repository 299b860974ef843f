"""hepemu: fast, precise, uncertainty-aware surrogates for slow particle-physics calculations.

The Python API beside the command line (imported on first use, so ``import hepemu`` stays
light)::

    import hepemu
    model = hepemu.load("gghh-box-1l")          # any kind, by shipped name or file
    mean, sigma = model.predict(x)              # x: (N, len(model.input_columns))
    hepemu.generate("gghh-box-1l", 20000, "box.h5")
    model = hepemu.fit("card.toml", "runs/my-fit")
    metrics = hepemu.evaluate(model, "box.h5", split="test")
"""

from hepemu.version import __version__

__all__ = ["__version__", "evaluate", "fit", "generate", "load"]


def __getattr__(name: str):
    if name in ("evaluate", "fit", "generate", "load"):
        import importlib

        return getattr(importlib.import_module("hepemu.api"), name)
    raise AttributeError(f"module 'hepemu' has no attribute {name!r}")
