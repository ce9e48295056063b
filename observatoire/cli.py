"""`observatoire`: the command line of the observatory team (messages in French).

Exit codes: 0 success, 1 refresh failed or blocked (the published warehouse is untouched), 2 usage or
configuration error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
import time
import uuid
from datetime import date, datetime
from pathlib import Path

from observatoire.extracts import SOURCES
from observatoire.quality import report as quality_report
from observatoire.settings import (
    PROJECT_DIR,
    PSEUDONYMISATION_KEY_ENV,
    WAREHOUSE_ENV,
    dbt_input_files,
    reference_date,
    settings,
)
from observatoire.warehouse import RefreshInProgress, refresh_lock


class ConfigurationError(Exception):
    """A usage or configuration problem (exit code 2)."""


def _pseudonymisation_key(create: bool) -> str:
    """The key from OBSERVATOIRE_CLE_PSEUDO, or the demo's local key file (created on demand)."""
    key = os.environ.get(PSEUDONYMISATION_KEY_ENV)
    if key:
        return key
    key_file = settings().key_file
    if not key_file.exists():
        if not create:
            raise ConfigurationError(
                "Clé de pseudonymisation absente : définir la variable OBSERVATOIRE_CLE_PSEUDO "
                f"(ou lancer « observatoire generer-demo », qui crée une clé locale de démonstration {key_file}).")
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
        key_file.chmod(0o600)
        print(f"Clé de pseudonymisation locale créée pour la démonstration : {key_file} "
              "(en production, définir OBSERVATOIRE_CLE_PSEUDO).")
    else:
        print(f"Clé de pseudonymisation : clé locale de démonstration {key_file} "
              "(en production, définir OBSERVATOIRE_CLE_PSEUDO).")
    return key_file.read_text(encoding="utf-8").strip()


def ensure_dbt_manifest() -> None:
    """Parse the dbt project only when the manifest is missing or older than the project's files."""
    manifest = PROJECT_DIR / "target" / "manifest.json"
    newest = max((f.stat().st_mtime for f in dbt_input_files()), default=0.0)
    if manifest.exists() and manifest.stat().st_mtime >= newest:
        return
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(["parse", "--quiet", "--project-dir", str(PROJECT_DIR),
                                 "--profiles-dir", str(PROJECT_DIR)])
    if not result.success:
        raise ConfigurationError(f"Le projet dbt ne se compile pas : {result.exception}")


def _environment() -> None:
    s = settings()
    os.environ[WAREHOUSE_ENV] = str(s.warehouse)
    os.environ.setdefault("DAGSTER_HOME", str(s.data_dir / "dagster"))
    from orchestration.instance_dagster import prepare_home

    prepare_home(Path(os.environ["DAGSTER_HOME"]))
    os.environ.setdefault("DO_NOT_TRACK", "1")


def cmd_generer_demo(args: argparse.Namespace) -> int:
    from observatoire.demo import generate

    _pseudonymisation_key(create=True)
    s = settings()
    start = time.perf_counter()
    try:
        counts = generate(s.depot_dir, echelle=args.echelle, graine=args.graine, jusqua=args.jusqua)
    except ValueError as e:  # arguments the generator refuses (French messages)
        raise ConfigurationError(str(e)) from None
    from observatoire.publication.permissions import restrict_tree

    restrict_tree(s.depot_dir)  # as real extracts should be: not readable by other users of the machine
    print(f"Extractions de démonstration écrites dans {s.depot_dir} en {time.perf_counter() - start:.1f} s :")
    for name, n in counts.items():
        print(f"  {name:<22} {n:>12,} lignes".replace(",", " "))
    return 0


@contextlib.contextmanager
def _single_refresh():
    try:
        with refresh_lock(settings().warehouse):
            yield
    except RefreshInProgress as e:
        raise ConfigurationError(str(e)) from None


def cmd_actualiser(args: argparse.Namespace) -> int:
    from observatoire.ingestion.key_custody import KeyMismatch, check_published

    key = os.environ[PSEUDONYMISATION_KEY_ENV] = _pseudonymisation_key(create=False)
    from observatoire.publication.permissions import PermissionsError, team_gid
    from observatoire.warehouse import WarehouseError, connect, is_encrypted

    try:
        team_gid()  # a wrong OBSERVATOIRE_GROUPE or encryption key stops the refresh now, not at publication
        if settings().published.exists() and is_encrypted(settings().published):  # (a plain one gets encrypted)
            connect(settings().published, read_only=True).close()
    except (PermissionsError, WarehouseError) as e:
        raise ConfigurationError(str(e)) from None
    with _single_refresh():
        try:  # before anything runs: files hashed under another key would be counted twice
            note = check_published(settings().published, key.encode("utf-8"))
        except KeyMismatch as e:
            raise ConfigurationError(f"{e}") from None
        if note:
            print(note)
        return _refresh(args)


