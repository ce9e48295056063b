"""Who may read what on the machine: the internal warehouse is never world-readable.

The internal warehouse (published and working copies: row-level data, lineage to the extracts' lines, unmasked
marts) is written 0640 in folders 0750, owned by the group named by OBSERVATOIRE_GROUPE when it is set (the
observatory team's analysts are members of it). The diffusion file is 0644: it is meant to be handed out.
The extracts and the pseudonymisation key are dropped by people, not written by the pipeline: a refresh only
warns when other users can read them (``exposed_to_others``).
"""

from __future__ import annotations

import grp
import os
import stat
from pathlib import Path

from observatoire.settings import GROUP_ENV, settings

FILE_MODE = 0o640
FOLDER_MODE = 0o750


class PermissionsError(RuntimeError):
    """The configured group cannot be used (French message for the user)."""


def team_gid() -> int | None:
    """The gid of OBSERVATOIRE_GROUPE, None when it is not set."""
    name = settings().analysts_group
    if not name:
        return None
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise PermissionsError(
            f"Le groupe « {name} » (variable {GROUP_ENV}) n'existe pas sur cette machine : le créer "
            f"(« groupadd {name} ») et y ajouter les analystes de l'équipe, ou corriger la variable.") from None


def protect(path: Path, mode: int) -> None:
    """chmod ``path`` to ``mode`` and give it to the team's group when one is configured."""
    gid = team_gid()
    if gid is not None and path.stat().st_gid != gid:
        try:
            os.chown(path, -1, gid)
        except PermissionError:
            raise PermissionsError(
                f"Impossible de donner {path} au groupe « {settings().analysts_group} » ({GROUP_ENV}) : "
                "l'utilisateur qui lance l'actualisation doit être membre de ce groupe.") from None
    path.chmod(mode)


def protect_folder(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    protect(path, FOLDER_MODE)


def protect_file(path: Path) -> None:
    protect(path, FILE_MODE)


def restrict_tree(root: Path) -> None:
    """Folders 0750 and files 0640 under ``root`` (the demo's extracts, written like real ones should be)."""
    for path in [root, *root.rglob("*")]:
        path.chmod(FOLDER_MODE if path.is_dir() else FILE_MODE)


def readable_by_others(path: Path) -> bool:
    """A file others may read, or a folder others may list or cross (extract names are predictable)."""
    mode = path.stat().st_mode
    if stat.S_ISDIR(mode):
        return bool(mode & (stat.S_IROTH | stat.S_IXOTH))
    return bool(mode & stat.S_IROTH)


def exposed_to_others(depot: Path, key_file: Path) -> list[str]:
    """The extracts folder, its sub-folders and files, and the key file, when other users can read them."""
    found = []
    if depot.exists():
        for path in [depot, *sorted(depot.rglob("*"))]:
            if readable_by_others(path):
                what = "dossier" if path.is_dir() else "extraction"
                found.append(f"{what} {path} ({stat.filemode(path.stat().st_mode)})")
    if key_file.exists() and readable_by_others(key_file):
        found.append(f"clé de pseudonymisation {key_file} ({stat.filemode(key_file.stat().st_mode)})")
    return found
