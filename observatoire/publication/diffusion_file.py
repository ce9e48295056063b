"""The diffusion file: what partners receive, and what the Evidence site and the COTECH dossier open.

It holds only
- ``diffusion.*``: every table of the warehouse's diffusion layer (secret statistique applied);
- ``referentiel.*``: the seeds (labels, codes, geography: all of it is committed to the repository), plus
  ``referentiel.zones``, the zones of every level with their population (a copy of ``intermediate.int_geo__zones``);
- ``publication.fraicheur_sources``: per source, the latest extraction date and counts of files and rows (no
  file name, no line number).

No row-level table (``raw``, ``staging``, ``intermediate``), no ``marts``. Built from the audited working copy
by ``warehouse.publish`` into a staging file, checked, then renamed over the published one.
"""

from __future__ import annotations

from pathlib import Path

from observatoire import warehouse
from observatoire.extracts import SOURCES

SCHEMAS_COPIED = ("diffusion", "referentiel")
# (schema, table) in the diffusion file ← the warehouse relation it copies, beyond the two schemas above
EXTRA_TABLES = {("referentiel", "zones"): "intermediate.int_geo__zones"}
EXTRA_COMMENTS = {("referentiel", "zones"): "Zones de chaque niveau (département, territoire, EPCI, commune) : code, "
                                            "libellé, rattachements, nombre de communes et d'EPCI, population"}
FRESHNESS = ("publication", "fraicheur_sources")
# The ledger has a row per delivery: a name delivered again, or waiting (EN_ATTENTE) at every refresh, has
# several. Each name counts once, under its latest status; its rows are those of its delivery in force.
FRESHNESS_SQL = """
WITH livraisons AS (
    SELECT *,
           row_number() OVER (PARTITION BY source, fichier ORDER BY charge_le DESC) = 1 AS derniere,
           statut = 'CHARGE' AND row_number() OVER (
               PARTITION BY source, fichier, statut = 'CHARGE' ORDER BY charge_le DESC) = 1 AS en_vigueur
    FROM entrepot.raw.journal_chargements
)
SELECT source,
       max(date_extraction) FILTER (WHERE en_vigueur) AS derniere_extraction,
       count(*) FILTER (WHERE en_vigueur) AS nb_fichiers_charges,
       count(*) FILTER (WHERE derniere AND statut = 'REFUSE') AS nb_fichiers_refuses,
       count(*) FILTER (WHERE derniere AND statut = 'DOUBLON') AS nb_fichiers_doublons,
       count(*) FILTER (WHERE derniere AND statut = 'EN_ATTENTE') AS nb_fichiers_en_attente,
       coalesce(sum(nb_lignes_lues) FILTER (WHERE en_vigueur), 0)::BIGINT AS nb_lignes_lues,
       coalesce(sum(nb_lignes_chargees) FILTER (WHERE en_vigueur), 0)::BIGINT AS nb_lignes_chargees,
       coalesce(sum(nb_lignes_rejetees) FILTER (WHERE en_vigueur), 0)::BIGINT AS nb_lignes_rejetees,
       max(charge_le) AS dernier_chargement
FROM livraisons
GROUP BY source
ORDER BY source
"""
FRESHNESS_COMMENTS = {
    None: "Fraîcheur de chaque source : date de la dernière extraction chargée, nombre de fichiers et de lignes "
          "(agrégés, sans nom de fichier ni numéro de ligne)",
    "source": f"Source ({', '.join(SOURCES)})",
    "derniere_extraction": "Date d'extraction du fichier chargé le plus récent",
    "nb_fichiers_charges": "Nombre de fichiers chargés (un fichier livré à nouveau sous son nom compte une fois)",
    "nb_fichiers_refuses": "Nombre de fichiers refusés à leur dernier examen",
    "nb_fichiers_en_attente": "Nombre de fichiers en attente : extraction datée après la date de référence, "
                              "examinés à nouveau à chaque actualisation",
    "nb_fichiers_doublons": "Nombre de fichiers ignorés car déjà chargés sous un autre nom",
    "nb_lignes_lues": "Nombre de lignes lues dans les livraisons en vigueur",
    "nb_lignes_chargees": "Nombre de lignes chargées",
    "nb_lignes_rejetees": "Nombre de lignes mises en quarantaine",
    "dernier_chargement": "Date et heure du dernier chargement",
}
ALLOWED_SCHEMAS = (*SCHEMAS_COPIED, FRESHNESS[0])
# Lineage columns of raw and staging (_fichier, _ligne...) point back to a named line of an extract.
LINEAGE_PREFIX = "_"


class DiffusionFileError(RuntimeError):
    """The diffusion file built would hold something it must not: publication is refused."""


