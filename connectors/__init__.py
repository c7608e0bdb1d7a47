"""Destinations for validated contracts. Every connector honours one small protocol (`Connector`)."""

from __future__ import annotations

from connectors.base import Connector, ConnectorError
from connectors.jsonl import JsonlConnector
from pipeline.settings import Settings

__all__ = ["Connector", "ConnectorError", "JsonlConnector", "connector_for"]


def connector_for(settings: Settings) -> Connector:
    if settings.connector == "jsonl":
        return JsonlConnector(settings.resolved_jsonl_path)
    raise ConnectorError(f"unknown connector {settings.connector!r} (CONTRACTFLOW_CONNECTOR); known: jsonl")
