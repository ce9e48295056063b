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
import smtplib
import tomllib
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from observatoire.settings import QUALITY_REPORT, SMTP_ENV, Smtp, settings

TIMEOUT_S = 20


@dataclass
class Configuration:
    destinataires: list[str]
    webhook: str
    smtp: Smtp
    fichier: Path


def configuration() -> Configuration:
    s = settings()
    data = {}
    if s.alerts_file.exists():
        try:
            data = tomllib.loads(s.alerts_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"{s.alerts_file} : fichier de configuration des alertes illisible ({e}).") from None
    return Configuration(destinataires=[str(d) for d in data.get("destinataires", [])],
                         webhook=str(data.get("webhook", "")), smtp=s.smtp, fichier=s.alerts_file)


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
    lines += ["", f"Le détail est dans le rapport de qualité ({settings().reports_dir / QUALITY_REPORT})."]
    return "\n".join(lines)


def send(text: str, config: Configuration | None = None) -> str:
    """Send the alert where configured; returns what the quality report says of it (in French)."""
    config = config or configuration()
    done, failed = [], []
    if config.smtp.hote and config.destinataires:
        try:
            _mail(text, config)
            done.append(f"courriel à {', '.join(config.destinataires)}")
        except (OSError, smtplib.SMTPException) as e:
            failed.append(f"courriel non envoyé ({config.smtp.hote}:{config.smtp.port} : {e})")
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
    mail["From"] = config.smtp.expediteur
    mail["To"] = ", ".join(config.destinataires)
    mail.set_content(text)
    server = config.smtp
    with smtplib.SMTP(server.hote, server.port, timeout=TIMEOUT_S) as smtp:
        if server.starttls:
            smtp.starttls()
        if server.utilisateur and server.mot_de_passe:
            smtp.login(server.utilisateur, server.mot_de_passe)
        smtp.send_message(mail)
