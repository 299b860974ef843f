"""hepemu: neural-network surrogates for slow particle-physics calculations."""

__version__ = "0.1.0"
