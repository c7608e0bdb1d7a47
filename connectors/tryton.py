"""Tryton, the open-source ERP, over XML-RPC with a proteus session.

A contract becomes a `purchase.blanket_agreement` from the counterparty (upserted as a
`party.party`), for the configured company, with one line (quantity 1, unit price = contract value)
on a purchasable service product, our idempotency key as `reference`, the title as `description`,
and the original file attached (`ir.attachment`). The company, its currency and the product are
created on first use when missing.

Tryton enforces no uniqueness on `reference`, names or attachments, so every write is
search -> create -> search again: concurrent creators all keep the lowest id and a loser deletes
its own record. The outbox's claim keeps two posters off one key in the first place.
"""

from __future__ import annotations

import base64
import http.client
import re
import xmlrpc.client
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.parsers.expat import ExpatError

# proteus (the Tryton client library) teaches xmlrpc.client Tryton's Decimal, date and bytes encodings.
import proteus.config  # noqa: F401
from dateutil.relativedelta import relativedelta

from connectors.base import ConnectorError, ConnectorUnavailable, closest_names
from pipeline.models import ContractRecord

AGREEMENT = "purchase.blanket_agreement"
# Our idempotency keys are document ids (sha256): people's own references are not ours to reconcile.
_OUR_KEY = re.compile(r"[0-9a-f]{64}")
# Roles that make a party the one we buy from; otherwise the first party that is not our company.
_SUPPLIER_ROLES = ("provider", "supplier", "vendor", "licensor", "lessor", "consultant", "contractor", "seller")
# Faults that say the database was busy or a concurrent writer came first (two creates drawing the
# same party code from Tryton's sequence), not that the request was wrong: a retry succeeds.
_BUSY_FAULTS = ("database is locked", "could not serialize", "deadlock detected", "must be unique")
_LOOKUP_CANDIDATES = 200


class _Transport(xmlrpc.client.Transport):
    """XML-RPC transport with a timeout (the standard one waits forever on a hung server)."""

    def __init__(self, timeout_s: float, headers: list[tuple[str, str]]) -> None:
        super().__init__(use_builtin_types=True, headers=headers)
        self.timeout_s = timeout_s

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        connection = super().make_connection(host)
        connection.timeout = self.timeout_s
        return connection


