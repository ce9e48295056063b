"""Custody of the pseudonymisation key: the warehouse keeps a keyed fingerprint of the key its identifiers
were hashed with, never the key.

Pseudonyms made with two keys never match: loading files under another key would keep two versions of every
re-delivered case ("latest version per key" sees two keys) and publish wrong counts without a word. So:

- the loader records the key's fingerprint in ``raw.cle_pseudonymisation`` on its first load (an existing
  warehouse without one adopts the current key) and refuses to load under another key;
- ``observatoire actualiser`` compares the key with the published warehouse's fingerprint before anything
  runs, and stops with a French message (exit 2);
- ``observatoire changer-cle`` rebuilds ``raw`` from every extract of the dépôt under the new key, after
  checking that each file recorded as loaded is still there, unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from observatoire.ingestion import raw_schema
from observatoire.warehouse import connect, has_table, latest_recorded

TABLE = raw_schema.KEY_FINGERPRINT
# The fingerprint is the HMAC of this fixed label under the key: it says whether two keys are the same,
# and nothing about the key (nor about any pseudonym, whose HMAC input is a case number).
LABEL = b"observatoire-pdalhpd-62/empreinte-de-la-cle-de-pseudonymisation/v1"
ROTATE = "observatoire changer-cle"


class KeyMismatch(Exception):
    """The key differs from the one the warehouse's identifiers were pseudonymised with (French message)."""


def fingerprint(key: bytes) -> str:
    return hmac.new(key, LABEL, hashlib.sha256).hexdigest()


def mismatch_message(warehouse: Path | str) -> str:
    return (f"la clé de pseudonymisation fournie (OBSERVATOIRE_CLE_PSEUDO ou clé locale) n'est pas celle avec "
            f"laquelle l'entrepôt {warehouse} a été constitué : ses pseudonymes ne correspondraient pas à ceux "
            "déjà chargés et chaque dossier relivré serait compté deux fois. Rien n'a été chargé. Reprendre la "
            f"clé habituelle ou, pour changer de clé, lancer « {ROTATE} », qui reconstruit l'entrepôt depuis les "
            "fichiers du dépôt avec la nouvelle clé.")


def recorded(con) -> str | None:
    """The fingerprint recorded in the warehouse ``con`` is connected to, or None."""
    return latest_recorded(con, TABLE, "empreinte", "enregistree_le")


def ensure(con, key: bytes, when) -> str | None:
    """Check ``key`` against the warehouse's fingerprint, recording it when there is none yet.

    Returns a French note when the key was recorded now (None when it was already the warehouse's);
    raises KeyMismatch when the warehouse was pseudonymised with another key."""
    mine, theirs = fingerprint(key), recorded(con)
    if theirs == mine:
        return None
    if theirs is not None:
        raise KeyMismatch(mismatch_message(con.execute("SELECT current_database()").fetchone()[0]))
    loaded = has_table(con, "raw", "journal_chargements") and con.execute(
        "SELECT count(*) FROM raw.journal_chargements WHERE statut = 'CHARGE'").fetchone()[0]
    origin = "adoptée : entrepôt existant sans empreinte de clé" if loaded else "premier chargement de l'entrepôt"
    raw_schema.ensure_key_table(con)
    con.execute(f"INSERT INTO {TABLE} VALUES (?, ?, ?)", [mine, when, origin])
    return (f"Clé de pseudonymisation {origin} : son empreinte est enregistrée dans l'entrepôt"
            + (" ; elle est supposée être celle des chargements précédents." if loaded else "."))


def check_published(published: Path, key: bytes) -> str | None:
    """Before a refresh: None when the published warehouse (if any) was made with ``key``, a French note when
    it has no fingerprint yet (the key will be adopted); raises KeyMismatch otherwise. Opened read-only."""
    if not published.exists():
        return None
    con = connect(published, read_only=True)  # decrypted when the warehouse is encrypted
    try:
        theirs = recorded(con)
    finally:
        con.close()
    if theirs is None:
        return ("L'entrepôt publié n'a pas encore d'empreinte de clé de pseudonymisation : la clé actuelle est "
                "adoptée et son empreinte enregistrée. Si ses chargements passés ont été faits avec une autre clé, "
                f"lancer « {ROTATE} » pour tout reconstruire avec la clé actuelle.")
    if theirs != fingerprint(key):
        raise KeyMismatch(mismatch_message(published))
    return None


@dataclass(frozen=True)
class MissingFile:
    source: str
    fichier: str
    motif: str  # French: absent, or changed since it was loaded

    def ligne(self) -> str:
        return f"{self.source}/{self.fichier} ({self.motif})"


def files_not_in_depot(published: Path, depot: Path) -> tuple[int, list[MissingFile]]:
    """The files the published warehouse records as loaded that the dépôt no longer holds unchanged
    (by sha256), with the number of loaded files. Every file is read: a rotation is rare, and a size and
    modification time kept by a copy would not prove the content unchanged."""
    from observatoire.ingestion.loader import sha256_file

    con = connect(published, read_only=True)  # decrypted when the warehouse is encrypted
    try:
        # A file delivered again under its name with corrected content counts by its latest content.
        loaded = con.execute("SELECT source, fichier, arg_max(sha256, charge_le) FROM raw.journal_chargements "
                             "WHERE statut = 'CHARGE' GROUP BY ALL ORDER BY source, fichier").fetchall()
    finally:
        con.close()
    missing = []
    for source, name, sha in loaded:
        path = depot / source / name
        if not path.is_file():
            missing.append(MissingFile(source, name, "absent du dépôt"))
        elif sha256_file(path) != sha:
            missing.append(MissingFile(source, name, "contenu modifié depuis son chargement"))
    return len(loaded), missing
