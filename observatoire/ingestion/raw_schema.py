"""Every table of the ``raw`` schema, created and commented here: the ledger of files examined
(``raw.journal_chargements``), the quarantine (``raw.rejets``), the files' fingerprints
(``raw.empreintes_fichiers``), the key's fingerprint (``raw.cle_pseudonymisation``), the dbt builds'
journal (``raw.journal_constructions``) and one table per source (``raw.<source>``, text columns and lineage).
"""

from __future__ import annotations

from observatoire.extracts import LINEAGE_COLUMNS, Source
from observatoire.warehouse import literal

# What the ledger's statuses mean (the table's comment in the warehouse, and docs/architecture.md).
LEDGER_COMMENT = (
    "Journal des fichiers d'extraction examinés, une ligne par examen. statut : CHARGE (chargé ; un fichier "
    "relivré sous le même nom avec un autre contenu est une nouvelle livraison, qui remplace la précédente : "
    "seule la dernière livraison de chaque nom, par charge_le, est lue par le staging), REFUSE (refus définitif "
    "de ce contenu : le fichier n'est plus examiné tant qu'il n'est pas modifié), DOUBLON (contenu identique à "
    "un fichier déjà chargé sous un autre nom), EN_ATTENTE (refus temporaire d'un fichier lisible : date d'extraction "
    "postérieure à la date du jour ; le fichier est examiné de nouveau à chaque actualisation jusqu'à son "
    "chargement ou son refus)")


def ensure_common_tables(con) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("""
        CREATE TABLE IF NOT EXISTS raw.journal_chargements (
            source VARCHAR NOT NULL, fichier VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
            taille_octets BIGINT, date_extraction DATE, statut VARCHAR NOT NULL,
            nb_lignes_lues BIGINT, nb_lignes_chargees BIGINT, nb_lignes_rejetees BIGINT,
            message VARCHAR, avertissements VARCHAR, charge_le TIMESTAMP NOT NULL)""")
    con.execute("""
        CREATE TABLE IF NOT EXISTS raw.rejets (
            source VARCHAR NOT NULL, fichier VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
            ligne BIGINT, colonne VARCHAR, valeur VARCHAR, motif VARCHAR NOT NULL,
            charge_le TIMESTAMP NOT NULL)""")
    con.execute("""
        CREATE TABLE IF NOT EXISTS raw.empreintes_fichiers (
            source VARCHAR NOT NULL, fichier VARCHAR NOT NULL, taille_octets BIGINT NOT NULL,
            modifie_ns BIGINT NOT NULL, sha256 VARCHAR NOT NULL, PRIMARY KEY (source, fichier))""")
    # The inode change time cannot be set back by a user (cp -p, rsync and os.utime restore mtime only).
    for column in ("change_ns", "inode"):
        con.execute(f"ALTER TABLE raw.empreintes_fichiers ADD COLUMN IF NOT EXISTS {column} BIGINT")
    comments = {
        "raw.journal_chargements": LEDGER_COMMENT,
        "raw.rejets": "Lignes mises en quarantaine : fichier, ligne, colonne, valeur et motif du rejet",
        "raw.empreintes_fichiers": "Empreinte sha256 de chaque fichier du dépôt, avec sa taille, ses dates de "
                                   "modification et de changement d'inode (ctime) et son inode : un fichier "
                                   "dont aucune ne bouge n'est pas relu pour être reconnu",
    }
    for table, text in comments.items():
        con.execute(f"COMMENT ON TABLE {table} IS {literal(text)}")


def ensure_source_table(con, source: Source) -> None:
    table = f"raw.{source.name}"
    cols = [f'"{c.stored_name}" VARCHAR' for c in source.stored_columns]
    lineage = [f"{name} {kind} NOT NULL" for name, kind, _ in LINEAGE_COLUMNS]
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols + lineage)})")
    existing = {r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = ?",
        [source.name]).fetchall()}
    for c in source.stored_columns:  # a column added to the specification later
        if c.stored_name not in existing:
            con.execute(f'ALTER TABLE {table} ADD COLUMN "{c.stored_name}" VARCHAR')
    con.execute(f"COMMENT ON TABLE {table} IS {literal(f'{source.label} : {source.grain} (brut)')}")
    for name, text in [(c.stored_name, c.stored_description) for c in source.stored_columns] + \
            [(name, text) for name, _, text in LINEAGE_COLUMNS]:
        con.execute(f'COMMENT ON COLUMN {table}."{name}" IS {literal(text)}')


KEY_FINGERPRINT = "raw.cle_pseudonymisation"


def ensure_key_table(con) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(f"CREATE TABLE IF NOT EXISTS {KEY_FINGERPRINT} (empreinte VARCHAR NOT NULL, "
                "enregistree_le TIMESTAMP NOT NULL, origine VARCHAR NOT NULL)")
    con.execute(f"COMMENT ON TABLE {KEY_FINGERPRINT} IS 'Empreinte (HMAC d''un libellé fixe) de la clé de "
                "pseudonymisation des identifiants de l''entrepôt : jamais la clé elle-même'")


BUILD_JOURNAL = "raw.journal_constructions"


def ensure_build_journal(con) -> None:
    con.execute(f"""CREATE TABLE IF NOT EXISTS {BUILD_JOURNAL} (
        construit_le TIMESTAMP NOT NULL, empreinte_projet VARCHAR NOT NULL, mode VARCHAR NOT NULL)""")
    con.execute(f"COMMENT ON TABLE {BUILD_JOURNAL} IS 'Journal des constructions dbt : date, empreinte du projet, "
                "mode (complète ou incrémentale)'")
