"""Truth providers and physics helpers (no torch needed to import)."""