def check_name(published: Path) -> None:
    """A reader opening ``diffusion.duckdb`` gets a catalog named ``diffusion``: ``diffusion.x`` becomes ambiguous."""
    if published.name.split(".")[0] in ALLOWED_SCHEMAS:
        raise DiffusionFileError(
            f"Nom de fichier de diffusion refusé : {published.name} (OBSERVATOIRE_DIFFUSION). Un fichier nommé comme "
            "un de ses schémas rend ambiguës les requêtes de ses lecteurs : choisir un autre nom, par exemple "
            "observatoire_diffusion.duckdb.")


def build(working: Path, target: Path) -> Path:
    """Write the diffusion file of the working warehouse ``working`` to ``target`` (replaced), then check it."""
    target.unlink(missing_ok=True)
    con = warehouse.connect(target, encrypted=False)  # handed to partners: never encrypted
    try:
        warehouse.attach(con, working, "entrepot", read_only=True, key=warehouse.encryption_key())
        copied = ", ".join(f"'{schema}'" for schema in SCHEMAS_COPIED)
        copies = [((s, t), f"{s}.{t}") for s, t in con.execute(
            f"SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'entrepot' "
            f"AND schema_name IN ({copied}) UNION ALL SELECT schema_name, view_name FROM duckdb_views() "
            f"WHERE database_name = 'entrepot' AND schema_name IN ({copied}) ORDER BY 1, 2").fetchall()]
        copies += list(EXTRA_TABLES.items())
        # the file's own catalog is named after it ("diffusion"), like a schema: names are fully qualified
        db = con.execute("SELECT current_database()").fetchone()[0]
        con.execute("BEGIN")  # one commit: a few hundred comments each committed alone took seconds
        for schema in ALLOWED_SCHEMAS:
            con.execute(f'CREATE SCHEMA "{db}"."{schema}"')
        for (schema, table), source in copies:
            con.execute(f'CREATE TABLE "{db}"."{schema}"."{table}" AS SELECT * FROM entrepot.{source}')
        for statement in _comment_statements(con, db, copies):
            con.execute(statement)
        for (schema, table), comment in EXTRA_COMMENTS.items():
            con.execute(f'COMMENT ON TABLE "{db}"."{schema}"."{table}" IS {warehouse.literal(comment)}')
        schema, table = FRESHNESS
        con.execute(f'CREATE TABLE "{db}"."{schema}"."{table}" AS {FRESHNESS_SQL}')
        for column, comment in FRESHNESS_COMMENTS.items():
            what = (f'TABLE "{db}"."{schema}"."{table}"' if column is None
                    else f'COLUMN "{db}"."{schema}"."{table}"."{column}"')
            con.execute(f"COMMENT ON {what} IS {warehouse.literal(comment)}")
        con.execute("COMMIT")
        con.execute("DETACH entrepot")
        con.execute("CHECKPOINT")
        check(con)
    except BaseException:
        con.close()
        target.unlink(missing_ok=True)  # nothing half-built is left beside the published file
        raise
    con.close()
    target.chmod(0o644)  # meant to be handed to partners
    warehouse.fsync(target)
    return target


def check(con) -> None:
    """Refuse a diffusion file holding a view, a schema it must not hold, or a lineage column."""
    here = "database_name = current_database()"
    problems = [f"vue {s}.{v}" for s, v in con.execute(
        f"SELECT schema_name, view_name FROM duckdb_views() WHERE {here} AND NOT internal").fetchall()]
    problems += [f"schéma {s}" for (s,) in con.execute(
        f"SELECT DISTINCT schema_name FROM duckdb_tables() WHERE {here} AND schema_name NOT IN (SELECT unnest(?))",
        [list(ALLOWED_SCHEMAS)]).fetchall()]
    problems += [f"colonne {s}.{t}.{c}" for s, t, c in con.execute(
        f"SELECT schema_name, table_name, column_name FROM duckdb_columns() WHERE {here} "
        "AND starts_with(column_name, ?)", [LINEAGE_PREFIX]).fetchall()]
    if problems:
        raise DiffusionFileError("Le fichier de diffusion contiendrait ce qu'il ne doit pas contenir ("
                                 + ", ".join(problems) + ") : publication refusée.")


def _comment_statements(con, db: str, copies) -> list[str]:
    """COMMENT statements giving the copies the descriptions of their source (read in one query each)."""
    targets = {source: f'"{db}"."{schema}"."{table}"' for (schema, table), source in copies}
    tables = con.execute("SELECT schema_name || '.' || table_name, comment FROM duckdb_tables() "
                         "WHERE database_name = 'entrepot' AND comment <> ''").fetchall()
    columns = con.execute("SELECT schema_name || '.' || table_name, column_name, comment FROM duckdb_columns() "
                          "WHERE database_name = 'entrepot' AND comment <> ''").fetchall()
    return ([f"COMMENT ON TABLE {targets[t]} IS {warehouse.literal(c)}" for t, c in tables if t in targets]
            + [f'COMMENT ON COLUMN {targets[t]}."{col}" IS {warehouse.literal(c)}'
               for t, col, c in columns if t in targets])
