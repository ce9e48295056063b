"""The plan's shared follow-up tool (fiche 6-3): before each COTECH, one workbook per pilot institution
(``observatoire suivi preparer``), returned and loaded like an extract (source ``suivi_plan``), then the marts
``suivi_*`` and the reminders (``observatoire suivi relancer``). See docs/suivi_plan.md."""
