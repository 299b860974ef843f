"""The main job (``hepemu run``): five steps on the gg→HH one-loop box, then one report.

:mod:`.profile` holds the job's sizes, :mod:`.steps` the five measurements, :mod:`.job`
runs them in order with progress and wall times, and :mod:`.report` writes ``report.md``
and ``summary.json`` from the result.
"""

from hepemu.applications.main_job.profile import FULL, QUICK, Profile

__all__ = ["FULL", "QUICK", "Profile"]
