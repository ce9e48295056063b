"""Build the Evidence site (reports/) over the diffusion file: `make reports-site`.

Evidence's `sources` and `build` steps (and the browser later) need DuckDB-Wasm's parquet extension, fetched from
DuckDB's extension repository. Without network access they hang instead of failing, so the repository's
reachability is checked first, with a short timeout, and the build stops at once with a French message.

The site reads the diffusion file (settings().diffusion), never the internal warehouse. Evidence's DuckDB
connector joins its `filename` option to the source folder (`path.join`), so the absolute path cannot be passed
as is: it is given relative to `reports/sources/observatoire/`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

from observatoire.settings import REPORTS_PROJECT_DIR, settings

SOURCE = "observatoire"  # name in reports/sources/observatoire/connection.yaml
DEPOT_EXTENSIONS = "https://extensions.duckdb.org"
DELAI_SECONDES = 5.0


def check_extension_repository(url: str = DEPOT_EXTENSIONS, delai: float = DELAI_SECONDES) -> str | None:
    """None if `url` answers within `delai` seconds (any HTTP status), otherwise a French explanation.

    The request runs in a daemon thread so that a slow DNS resolution cannot outlast the timeout either.
    """
    resultat: list[str | None] = []

    def attempt() -> None:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=delai):
                resultat.append(None)
        except urllib.error.HTTPError:  # the server answered: it is reachable
            resultat.append(None)
        except (urllib.error.URLError, OSError, ValueError) as erreur:
            resultat.append(_cause(getattr(erreur, "reason", erreur)))

    fil = threading.Thread(target=attempt, daemon=True)
    fil.start()
    fil.join(delai + 0.5)
    if resultat and resultat[0] is None:
        return None
    cause = resultat[0] if resultat else f"pas de réponse en {delai:g} s"
    return (f"Le dépôt d'extensions de DuckDB ({url}) est injoignable ({cause}). Le site Evidence a besoin de "
            "ce dépôt pour construire ses données (extension parquet de DuckDB-Wasm) : sans lui, la construction "
            "resterait bloquée. Lancer « make reports-site » depuis une machine qui a accès à Internet (ou "
            "autoriser ce site dans le proxy).")


def _cause(erreur: object) -> str:
    if isinstance(erreur, socket.gaierror):
        return "nom de domaine introuvable"
    if isinstance(erreur, ConnectionRefusedError):
        return "connexion refusée"
    if isinstance(erreur, TimeoutError):
        return "délai dépassé"
    return str(erreur)


def evidence_relative_path(publie: Path, site_dir: Path = REPORTS_PROJECT_DIR) -> str:
    """The diffusion file's path relative to the source folder, as Evidence's DuckDB connector expects."""
    return os.path.relpath(Path(publie).resolve(), site_dir / "sources" / SOURCE)


def evidence_environment(publie: Path, site_dir: Path = REPORTS_PROJECT_DIR) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        f"EVIDENCE_SOURCE__{SOURCE}__filename": evidence_relative_path(publie, site_dir),
        "SEND_ANONYMOUS_USAGE_STATS": "no",  # Evidence's telemetry
        "DO_NOT_TRACK": "1",
    })
    return env


def _dependencies_to_install(site_dir: Path) -> bool:
    """True when node_modules is missing or older than package-lock.json (npm writes its own copy of the lock)."""
    installe = site_dir / "node_modules" / ".package-lock.json"
    return not installe.exists() or installe.stat().st_mtime < (site_dir / "package-lock.json").stat().st_mtime


def build(publie: Path | None = None, site_dir: Path = REPORTS_PROJECT_DIR) -> int:
    """Check the network, install the locked npm packages if needed, extract the sources, build. Exit code."""
    publie = Path(publie or settings().diffusion).resolve()
    if not publie.is_file():
        print(f"Fichier de diffusion introuvable : {publie}. Lancer d'abord « make demo » ou "
              "« observatoire actualiser » (ou définir OBSERVATOIRE_DIFFUSION).", file=sys.stderr)
        return 2
    if shutil.which("npm") is None:
        print("npm introuvable : installer Node.js (version 18 ou plus) pour construire le site Evidence.",
              file=sys.stderr)
        return 2
    probleme = check_extension_repository()
    if probleme:
        print(probleme, file=sys.stderr)
        return 1
    env = evidence_environment(publie, site_dir)
    etapes = [["npm", "run", "sources"], ["npm", "run", "build"]]
    if _dependencies_to_install(site_dir):
        etapes.insert(0, ["npm", "ci", "--no-audit", "--no-fund"])
    print(f"Site Evidence construit depuis {publie}")
    for etape in etapes:
        print("$ " + " ".join(etape), flush=True)
        if subprocess.run(etape, cwd=site_dir, env=env).returncode != 0:
            print(f"Échec de « {' '.join(etape)} » dans {site_dir}.", file=sys.stderr)
            return 1
    print(f"Site construit : {site_dir / 'build'} (à servir tel quel, par exemple « npm run preview »).")
    return 0


if __name__ == "__main__":
    sys.exit(build())
