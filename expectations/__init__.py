"""Great Expectations (GX Core 1.x) suites of the observatory, kept as code.

One module per source (fsl, dalo, sne_demandes, sne_attributions, pppi, ccapex) and one for the portrait marts
(portraits); ``commun`` holds what they share; ``fraicheur.yml`` the cadence of each source. The runner is
orchestration/qualite.py, the Dagster asset checks orchestration/checks.py.
"""

from __future__ import annotations

from . import ccapex, dalo, fsl, pppi, sne_attributions, sne_demandes
from .commun import ERROR, WARN, Frame, Suite, freshness_rules, freshness_suite
from .portraits import SUITES as PORTRAIT_SUITES

SOURCE_SUITES: dict[str, Suite] = {m.SUITE.name: m.SUITE
                                   for m in (fsl, dalo, sne_demandes, sne_attributions, pppi, ccapex)}
SUITES: dict[str, Suite] = {**SOURCE_SUITES, **PORTRAIT_SUITES}

__all__ = ["ERROR", "WARN", "Frame", "Suite", "SOURCE_SUITES", "PORTRAIT_SUITES", "SUITES", "freshness_rules",
           "freshness_suite"]
