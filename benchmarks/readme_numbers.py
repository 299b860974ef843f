"""Replaced by benchmarks/results_pages.py, which writes docs/results/*.md and the README table."""

import sys

if __name__ == "__main__":
    sys.exit(
        "error: benchmarks/readme_numbers.py is replaced by benchmarks/results_pages.py "
        "(python benchmarks/results_pages.py [--check])"
    )
