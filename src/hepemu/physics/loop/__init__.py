"""One-loop amplitudes: spinor products, loop functions, and the processes built on them."""