def cmd_changer_cle(args: argparse.Namespace) -> int:
    """Rotate the pseudonymisation key: rebuild the warehouse from every extract of the dépôt under the new key
    (then the usual build, checks and publication), once every file recorded as loaded is found unchanged."""
    from observatoire.ingestion.key_custody import files_not_in_depot, fingerprint, recorded
    from observatoire.warehouse import connect

    key = os.environ[PSEUDONYMISATION_KEY_ENV] = _pseudonymisation_key(create=False)
    s = settings()
    with _single_refresh():
        if not s.published.exists():
            raise ConfigurationError(f"Aucun entrepôt publié ({s.published}) : il n'y a rien à pseudonymiser de "
                                     "nouveau ; lancer « observatoire actualiser ».")
        con = connect(s.published, read_only=True)
        try:
            current = recorded(con)
        finally:
            con.close()
        if current == fingerprint(key.encode("utf-8")):
            print("La clé de pseudonymisation fournie est déjà celle de l'entrepôt : rien à reconstruire.")
            return 0
        n_files, missing = files_not_in_depot(s.published, s.depot_dir)
        if missing:
            raise ConfigurationError(
                f"changement de clé de pseudonymisation refusé : {len(missing)} des {n_files} fichiers chargés dans "
                f"l'entrepôt ne sont plus dans le dépôt ({s.depot_dir}) tels qu'ils ont été chargés ; sans eux, "
                "leurs lignes disparaîtraient de l'entrepôt. Remettre ces fichiers dans le dépôt, puis relancer :\n"
                + "\n".join(f"  - {m.ligne()}" for m in missing)
                + "\nL'entrepôt publié n'a pas été modifié.")
        print(f"Changement de clé de pseudonymisation : l'entrepôt est reconstruit depuis les {n_files} fichiers "
              f"chargés du dépôt (et ses fichiers nouveaux) avec la nouvelle clé ; l'entrepôt publié n'est remplacé "
              "qu'une fois les contrôles passés.")
        return _refresh(args, from_scratch=True)


def _refresh(args: argparse.Namespace, from_scratch: bool = False) -> int:
    _environment()
    ensure_dbt_manifest()
    from dagster import DagsterInstance

    from orchestration import run_artefacts
    from orchestration.assets.dbt import observatoire_dbt
    from orchestration.definitions import defs
    from orchestration.jobs import ORIGIN_TAG
    from orchestration.progress import Progress

    started = datetime.now().replace(microsecond=0)
    log_file = settings().data_dir / "journaux" / f"actualisation_{started:%Y%m%d_%H%M%S}.log"
    begin = time.perf_counter()
    print(f"Actualisation en cours (détail dans {log_file})...", flush=True)
    run_id = str(uuid.uuid4())
    # Progress goes to the terminal (or whatever stdout was) while Dagster's and dbt's output goes to the log.
    shown = None if args.verbeux or args.silencieux else os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    with DagsterInstance.get() as instance, _output_to(None if args.verbeux else log_file):
        run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
        if from_scratch:
            run_config["ops"] = {"entrepot_de_travail": {"config": {"depuis_zero": True}}}
        progress = Progress(instance, run_id, shown, set(observatoire_dbt.keys)) if shown else None
        if progress:
            progress.start()
        try:
            result = defs.resolve_job_def("actualisation").execute_in_process(
                instance=instance, raise_on_error=False, run_config=run_config, tags={ORIGIN_TAG: "cli"},
                run_id=run_id)
        finally:
            if progress:
                progress.stop()
                shown.close()
        outcome = run_artefacts.write(instance, result.run_id, log_file.with_suffix(".etapes.json"))
    elapsed = time.perf_counter() - begin
    s = settings()
    if outcome.published:
        print(f"Actualisation terminée en {elapsed:.0f} s.")
        print_summary(since=started)
    else:
        print(f"Actualisation bloquée après {elapsed:.0f} s : l'entrepôt publié n'a pas été modifié "
              f"({s.published}).", file=sys.stderr)
    print(quality_report.texte(outcome.report))
    if outcome.published and not outcome.success:
        print(f"Entrepôt publié, mais une étape suivante a échoué : {outcome.error}", file=sys.stderr)
    print(f"Rapport de qualité : {outcome.html_report} ; détail technique : {log_file}")
    return 0 if outcome.success else 1


