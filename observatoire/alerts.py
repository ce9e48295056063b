"""Alerts: one French message per refresh that needs the team's attention (publication blocked, a blocking check
failed, a source gone stale), by e-mail (SMTP) and/or to a webhook.

Configuration, all optional; without any, nothing is sent and the quality report says so:
- `OBSERVATOIRE_SMTP_HOTE`, `OBSERVATOIRE_SMTP_PORT` (25), `OBSERVATOIRE_SMTP_EXPEDITEUR`,
  `OBSERVATOIRE_SMTP_UTILISATEUR` and `OBSERVATOIRE_SMTP_MOT_DE_PASSE` (login when both are set),
  `OBSERVATOIRE_SMTP_STARTTLS` (1 to upgrade the connection);
- the recipients and the webhook in a TOML file, `OBSERVATOIRE_ALERTES` (default `<data>/alertes.toml`):
  `destinataires = ["..."]` and `webhook = "https://..."`.
"""

import json
import os
import smtplib
import tomllib
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from observatoire.settings import settings

SMTP_ENV = "OBSERVATOIRE_SMTP_"
CONFIG_ENV = "OBSERVATOIRE_ALERTES"
TIMEOUT_S = 20


@dataclass
class Configuration:
    destinataires: list[str]
    webhook: str
    smtp_hote: str
    smtp_port: int
    expediteur: str
    utilisateur: str
    mot_de_passe: str
    starttls: bool
    fichier: Path


def configuration() -> Configuration:
    path = Path(os.environ.get(CONFIG_ENV) or settings().data_dir / "alertes.toml")
    data = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"{path} : fichier de configuration des alertes illisible ({e}).") from None
    env = {k.removeprefix(SMTP_ENV): v for k, v in os.environ.items() if k.startswith(SMTP_ENV)}
    return Configuration(
        destinataires=[str(d) for d in data.get("destinataires", [])], webhook=str(data.get("webhook", "")),
        smtp_hote=env.get("HOTE", ""), smtp_port=int(env.get("PORT") or 25),
        expediteur=env.get("EXPEDITEUR") or "observatoire-pdalhpd62@localhost",
        utilisateur=env.get("UTILISATEUR", ""), mot_de_passe=env.get("MOT_DE_PASSE", ""),
        starttls=env.get("STARTTLS", "") == "1", fichier=path)


def message(published: bool, error: str, checks) -> str | None:
    """The alert of a run (None when nothing needs attention): blocked publication, failed blocking checks,
    stale sources (a failed freshness check, blocking or not)."""
    blocking = [c for c in checks if not c.reussi and c.severite == "ERROR"]
    stale = [c for c in checks if not c.reussi and c.nom == "fraicheur"]
    if published and not blocking and not stale:
        return None
    lines = ["Observatoire PDALHPD 62 : l'actualisation demande votre attention.", ""]
    if not published:
        lines.append("Publication bloquée : l'entrepôt publié n'a pas été modifié."
                     + (f" Cause : {error}" if error else ""))
    for c in blocking:
        lines.append(f"- contrôle bloquant en échec : {c.cible} {c.nom} : {c.resume}")
    for c in stale:
        if c not in blocking:
            lines.append(f"- source qui n'est plus à jour : {c.cible} : {c.resume}")
    lines += ["", "Le détail est dans le rapport de qualité (data/rapports/qualite.html)."]
    return "\n".join(lines)


def send(text: str, config: Configuration | None = None) -> str:
    """Send the alert where configured; returns what the quality report says of it (in French)."""
    config = config or configuration()
    done, failed = [], []
    if config.smtp_hote and config.destinataires:
        try:
            _mail(text, config)
            done.append(f"courriel à {', '.join(config.destinataires)}")
        except (OSError, smtplib.SMTPException) as e:
            failed.append(f"courriel non envoyé ({config.smtp_hote}:{config.smtp_port} : {e})")
    if config.webhook:
        try:
            request = urllib.request.Request(config.webhook, data=json.dumps({"text": text}).encode("utf-8"),
                                             headers={"Content-Type": "application/json"}, method="POST")
            urllib.request.urlopen(request, timeout=TIMEOUT_S).close()
            done.append(f"webhook {config.webhook}")
        except OSError as e:
            failed.append(f"webhook non appelé ({config.webhook} : {e})")
    if not done and not failed:
        return (f"Alerte non envoyée : aucune destination configurée (serveur {SMTP_ENV}HOTE et destinataires de "
                f"{config.fichier}, ou webhook).")
    return " ; ".join([f"Alerte envoyée : {', '.join(done)}"] * bool(done) + failed) + "."


def _mail(text: str, config: Configuration) -> None:
    mail = EmailMessage()
    mail["Subject"] = "Observatoire PDALHPD 62 : actualisation à examiner"
    mail["From"] = config.expediteur
    mail["To"] = ", ".join(config.destinataires)
    mail.set_content(text)
    with smtplib.SMTP(config.smtp_hote, config.smtp_port, timeout=TIMEOUT_S) as smtp:
        if config.starttls:
            smtp.starttls()
        if config.utilisateur and config.mot_de_passe:
            smtp.login(config.utilisateur, config.mot_de_passe)
        smtp.send_message(mail)
