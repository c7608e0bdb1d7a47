"""Settings from `CONTRACTFLOW_*` environment variables, with embedded defaults.

The defaults need no server: an SQLite state store and a filesystem broker under `home`,
a JSONL file as the ERP stand-in, and the local model when no LLM endpoint is set.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONTRACTFLOW_", extra="ignore")

    home: Path = Field(default=Path(".contractflow"), description="State, broker and document store")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite under home if unset")
    broker_url: str | None = Field(default=None, description="Celery broker; filesystem under home if unset")

    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint; local model if unset")
    llm_model: str = "local"
    llm_api_key: str = "not-needed"
    llm_timeout_s: float = 300.0
    llm_max_retries: int = Field(default=2, description="Re-asks after a schema validation error")
    llm_max_tokens: int = 1024
    llm_local_model: str = Field(default="qwen2.5-coder-1.5b", description="Catalogue name of the embedded model")
    llm_model_path: Path | None = Field(default=None, description="Any GGUF file; overrides llm_local_model")
    llm_threads: int | None = Field(default=None, description="llama.cpp threads; all cores if unset")
    llm_context: int = 8192
    llm_server_port: int = 0

    max_document_chars: int = Field(default=24000, description="Text sent to the single-call extractor")
    extractor: Literal["agent", "single"] = Field(default="agent", description="The agent, or one whole-text call")
    agent_max_steps: int = Field(default=3, description="Model calls per document before escalating")
    agent_max_tokens: int = Field(default=20000, description="Prompt + completion tokens per document")
    agent_max_seconds: float = Field(default=600.0, description="Wall-clock time per document")
    agent_accept_confidence: float = Field(
        default=0.7,
        description="A field the finders read that is grounded, within the rules and at least this confident in "
        "every value is settled: the model is not asked about it; a proposal settled in every field is taken "
        "without a model call; above 1 the model checks every field of every contract",
    )
    agent_second_read: bool = Field(
        default=False,
        description="Where the step, token and time budgets allow, read the fields the model was asked about a "
        "second time, without the proposal, for two confidence signals (agreement, disagreement); one more call on "
        "a document the model reads; their weights are 0 until fitted for the model (docs/EVAL.md)",
    )
    confidence_threshold: float = Field(default=0.5, description="Fields below it send the contract to review")
    llm_prices: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description='USD per million prompt and completion tokens: {"gpt-4o": [2.5, 10]}'
    )
    rules_dir: Path = Field(default=Path(__file__).resolve().parent.parent / "rules")
    review_users: dict[str, str] = Field(
        default_factory=dict, description='Reviewers: {"alice": "<hash from `contractflow review hash-password`>"}'
    )
    review_secret: str | None = Field(default=None, description="Signs review sessions; a file in home if unset")
    connector: str = Field(default="jsonl", description="Destination: jsonl, tryton, webhook or sql_staging")
    jsonl_path: Path | None = Field(default=None, description="JSONL destination; home/erp/contracts.jsonl if unset")
    # ERP destinations (connectors/): CONTRACTFLOW_CONNECTOR=tryton | webhook | sql_staging.
    tryton_url: str = Field(default="http://127.0.0.1:8000", description="trytond server, without the database")
    tryton_database: str = "erp"
    tryton_user: str = "admin"
    tryton_password: str = ""
    tryton_company: str = Field(default="Contractflow Buyer", description="Company created on first use if missing")
    tryton_currency: str = Field(default="USD", description="Company currency when the company is created")
    tryton_product: str = Field(default="Contract services", description="Service product on agreement lines")
    webhook_url: str | None = None
    webhook_secret: str = Field(default="", description="HMAC-SHA256 key signing every webhook request")
    webhook_attempts: int = Field(default=4, description="HTTP attempts per delivery before the outbox retries")
    webhook_backoff_s: float = Field(default=0.5, description="First retry delay, doubled per attempt")
    staging_database_url: str | None = Field(default=None, description="SQLAlchemy URL of the SQL staging database")
    staging_table: str = "contract_staging"
    connector_timeout_s: float = Field(default=30.0, description="Per request to a destination")
    # With the task backoff (2 s doubling to 120 s, jittered) 30 deliveries ride out ~25 min of ERP downtime.
    outbox_max_attempts: int = Field(default=30, description="Deliveries tried before an outbox item is dead")
    outbox_lease_s: float = Field(default=300.0, description="A claimed item is reclaimable after this")
    fault: str | None = Field(default=None, description="Test-only fault injection: crash-after-destination-write")

    # Parsing limits: a file over one fails with the limit named in its reason (pipeline/parse/).
    max_file_bytes: int = Field(default=100 << 20, description="Largest file parsed")
    max_pages: int = Field(default=2000, description="Most pages (or image frames) in one document")
    max_decompressed_bytes: int = Field(
        default=512 << 20, description="Largest expansion: a DOCX's entries, one PDF stream, one page image"
    )
    ocr_languages: str = Field(default="eng", description="tesseract languages, e.g. eng+deu")
    ocr_dpi: int = Field(default=250, description="Resolution scanned PDF pages are rendered at for OCR")
    ocr_timeout_s: float = Field(default=120.0, description="Per page")
    # Sources (pipeline/sources/): a watched S3-compatible bucket, a watched folder, uploads.
    s3_endpoint_url: str | None = Field(default=None, description="Any S3-compatible store; AWS if unset")
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = Field(default=None, description="Else boto3's usual credential chain")
    s3_secret_access_key: str | None = None
    s3_events_queue_url: str | None = Field(default=None, description="SQS-compatible queue of S3 object events")
    watch_interval_s: float = Field(default=5.0, description="Between listings when polling; longest event wait")
    watch_settle_s: float = Field(default=1.0, description="A dropped file must keep size and mtime this long")
    upload_host: str = "127.0.0.1"
    upload_port: int = 8080

    task_max_retries: int = 5
    task_backoff_s: int = 2
    task_backoff_max_s: int = 120
    run_timeout_s: float = Field(default=6 * 3600.0, description="How long `run` waits for terminal states")
    # Operations: redelivery after a worker dies, metrics, logs.
    broker_visibility_timeout_s: float = Field(
        default=1800.0, description="Redis: a task whose worker died is redelivered after this; exceed the longest task"
    )
    metrics_port: int | None = Field(default=None, description="`contractflow worker` serves Prometheus metrics here")
    metrics_host: str = "127.0.0.1"
    log_json: bool = Field(default=False, description="JSON log lines carrying document and run ids")

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'state.db').resolve()}"

    @property
    def embedded_broker(self) -> bool:
        return self.broker_url is None

    @property
    def document_store(self) -> Path:
        return self.home / "documents"

    @property
    def resolved_jsonl_path(self) -> Path:
        return self.jsonl_path or self.home / "erp" / "contracts.jsonl"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
