"""A monthly refresh, new files or not: the freshness checks then report a producer gone silent."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from orchestration.jobs import actualisation

actualisation_mensuelle = ScheduleDefinition(
    name="actualisation_mensuelle",
    job=actualisation,
    cron_schedule="0 6 1 * *",  # the 1st of each month, 6:00 (Paris), before the team arrives
    execution_timezone="Europe/Paris",
    default_status=DefaultScheduleStatus.RUNNING,
    description="Actualisation du 1er de chaque mois, même sans fichier nouveau : les contrôles de fraîcheur "
                "signalent alors une source dont le producteur ne livre plus.",
)