@contextlib.contextmanager
def _output_to(log_file: Path | None):
    """Send this process's and its children's (dbt's) output to a log file, at the descriptor level."""
    if log_file is None:
        yield
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_file, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def print_summary(since: datetime | None = None) -> None:
    """Rows per source, files refused, where the outputs are: read from the published warehouse."""
    from observatoire.warehouse import connect

    s = settings()
    con = connect(s.published, read_only=True)
    try:
        print(f"\nEntrepôt publié : {s.published} (interne : équipe de l'observatoire seule)")
        print(f"Fichier de diffusion : {s.diffusion} (partenaires, site Evidence, dossier du COTECH)")
        print(f"  {'source':<18} {'brut':>12} {'staging':>12}")
        for source in SOURCES.values():
            raw = con.execute(f"SELECT count(*) FROM raw.{source.name}").fetchone()[0]
            n_stg = con.execute(f"SELECT count(*) FROM staging.{source.staging}").fetchone()[0]
            print(f"  {source.name:<18} {raw:>12,} {n_stg:>12,}".replace(",", " "))
        where = "WHERE charge_le >= ?" if since else ""
        params = [since] if since else []

        def files(statut: str) -> list[str]:
            return [m for m, in con.execute(f"SELECT message FROM raw.journal_chargements {where} "
                                            f"{'AND' if where else 'WHERE'} statut = ? ORDER BY fichier",
                                            [*params, statut]).fetchall()]

        refused, waiting = files("REFUSE"), files("EN_ATTENTE")
        rejected = con.execute(f"SELECT count(*) FROM raw.rejets {where}", params).fetchone()[0]
        print(f"Fichiers refusés : {len(refused)}" + ("" if refused else " (aucun)"))
        for message in refused:
            print(f"  - {message}")
        if waiting:
            print(f"Fichiers en attente (examinés de nouveau à chaque actualisation) : {len(waiting)}")
            for message in waiting:
                print(f"  - {message}")
        print(f"Lignes mises en quarantaine (raw.rejets) : {rejected:,}".replace(",", " "))
        print(f"Rapports : {s.reports_dir}")
    finally:
        con.close()


def cmd_resume(args: argparse.Namespace) -> int:
    from observatoire.warehouse import WarehouseError

    if not settings().published.exists():
        raise ConfigurationError(
            f"Aucun entrepôt publié ({settings().published}) : lancer « observatoire actualiser ».")
    try:
        print_summary()
    except WarehouseError as e:
        raise ConfigurationError(str(e)) from None
    return 0


def cmd_rapport(args: argparse.Namespace) -> int:
    from observatoire.dossier import build

    s = settings()
    if not s.diffusion.exists():
        raise ConfigurationError(f"Aucun fichier de diffusion ({s.diffusion}) : lancer « observatoire actualiser ».")
    built = build(s.diffusion, s.reports_dir)
    print(f"Dossier du COTECH : {built['pdf']}\nSite HTML : {built['html']} ({built['duree_s']:.1f} s)")
    return 0


def cmd_sources_ouvertes(args: argparse.Namespace) -> int:
    from observatoire.ingestion.open_sources import render, status

    s = settings()
    print(render(status(s.published, reference_date()), s.depot_dir), end="")
    return 0


def cmd_geographie(args: argparse.Namespace) -> int:
    from observatoire.geography import GeographyError, regenerate

    try:
        build = regenerate()
    except GeographyError as e:
        raise ConfigurationError(str(e)) from None
    for message in build.messages:
        print(message)
    return 0


def cmd_suivi_preparer(args: argparse.Namespace) -> int:
    from observatoire.followup.prepare import prepare

    s = settings()
    out = s.followup_dir / args.cotech.isoformat() / "a_envoyer"
    try:
        written = prepare(args.cotech, out, s.published, reference_date())
    except ValueError as e:
        raise ConfigurationError(str(e)) from None
    print(f"{len(written)} classeurs de suivi pour le COTECH du {args.cotech:%d/%m/%Y} dans {out} :")
    for path in written:
        print(f"  {path.name}")
    print(f"Une fois remplis, les déposer tels quels dans {s.depot_dir / 'suivi_plan'} puis lancer "
          "« observatoire actualiser ».")
    return 0


