"""``observatoire suivi preparer``: one workbook per pilot before a COTECH, with the values due (referential.py),
the previous value of each (the latest one loaded for an earlier period) and, where the warehouse computes the
indicator, its computed value, both read from the published warehouse when there is one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from observatoire.followup import referential, workbook
from observatoire.followup.layout import FICHE_SHEET
from observatoire.warehouse import connect, has_table


def file_name(period: str, pilot: str, prepared: date) -> str:
    """The workbook's name, an extract name of the source suivi_plan (quarter, pilot, preparation date)."""
    return f"suivi_plan_{period}_{pilot}_extrait_{prepared.isoformat()}.xlsx"


def context(published: Path | None, period: str) -> tuple[dict, dict, dict]:
    """From the published warehouse: previous values by (indicator, zone), computed values by (indicator, zone,
    year), the latest status of each fiche. Empty before the first refresh."""
    previous, computed, progress = {}, {}, {}
    if published is None or not published.exists():
        return previous, computed, progress
    con = connect(published, read_only=True)
    try:
        if has_table(con, "marts", "suivi_indicateurs"):
            previous = {(i, z): v for i, z, v in con.execute(
                "SELECT code_indicateur, code_zone, arg_max(valeur_texte, periode) FROM marts.suivi_indicateurs "
                "WHERE origine = 'collecté' AND valeur_texte IS NOT NULL AND periode < ? GROUP BY ALL",
                [period]).fetchall()}
        if has_table(con, "marts", "indicateurs_plan"):
            computed = {(i, z, str(a)): v for i, z, a, v in con.execute(
                "SELECT code_indicateur, code_zone, annee, valeur FROM marts.indicateurs_plan "
                "WHERE numerateur IS NOT NULL AND valeur IS NOT NULL").fetchall()}
        if has_table(con, "marts", "suivi_fiches"):
            progress = dict(con.execute("SELECT fiche, arg_max(statut_action, date_cotech) FROM marts.suivi_fiches "
                                        "WHERE statut_action IS NOT NULL GROUP BY fiche").fetchall())
    finally:
        con.close()
    return previous, computed, progress


def prepare(cotech: date, out_dir: Path, published: Path | None, prepared: date) -> list[Path]:
    """Write every pilot's workbook for a COTECH into ``out_dir``; returns their paths."""
    period = referential.cotech_period(cotech)
    previous, computed, progress = context(published, period)
    due = referential.due(cotech)
    written = []
    for pilot in referential.workbook_pilots(cotech):
        rows: dict[str, list[dict]] = {}
        for d in (d for d in due if d.pilote == pilot):
            rows.setdefault(FICHE_SHEET.format(fiche=d.fiche), []).append({
                "fiche": d.fiche, "code_indicateur": d.code_indicateur, "libelle": d.libelle, "nature": d.nature,
                "unite": d.unite, "niveau": d.niveau, "code_zone": d.code_zone, "zone": d.zone,
                "periode": d.periode, "precedente": previous.get((d.code_indicateur, d.code_zone)),
                "calculee": computed.get((d.code_indicateur, d.code_zone, d.periode[:4]))})
        led = [{"fiche": f, "titre": referential.fiches()[f]["titre"], "statut_precedent": progress.get(f)}
               for f in referential.led_fiches(pilot)]
        written.append(workbook.write(out_dir / file_name(period, pilot, prepared), pilot,
                                      referential.pilots()[pilot], cotech, period, rows, led))
    return written