class TrytonConnector:
    name = "tryton"

    def __init__(
        self,
        url: str,
        database: str,
        user: str,
        password: str,
        *,
        company: str,
        currency: str,
        product: str,
        timeout_s: float = 30.0,
    ) -> None:
        self.rpc_url = f"{url.rstrip('/')}/{database}/rpc/"
        self.user, self.password = user, password
        self.company_name, self.company_currency, self.product_name = company, currency, product
        self.timeout_s = timeout_s
        self._server: Any = None
        self._context: dict[str, Any] = {}
        self._setup: dict[str, int] | None = None

    # -- RPC ------------------------------------------------------------------------------------

    def _proxy(self, headers: list[tuple[str, str]]) -> Any:
        return xmlrpc.client.ServerProxy(self.rpc_url, _Transport(self.timeout_s, headers), allow_none=True)

    def _login(self) -> None:
        """A session as `proteus.config.set_xmlrpc_session` opens it (one password check, then a
        token: ~9 ms per call instead of ~110 ms), on a transport with a timeout."""
        user_id, token, _ = self._proxy([]).common.db.login(self.user, {"password": self.password})
        auth = base64.b64encode(f"{self.user}:{user_id}:{token}".encode()).decode("ascii")
        server = self._proxy([("Authorization", f"Session {auth}")])
        self._context = server.model.res.user.get_preferences(True, {})
        if self._setup is not None:
            self._context["company"] = self._setup["company"]
        self._server = server

    def _call(self, model: str, method: str, *args: Any) -> Any:
        """One RPC with the session's context; logs in again once when the session expired."""
        for attempt in (1, 2):
            try:
                if self._server is None:
                    self._login()
                return getattr(self._server, f"model.{model}.{method}")(*args, self._context)
            except xmlrpc.client.ProtocolError as exc:
                self._server = None
                if exc.errcode == 401 and attempt == 1:
                    continue  # the idle session timed out (5 min by default): log in again
                if exc.errcode == 401:
                    raise ConnectorError(f"Tryton refused user {self.user!r} at {self.rpc_url}") from exc
                if exc.errcode == 429 or exc.errcode >= 500:
                    raise ConnectorUnavailable(f"Tryton at {self.rpc_url} answered {exc.errcode}") from exc
                raise ConnectorError(f"Tryton at {self.rpc_url} answered {exc.errcode} {exc.errmsg}") from exc
            except xmlrpc.client.Fault as exc:
                message = f"Tryton refused {model}.{method}: {exc.faultString.strip()}"
                if any(marker in exc.faultString for marker in _BUSY_FAULTS):
                    raise ConnectorUnavailable(message) from exc
                raise ConnectorError(message) from exc
            except (OSError, http.client.HTTPException, ExpatError) as exc:
                # Refused, reset, timed out, or an answer cut short by a server going down (an empty
                # XML body): the call may have taken effect, so retry — the next post finds the record.
                self._server = None
                raise ConnectorUnavailable(f"Tryton at {self.rpc_url} unreachable: {exc!r}") from exc
        raise AssertionError("unreachable")

    def _search(self, model: str, domain: list[Any], limit: int | None = None) -> list[int]:
        return list(self._call(model, "search", domain, 0, limit, [["id", "ASC"]]))

    def _ensure(self, model: str, domain: list[Any], values: dict[str, Any]) -> int:
        """The lowest-id record matching `domain`, created from `values` when there is none."""
        found = self._search(model, domain, limit=1)
        return found[0] if found else self._create_once(model, domain, values)

    def _create_once(self, model: str, domain: list[Any], values: dict[str, Any]) -> int:
        try:
            created = self._call(model, "create", [values])[0]
        except (ConnectorError, ConnectorUnavailable):
            # A constraint (one company per party, unique codes) refused us because a concurrent
            # creator came first: theirs is the record.
            found = self._search(model, domain, limit=1)
            if found:
                return found[0]
            raise
        winner = self._search(model, domain, limit=1)[0]
        if winner != created:  # a concurrent creator came first: keep theirs
            self._call(model, "delete", [created])
        return int(winner)

    # -- first use: currency, company, product ------------------------------------------------------

    def _currency(self, code: str) -> int:
        return self._ensure("currency.currency", [["code", "=", code]], {"name": code, "code": code, "symbol": code})

    def _ready(self) -> dict[str, int]:
        if self._setup is not None:
            return self._setup
        company = self._ensure(
            "company.company",
            [["party.name", "=", self.company_name]],
            {
                "party": self._ensure("party.party", [["name", "=", self.company_name]], {"name": self.company_name}),
                "currency": self._currency(self.company_currency),
            },
        )
        if company not in self._context.get("companies", []):
            user = self._search("res.user", [["login", "=", self.user]], limit=1)
            self._call("res.user", "write", user, {"companies": [["add", [company]]], "company": company})
        # Company-dependent defaults (currency, supplier terms) come from the context's company.
        self._context = self._call("res.user", "get_preferences", True)
        self._context["company"] = company
        unit = self._search("product.uom", [["name", "=", "Unit"]], limit=1)
        if not unit:
            raise ConnectorError("Tryton has no 'Unit' unit of measure: is the product module activated?")
        template = self._ensure(
            "product.template",
            [["name", "=", self.product_name], ["type", "=", "service"], ["purchasable", "=", True]],
            {
                "name": self.product_name,
                "type": "service",
                "purchasable": True,
                "default_uom": unit[0],
                "purchase_uom": unit[0],
                "list_price": Decimal(0),
                "products": [["create", [{}]]],
            },
        )
        product = self._search("product.product", [["template", "=", template]], limit=1)[0]
        self._setup = {"company": company, "product": product, "unit": unit[0]}
        return self._setup

    # -- the connector protocol ---------------------------------------------------------------------

    def post(self, record: ContractRecord, idempotency_key: str, original: Path | None = None) -> str:
        setup = self._ready()
        agreement = self._search(AGREEMENT, [["reference", "=", idempotency_key]], limit=1)
        agreement_id = agreement[0] if agreement else self._create_agreement(record, idempotency_key, setup)
        if original is not None:
            resource = f"{AGREEMENT},{agreement_id}"
            self._ensure(
                "ir.attachment",
                [["resource", "=", resource], ["name", "=", record.filename]],
                {"resource": resource, "name": record.filename, "type": "data", "data": original.read_bytes()},
            )
        return f"{AGREEMENT},{agreement_id}"

    def _create_agreement(self, record: ContractRecord, key: str, setup: dict[str, int]) -> int:
        fields: dict[str, Any] = record.fields
        supplier = _counterparty(fields.get("parties") or [], self.company_name)
        if supplier is None:
            raise ConnectorError(f"no counterparty besides {self.company_name!r} among the contract's parties")
        party_values: dict[str, Any] = {"name": supplier["name"]}
        if supplier.get("address"):
            party_values["addresses"] = [["create", [{"street": supplier["address"]}]]]
        value = fields.get("total_value")
        from_date, to_date = _period(fields)
        values: dict[str, Any] = {
            "supplier": self._ensure("party.party", [["name", "=", supplier["name"]]], party_values),
            "company": setup["company"],
            "currency": self._currency(value["currency"] if value else self.company_currency),
            "from_date": from_date,
            "to_date": to_date,
            "reference": key,
            "description": fields.get("title") or record.filename,
        }
        if value:
            line = {"product": setup["product"], "quantity": 1.0, "unit": setup["unit"]}
            values["lines"] = [["create", [{**line, "unit_price": Decimal(str(value["amount"]))}]]]
        return self._create_once(AGREEMENT, [["reference", "=", key]], values)

    def lookup_party(self, name: str) -> list[str]:
        words = [word for word in re.findall(r"\w+", name) if len(word) >= 3] or [name]
        domain: list[Any] = ["OR", *[["name", "ilike", f"%{word}%"] for word in words]]
        rows = self._call("party.party", "search_read", domain, 0, _LOOKUP_CANDIDATES, None, ["name"])
        return closest_names(name, [row["name"] for row in rows])

    def references(self) -> dict[str, str]:
        domain = [["reference", "!=", None]]
        rows = self._call(AGREEMENT, "search_read", domain, 0, None, [["id", "ASC"]], ["reference"])
        held: dict[str, str] = {}
        for row in rows:
            if _OUR_KEY.fullmatch(row["reference"]):
                held.setdefault(row["reference"], f"{AGREEMENT},{row['id']}")
        return held


def _counterparty(parties: list[dict[str, Any]], company: str) -> dict[str, Any] | None:
    others = [p for p in parties if p.get("name") and p["name"].casefold() != company.casefold()]
    for party in others:
        if any(role in (party.get("role") or "").casefold() for role in _SUPPLIER_ROLES):
            return party
    return others[0] if others else None


def _period(fields: dict[str, Any]) -> tuple[date | None, date | None]:
    """From the effective (or signature) date to the expiration date, or to the end of the term."""
    start_text = fields.get("effective_date") or fields.get("agreement_date")
    start = date.fromisoformat(start_text) if start_text else None
    if fields.get("expiration_date"):
        return start, date.fromisoformat(fields["expiration_date"])
    term = fields.get("term")
    if start is None or not term or term.get("perpetual") or not term.get("amount"):
        return start, None
    step = {"day": relativedelta(days=1), "week": relativedelta(weeks=1), "month": relativedelta(months=1)}
    length = step.get(term["unit"], relativedelta(years=1)) * term["amount"]
    return start, start + length - timedelta(days=1)