def cmd_suivi_relancer(args: argparse.Namespace) -> int:
    from observatoire.followup.referential import contacts, cotech_period
    from observatoire.followup.reminders import email_texts
    from observatoire.warehouse import WarehouseError

    s = settings()
    if not s.published.exists():
        raise ConfigurationError(f"Aucun entrepôt publié ({s.published}) : lancer « observatoire actualiser ».")
    try:
        cotech_period(args.cotech)
        texts = email_texts(s.published, args.cotech, contacts())
    except (ValueError, WarehouseError) as e:
        raise ConfigurationError(str(e)) from None
    if not texts:
        print(f"Tous les classeurs du COTECH du {args.cotech:%d/%m/%Y} sont revenus complets : aucune relance.")
    print("\n\n---\n\n".join(texts))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from observatoire import bench

    bench.run(args.echelles, repetitions=args.repetitions, incremental_scale=args.incrementale)
    return 0


def _scales(value: str) -> list[float]:
    try:
        scales = [float(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"échelles invalides « {value} » (attendu par exemple 1,10,100)") from None
    if not scales or any(s <= 0 for s in scales):
        raise argparse.ArgumentTypeError(f"échelles invalides « {value} » (nombres positifs séparés par des virgules)")
    return scales


def _month(value: str) -> str:
    try:
        datetime.strptime(value, "%Y-%m")
    except ValueError:
        raise argparse.ArgumentTypeError(f"mois invalide « {value} » (attendu AAAA-MM)") from None
    return value


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date invalide « {value} » (attendu AAAA-MM-JJ)") from None


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="observatoire", description="Observatoire du PDALHPD du Pas-de-Calais")
    sub = p.add_subparsers(dest="commande", required=True, metavar="commande")
    demo = sub.add_parser("generer-demo", help="écrire des extractions de démonstration dans data/depot/")
    demo.add_argument("--echelle", type=float, default=1.0, help="volume (1 = Pas-de-Calais, 100 ≈ France)")
    demo.add_argument("--graine", type=int, default=62, help="graine aléatoire (résultat reproductible)")
    demo.add_argument("--jusqua", type=_month, default=None, help="dernier mois généré, AAAA-MM")
    demo.set_defaults(func=cmd_generer_demo)
    refresh = sub.add_parser("actualiser", help="charger les extractions, construire et publier l'entrepôt")
    rotate = sub.add_parser("changer-cle", help="changer de clé de pseudonymisation : reconstruire l'entrepôt depuis "
                                                "les fichiers du dépôt avec la nouvelle clé (OBSERVATOIRE_CLE_PSEUDO)")
    for command in (refresh, rotate):
        command.add_argument("--verbeux", action="store_true", help="afficher le détail de Dagster et dbt à l'écran")
        command.add_argument("--silencieux", action="store_true",
                             help="sans l'avancement par étape (fichiers chargés, modèles dbt, contrôles, publication)")
    refresh.set_defaults(func=cmd_actualiser)
    rotate.set_defaults(func=cmd_changer_cle)
    sub.add_parser("resume", help="résumer l'entrepôt publié").set_defaults(func=cmd_resume)
    sub.add_parser("rapport", help="construire le dossier du COTECH (PDF et HTML) depuis le fichier de diffusion") \
        .set_defaults(func=cmd_rapport)
    bench = sub.add_parser("bench", help="mesurer les performances (docs/benchmarks.md)")
    bench.add_argument("--echelles", type=_scales, default=[1.0, 10.0, 100.0], help="échelles, ex. 1,10,100")
    bench.add_argument("--repetitions", type=int, default=3, help="actualisations complètes par échelle (médiane)")
    bench.add_argument("--incrementale", type=float, default=10.0,
                       help="échelle de la mesure de l'actualisation incrémentale")
    bench.set_defaults(func=cmd_bench)
    sub.add_parser("sources-ouvertes", help="données ouvertes : fichier attendu, page du producteur et millésime "
                                            "chargé de chaque source").set_defaults(func=cmd_sources_ouvertes)
    sub.add_parser("geographie", help="régénérer les seeds géographiques depuis le COG") \
        .set_defaults(func=cmd_geographie)
    followup = sub.add_parser("suivi", help="suivi partagé des fiches actions (fiche 6-3) : classeurs des pilotes")
    followup_sub = followup.add_subparsers(dest="action", required=True, metavar="action")
    for name, func, text in (
            ("preparer", cmd_suivi_preparer, "écrire un classeur par pilote avant un COTECH "
                                             "(data/suivi/<date>/a_envoyer/)"),
            ("relancer", cmd_suivi_relancer, "lister, par pilote, ce qui manque encore pour un COTECH "
                                             "(texte de courriel)")):
        action = followup_sub.add_parser(name, help=text)
        action.add_argument("--cotech", type=_day, required=True, help="date du COTECH, AAAA-MM-JJ")
        action.set_defaults(func=func)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigurationError as e:
        print(f"Erreur : {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
