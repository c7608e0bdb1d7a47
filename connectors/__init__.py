"""Destinations for validated contracts. Every connector honours one small protocol (`Connector`)."""

from __future__ import annotations

from connectors.base import Connector, ConnectorError, ConnectorUnavailable, Listable
from connectors.jsonl import JsonlConnector
from pipeline.settings import Settings

__all__ = ["Connector", "ConnectorError", "ConnectorUnavailable", "JsonlConnector", "Listable", "connector_for"]

KNOWN = ("jsonl", "tryton", "webhook", "sql_staging")


def connector_for(settings: Settings) -> Connector:
    counterparties = settings.rules_dir / "counterparties.csv"
    if settings.connector == "jsonl":
        return JsonlConnector(settings.resolved_jsonl_path, counterparties)
    if settings.connector == "tryton":
        from connectors.tryton import TrytonConnector  # its client library is in the `erp` extra

        return TrytonConnector(
            settings.tryton_url,
            settings.tryton_database,
            settings.tryton_user,
            settings.tryton_password,
            company=settings.tryton_company,
            currency=settings.tryton_currency,
            product=settings.tryton_product,
            timeout_s=settings.connector_timeout_s,
        )
    if settings.connector == "webhook":
        from connectors.webhook import WebhookConnector

        if not settings.webhook_url:
            raise ConnectorError("the webhook connector needs CONTRACTFLOW_WEBHOOK_URL")
        return WebhookConnector(
            settings.webhook_url,
            settings.webhook_secret,
            attempts=settings.webhook_attempts,
            backoff_s=settings.webhook_backoff_s,
            timeout_s=settings.connector_timeout_s,
            counterparties_csv=counterparties,
        )
    if settings.connector == "sql_staging":
        from connectors.sql_staging import SqlStagingConnector

        if not settings.staging_database_url:
            raise ConnectorError("the sql_staging connector needs CONTRACTFLOW_STAGING_DATABASE_URL")
        return SqlStagingConnector(settings.staging_database_url, settings.staging_table, counterparties)
    raise ConnectorError(
        f"unknown connector {settings.connector!r} (CONTRACTFLOW_CONNECTOR); known: {', '.join(KNOWN)}"
    )
