"""The watched bucket and s3:// manifest entries against a real moto_server on loopback."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from pipeline.flow import Context, run_inline
from pipeline.settings import Settings
from pipeline.sources.s3 import BucketWatcher, client
from pipeline.store import DocumentRow, SeenObject, session
from tests.conftest import free_port
from tests.fake_openai import FakeOpenAI
from tests.test_run_e2e import ROOT, SAMPLES, contractflow, environment

CONTRACT = (SAMPLES / "04_consulting_fixed_term.txt").read_bytes()
MOTO = shutil.which("moto_server", path=str(ROOT / ".venv" / "bin")) or shutil.which("moto_server")


@pytest.fixture
def s3_endpoint(tmp_path: Path) -> Iterator[str]:
    """A real moto_server (S3 + SQS) on a free loopback port, stopped afterwards."""
    assert MOTO, "moto_server not installed: pip install 'moto[server]'"
    port = free_port()
    log = (tmp_path / "moto.log").open("w")
    process = subprocess.Popen([MOTO, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(endpoint, timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, "moto_server did not start"
                time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def s3_settings(home: Path, endpoint: str, model: FakeOpenAI, **extra: Any) -> Settings:
    return Settings(
        home=home,
        s3_endpoint_url=endpoint,
        s3_access_key_id="test",
        s3_secret_access_key="test",
        llm_base_url=model.base_url,
        llm_model="fake",
        **extra,
    )


def inline(settings: Settings) -> Any:
    """Process queued documents right here (the real stages, no broker)."""
    context = Context(settings)
    return lambda ids: [run_inline(context, document_id) for document_id in ids]


def documents(settings: Settings) -> dict[str, DocumentRow]:
    with session(settings.resolved_database_url) as db:
        return {row.source_uri: row for row in db.query(DocumentRow)}


def test_polling_takes_each_object_once_across_restarts(home: Path, s3_endpoint: str, model: FakeOpenAI) -> None:
    settings = s3_settings(home, s3_endpoint, model)
    s3 = client(settings)
    s3.create_bucket(Bucket="contracts")
    s3.put_object(Bucket="contracts", Key="in/consulting.txt", Body=CONTRACT)
    s3.put_object(Bucket="contracts", Key="in/../../../etc/passwd.txt", Body=b"Not a contract at all.")
    s3.put_object(Bucket="contracts", Key="in/sub/odd\tname ü.txt", Body=b"")
    s3.put_object(Bucket="contracts", Key="out/elsewhere.txt", Body=b"outside the prefix")

    BucketWatcher("s3://contracts/in", settings, inline(settings)).step()

    found = documents(settings)
    assert set(found) == {
        "s3://contracts/in/consulting.txt",
        "s3://contracts/in/../../../etc/passwd.txt",
        "s3://contracts/in/sub/odd\tname ü.txt",
    }
    assert found["s3://contracts/in/consulting.txt"].status == "posted"
    assert found["s3://contracts/in/../../../etc/passwd.txt"].filename == "passwd.txt"
    assert found["s3://contracts/in/sub/odd\tname ü.txt"].filename == "oddname ü.txt"
    assert found["s3://contracts/in/sub/odd\tname ü.txt"].reason == "cannot parse: empty file (0 bytes)"
    assert all(Path(row.stored_path).is_relative_to(home / "documents") for row in found.values())
    calls = len(model.requests)

    # A restart takes nothing again; a new object and a key written anew with other bytes are taken.
    BucketWatcher("s3://contracts/in", settings, inline(settings)).step()
    assert len(model.requests) == calls and len(documents(settings)) == 3
    s3.put_object(Bucket="contracts", Key="in/consulting.txt", Body=CONTRACT + b"\nAmended.")
    s3.put_object(Bucket="contracts", Key="in/new.txt", Body=b"A new arrival.")
    BucketWatcher("s3://contracts/in", settings, inline(settings)).step()
    with session(settings.resolved_database_url) as db:
        assert db.query(SeenObject).count() == 5
        assert db.query(DocumentRow).count() == 5


def test_events_from_the_queue_say_what_is_new(home: Path, s3_endpoint: str, model: FakeOpenAI) -> None:
    base = s3_settings(home, s3_endpoint, model)
    s3, sqs = client(base), client(base, "sqs")
    queue_url = sqs.create_queue(QueueName="contract-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.create_bucket(Bucket="inbox")
    s3.put_bucket_notification_configuration(
        Bucket="inbox",
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    settings = s3_settings(home, s3_endpoint, model, s3_events_queue_url=queue_url, watch_interval_s=1)
    watcher = BucketWatcher("s3://inbox/", settings, inline(settings))
    watcher.step()  # the listing at start: nothing yet
    sqs.send_message(QueueUrl=queue_url, MessageBody="not json")
    s3.put_object(Bucket="inbox", Key="a contract.txt", Body=CONTRACT)

    for _ in range(5):
        watcher.step()
        if documents(settings):
            break
    assert documents(settings)["s3://inbox/a contract.txt"].status == "posted"
    # Every message was handled and deleted, the undecodable one too.
    watcher.step()
    reply = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)
    assert reply.get("Messages", []) == []


def test_watch_command_and_s3_manifest_through_the_queue(
    tmp_path: Path, home: Path, s3_endpoint: str, model: FakeOpenAI
) -> None:
    settings = s3_settings(home, s3_endpoint, model)
    s3 = client(settings)
    s3.create_bucket(Bucket="drop")
    s3.put_object(Bucket="drop", Key="batch/consulting.txt", Body=CONTRACT)
    s3.put_object(Bucket="drop", Key="batch/broken.pdf", Body=b"%PDF-1.4 broken")
    env = environment(
        home,
        model,
        CONTRACTFLOW_S3_ENDPOINT_URL=s3_endpoint,
        CONTRACTFLOW_S3_ACCESS_KEY_ID="test",
        CONTRACTFLOW_S3_SECRET_ACCESS_KEY="test",
        CONTRACTFLOW_WATCH_INTERVAL_S="0.5",
    )

    watched = contractflow(env, "watch", "s3://drop/batch", "--once")

    assert watched.returncode == 0, watched.stderr[-3000:]
    found = documents(settings)
    assert found["s3://drop/batch/consulting.txt"].status == "posted"
    assert found["s3://drop/batch/broken.pdf"].reason.startswith("cannot parse: unreadable PDF")

    s3.put_object(Bucket="drop", Key="other/second.txt", Body=CONTRACT + b"\nSecond copy.")
    manifest = tmp_path / "list.csv"
    local = tmp_path / "local.txt"
    local.write_bytes(CONTRACT + b"\nLocal copy.")
    manifest.write_text("path,note\ns3://drop/other/second.txt,from the bucket\nlocal.txt,beside the manifest\n")
    ran = contractflow(env, "run", "--manifest", str(manifest), "--json")
    assert ran.returncode == 0, ran.stderr[-3000:]
    outcomes = {d["file"]: d["status"] for d in json.loads(ran.stdout)["documents"]}
    assert outcomes == {"second.txt": "posted", "local.txt": "posted"}
