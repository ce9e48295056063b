"""Great Expectations (GX Core 1.x) suites of the observatory, kept as code.

One module per source, named as the source in observatoire/extracts.py (a new source needs its module here,
nothing in this file), and one for the portrait marts (portraits); ``commun`` holds what they share;
``fraicheur.yml`` the cadence of each source. The runner is observatoire/quality/suites.py, the Dagster asset checks
orchestration/checks.py.
"""

from __future__ import annotations

from importlib import import_module

from observatoire.extracts import SOURCES

from .commun import ERROR, WARN, Frame, Suite, freshness_rules, freshness_suite
from .portraits import SUITES as PORTRAIT_SUITES

SOURCE_SUITES: dict[str, Suite] = {name: import_module(f"{__name__}.{name}").SUITE for name in SOURCES}
SUITES: dict[str, Suite] = {**SOURCE_SUITES, **PORTRAIT_SUITES}

__all__ = ["ERROR", "WARN", "Frame", "Suite", "SOURCE_SUITES", "PORTRAIT_SUITES", "SUITES", "freshness_rules",
           "freshness_suite"]
