"""The main job with the real embedded model: `contractflow run` on a sample contract, no API key,
no endpoint configured, the 0.5B model served locally through the same openai + instructor path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.evidence import locate
from pipeline.models import Evidence
from pipeline.parse import parse_file
from tests.conftest import MODEL_READS_ALL, ROOT, SAMPLES, SMALL_MODEL
from tests.fake_openai import load_expected

SAMPLE = "01_msa_northwind_larkspur"


@pytest.mark.model
def test_run_extracts_a_sample_with_the_local_model(real_model: Path, home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACTFLOW_")}
    env.update(MODEL_READS_ALL, CONTRACTFLOW_HOME=str(home), CONTRACTFLOW_LLM_LOCAL_MODEL=SMALL_MODEL)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", str(SAMPLES / f"{SAMPLE}.pdf"), "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    document = json.loads(result.stdout)["documents"][0]
    assert document["status"] in {"posted", "escalated"}, document["reason"]
    expected = load_expected(SAMPLES)[SAMPLE]["fields"]
    fields = document["fields"]
    # What a 0.5B model reliably gets from this contract, with the finders' help.
    for name in ("effective_date", "governing_law", "total_value"):
        assert fields[name] == expected[name], name
    assert {p["name"] for p in fields["parties"]} & {p["name"] for p in expected["parties"]}

    # Every value that came back is grounded: its quote is on the page it cites.
    extraction = json.loads(
        subprocess.run(
            [sys.executable, "-c", _DUMP_EXTRACTION, str(home), document["id"]],
            env=env, cwd=ROOT, capture_output=True, text=True, check=True, timeout=60,
        ).stdout
    )  # fmt: skip
    parsed = parse_file(SAMPLES / f"{SAMPLE}.pdf")
    values = [v for v in extraction["fields"].values() if isinstance(v, dict)] + extraction["fields"]["parties"]
    assert values
    for value in values:
        for evidence in value["evidence"]:
            assert locate(parsed, Evidence.model_validate(evidence)) is not None, evidence
    assert extraction["usage"]["prompt_tokens"] > 0 and extraction["model"] == f"local:{SMALL_MODEL}"


_DUMP_EXTRACTION = """
import json, sys
from pathlib import Path
from pipeline.settings import Settings
from pipeline.store import ExtractionRow, session
settings = Settings(home=Path(sys.argv[1]))
with session(settings.resolved_database_url) as db:
    print(json.dumps(db.get_one(ExtractionRow, sys.argv[2]).payload))
"""
