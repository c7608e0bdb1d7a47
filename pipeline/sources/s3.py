"""A watched S3-compatible bucket: `contractflow watch s3://bucket/prefix`.

With CONTRACTFLOW_S3_EVENTS_QUEUE_URL the store's object-created events (S3 notifications to an
SQS-compatible queue) say what is new; otherwise the prefix is listed every watch_interval_s.
Either way a listing at start catches what arrived while the watcher was down, and the objects
taken are recorded in the state store (key + ETag, which listings and events both carry): a
restart neither misses nor repeats one, and a key written anew with other bytes is taken again.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import boto3
from botocore.exceptions import ClientError

from pipeline.ingest import register_file
from pipeline.models import Document
from pipeline.settings import Settings
from pipeline.sources.base import Submit, Watcher
from pipeline.store import SeenObject, session

log = logging.getLogger(__name__)


def split_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix")."""
    if not uri.startswith("s3://") or not uri[5:].split("/", 1)[0]:
        raise ValueError(f"not an s3:// URI: {uri!r} (expected s3://bucket/prefix)")
    bucket, _, prefix = uri[5:].partition("/")
    return bucket, prefix


def client(settings: Settings, service: str = "s3") -> Any:
    return boto3.client(
        service,
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=settings.s3_secret_access_key,
    )


def fetch(s3: Any, bucket: str, key: str, settings: Settings) -> list[Document]:
    """Download one object and register it (and its attachments); source_uri is s3://bucket/key."""
    incoming = settings.home / "incoming"
    incoming.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=incoming) as folder:
        local = Path(folder) / "object"  # never a name from the key: keys may hold `../`
        s3.download_file(bucket, key, str(local))
        return register_file(local, settings, f"s3://{bucket}/{key}", filename=key)


class BucketWatcher(Watcher):
    def __init__(self, uri: str, settings: Settings, submit: Submit | None = None) -> None:
        super().__init__(settings, submit)
        self.bucket, self.prefix = split_uri(uri)
        self.s3 = client(settings)
        self.queue_url = settings.s3_events_queue_url
        self.sqs = client(settings, "sqs") if self.queue_url else None
        self.listed = False

    def step(self) -> float:
        if self.sqs is None or not self.listed:
            self.scan()
            self.listed = True
            return self.settings.watch_interval_s
        self.drain_events()
        return 0.0  # the receive call itself waited

    def scan(self) -> None:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix)
        for page in pages:
            for item in page.get("Contents", []):
                self.take(item["Key"], item["ETag"])

    def drain_events(self) -> None:
        assert self.sqs is not None
        wait = max(0, min(20, round(self.settings.watch_interval_s)))  # SQS long polling allows 0-20 s
        reply = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
        for message in reply.get("Messages", []):
            for key, version in self.created_objects(message["Body"]):
                self.take(key, version)
            # Deleted only once its objects are taken: a crash before here redelivers the event.
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def created_objects(self, body: str) -> list[tuple[str, str]]:
        """(key, ETag) of each object-created record for our bucket and prefix in an event."""
        try:
            event = json.loads(body)
            if "Message" in event and "Records" not in event:  # delivered through SNS
                event = json.loads(event["Message"])
        except (json.JSONDecodeError, TypeError):
            log.warning("ignoring an event that is not JSON: %.200s", body)
            return []
        found = []
        for record in event.get("Records", []) if isinstance(event, dict) else []:
            if not str(record.get("eventName", "")).startswith("ObjectCreated"):
                continue
            bucket = record.get("s3", {}).get("bucket", {}).get("name")
            item = record.get("s3", {}).get("object", {})
            key = unquote_plus(item.get("key", ""))  # event keys are URL-encoded, spaces as '+'
            if bucket == self.bucket and key.startswith(self.prefix):
                found.append((key, item.get("eTag", "")))
        return found

    def take(self, key: str, version: str) -> None:
        uri = f"s3://{self.bucket}/{key}"
        version = version.strip('"')
        if key.endswith("/"):
            return  # a "folder" marker, no content
        with session(self.settings.resolved_database_url) as db:
            if db.get(SeenObject, (uri, version)) is not None:
                return
        try:
            documents = fetch(self.s3, self.bucket, key, self.settings)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey"}:
                log.info("%s is gone before it could be taken", uri)
                return
            raise
        self.queue(documents)
        with session(self.settings.resolved_database_url) as db:
            db.merge(SeenObject(uri=uri, version=version, document_id=documents[0].id))
        log.info("took %s as %s", uri, documents[0].id[:12])
