"""Torch models: MLPs and the integration network (INN)."""
