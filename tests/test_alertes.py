"""Alerts reach the team: a blocked refresh sends one French e-mail to a real SMTP server started here."""

from __future__ import annotations

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller

from observatoire import alerts
from observatoire.quality.report import Controle


class Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler name
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8")))
        return "250 OK"


@pytest.fixture()
def smtp():
    inbox = Inbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _configured(tmp_path, port: int) -> dict[str, str]:
    config = tmp_path / "alertes.toml"
    config.write_text('destinataires = ["observatoire@example.org", "ddets@example.org"]\n', encoding="utf-8")
    return {"OBSERVATOIRE_SMTP_HOTE": "127.0.0.1", "OBSERVATOIRE_SMTP_PORT": str(port),
            "OBSERVATOIRE_ALERTES": str(config)}


def test_a_blocked_publication_sends_one_french_message(demo, smtp, tmp_path):
    inbox, port = smtp
    # Judged on today's date, the demo's extracts (mid-2024) are far too old: freshness blocks the publication.
    result = demo.observatoire("actualiser", check=False, OBSERVATOIRE_DATE_REFERENCE="", **_configured(tmp_path, port))
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert len(inbox.messages) == 1
    recipients, content = inbox.messages[0]
    assert recipients == ["observatoire@example.org", "ddets@example.org"]
    mail = email.message_from_string(content, policy=email.policy.default)
    assert mail["Subject"] == "Observatoire PDALHPD 62 : actualisation à examiner"
    body = mail.get_content()
    assert "Publication bloquée : l'entrepôt publié n'a pas été modifié." in body and "fraicheur" in body
    report = (demo.data_dir / "rapports" / "qualite.html").read_text(encoding="utf-8")
    assert "Alerte envoyée : courriel à observatoire@example.org, ddets@example.org" in report


def test_without_configuration_nothing_is_sent_and_the_report_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_DATA", str(tmp_path))
    for name in ("OBSERVATOIRE_SMTP_HOTE", "OBSERVATOIRE_ALERTES"):
        monkeypatch.delenv(name, raising=False)
    text = alerts.message(False, "contrôle bloquant", [Controle("raw/fsl", "validite", False, "ERROR", "x")])
    assert text and "Publication bloquée" in text and "raw/fsl validite" in text
    assert alerts.send(text).startswith("Alerte non envoyée : aucune destination configurée")


def test_an_unreachable_server_is_reported_not_raised(tmp_path, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    for k, v in _configured(tmp_path, closed).items():
        monkeypatch.setenv(k, v)
    outcome = alerts.send("test")
    assert outcome.startswith("courriel non envoyé (127.0.0.1:")


def test_a_clean_run_alerts_nobody_and_a_stale_source_does():
    clean = [Controle("raw/fsl", "fraicheur", True, "ERROR"), Controle("raw/fsl", "validite", True, "ERROR")]
    assert alerts.message(True, "", clean) is None
    stale = [Controle("raw/caf_allocataires", "fraicheur", False, "WARN", "dernière extraction il y a 19 mois")]
    text = alerts.message(True, "", stale)
    assert "source qui n'est plus à jour : raw/caf_allocataires" in text and "Publication bloquée" not in text
