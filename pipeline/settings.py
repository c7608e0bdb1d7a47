"""Settings from `CONTRACTFLOW_*` environment variables, with embedded defaults.

The defaults need no server: an SQLite state store and a filesystem broker under `home`,
a JSONL file as the ERP stand-in, and the local model when no LLM endpoint is set.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
    rules_dir: Path = Field(default=Path(__file__).resolve().parent.parent / "rules")
    connector: str = Field(default="jsonl", description="Destination: jsonl")
    jsonl_path: Path | None = Field(default=None, description="JSONL destination; home/erp/contracts.jsonl if unset")

    task_max_retries: int = 5
    task_backoff_s: int = 2
    task_backoff_max_s: int = 120
    run_timeout_s: float = Field(default=6 * 3600.0, description="How long `run` waits for terminal states")

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
