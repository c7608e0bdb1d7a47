"""The Tryton connector against a real trytond on loopback (a fresh copy of an initialized database)."""

from __future__ import annotations

import multiprocessing
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from connectors import ConnectorError, ConnectorUnavailable
from connectors.tryton import AGREEMENT, TrytonConnector
from pipeline.models import ContractRecord
from tests.conftest import SAMPLES, free_port
from tests.fake_openai import load_expected
from tests.tryton_fixtures import ADMIN_PASSWORD, DATABASE, TrytonServer, tryton, tryton_template

__all__ = ["tryton", "tryton_template"]  # fixtures used here

EXPECTED = load_expected(SAMPLES)
MSA = SAMPLES / "01_msa_northwind_larkspur.pdf"
KEY = "a" * 64


def connect(url: str, password: str = ADMIN_PASSWORD) -> TrytonConnector:
    return TrytonConnector(
        url, DATABASE, "admin", password, company="Northwind Analytics, Inc.", currency="USD", product="Services"
    )


def record(stem: str = "01_msa_northwind_larkspur", key: str = KEY) -> ContractRecord:
    fields = EXPECTED[stem]["fields"]
    return ContractRecord(document_id=key, filename=f"{stem}.pdf", fields=fields, rules_version="v1")


def agreements(server: TrytonServer) -> list[dict[str, Any]]:
    fields = ["reference", "description", "from_date", "to_date", "amount", "currency.code", "supplier.rec_name"]
    return server.search_read(AGREEMENT, [], [*fields, "company.rec_name", "state"])


def test_post_creates_counterparty_agreement_and_attachment_once(tryton: TrytonServer) -> None:
    erp = connect(tryton.url)
    reference = erp.post(record(), KEY, MSA)
    assert erp.post(record(), KEY, MSA) == reference
    assert connect(tryton.url).post(record(), KEY, MSA) == reference  # a new session finds it too
    (agreement,) = agreements(tryton)
    assert reference == f"{AGREEMENT},{agreement['id']}"
    assert agreement["reference"] == KEY and agreement["description"] == "Master Services Agreement"
    assert agreement["supplier."]["rec_name"] == "Larkspur Data Systems LLC"  # the provider, not our company
    assert agreement["company."]["rec_name"] == "Northwind Analytics, Inc."
    assert (agreement["from_date"], agreement["to_date"]) == (date(2025, 3, 1), date(2028, 2, 29))  # 36 months
    assert (agreement["amount"], agreement["currency."]["code"]) == (Decimal("432000.00"), "USD")
    resource = f"{AGREEMENT},{agreement['id']}"
    (attachment,) = tryton.search_read("ir.attachment", [["resource", "=", resource]], ["name", "type", "data"])
    assert (attachment["name"], attachment["type"]) == ("01_msa_northwind_larkspur.pdf", "data")
    assert attachment["data"] == MSA.read_bytes()
    parties = [p["name"] for p in tryton.search_read("party.party", [], ["name"])]
    assert sorted(parties) == ["Larkspur Data Systems LLC", "Northwind Analytics, Inc."]
    assert erp.references() == {KEY: reference}


def test_second_contract_reuses_the_party_and_takes_its_own_currency(tryton: TrytonServer) -> None:
    erp = connect(tryton.url)
    erp.post(record(), KEY)
    second = record()
    second.fields = {**second.fields, "title": "Addendum", "total_value": {"amount": "1500.50", "currency": "EUR"}}
    erp.post(second, "b" * 64)
    rows = agreements(tryton)
    assert [(r["description"], r["currency."]["code"], r["amount"]) for r in rows] == [
        ("Master Services Agreement", "USD", Decimal("432000.00")),
        ("Addendum", "EUR", Decimal("1500.50")),
    ]
    assert len({r["supplier."]["id"] for r in rows}) == 1


def test_lookup_party_returns_the_closest_existing_names(tryton: TrytonServer) -> None:
    erp = connect(tryton.url)
    erp.post(record(), KEY)
    assert erp.lookup_party("Larkspur Data Systems")[0] == "Larkspur Data Systems LLC"
    assert erp.lookup_party("Brightwater Logistics") == []


def _post(url: str, key: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    queue.put(connect(url).post(record(key=key), key))


def test_concurrent_creators_of_one_key_leave_one_agreement(tryton: TrytonServer) -> None:
    # A fresh database: the company, product and parties are raced for too.
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    processes = [multiprocessing.Process(target=_post, args=(tryton.url, KEY, queue)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    references = {queue.get(timeout=5) for _ in processes}
    (held,) = agreements(tryton)
    assert references == {f"{AGREEMENT},{held['id']}"}
    parties = sorted(p["name"] for p in tryton.search_read("party.party", [], ["name"]))
    assert parties == ["Larkspur Data Systems LLC", "Northwind Analytics, Inc."]
    assert len(tryton.search_read("company.company", [], ["id"])) == 1


def test_wrong_password_is_refused_and_a_stopped_server_is_unavailable(tryton: TrytonServer) -> None:
    with pytest.raises(ConnectorError, match="refused user 'admin'"):
        connect(tryton.url, password="wrong").post(record(), KEY)
    with pytest.raises(ConnectorUnavailable, match="unreachable"):
        connect(f"http://127.0.0.1:{free_port()}").post(record(), KEY)


def test_contract_without_counterparty_is_refused(tryton: TrytonServer) -> None:
    alone = record()
    alone.fields = {**alone.fields, "parties": [{"name": "Northwind Analytics, Inc.", "role": "Client"}]}
    with pytest.raises(ConnectorError, match="no counterparty"):
        connect(tryton.url).post(alone, KEY)
    assert agreements(tryton) == []
