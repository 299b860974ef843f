"""Tree-level matrix elements."""
