"""The hostile corpus through the real queue: `contractflow run --manifest` with its embedded worker.

Every file must end terminal with its own specific reason, while the worker stays up and the rest
of the batch goes on; failed files stay in the document store for a person.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.ingest import safe_filename
from pipeline.store import DocumentRow, session
from tests.fake_openai import FakeOpenAI
from tests.hostile_corpus import ATTACHMENTS, LIMITS, build
from tests.test_run_e2e import SAMPLES, contractflow, environment


def test_hostile_corpus_ends_terminal_with_specific_reasons(tmp_path: Path, home: Path, model: FakeOpenAI) -> None:
    corpus = tmp_path / "corpus"
    expected = build(corpus)
    assert len(expected) >= 30
    manifest = corpus / "manifest.jsonl"
    manifest.write_text("".join(json.dumps({"path": name}) + "\n" for name in expected), encoding="utf-8")
    # A good sample in the same batch must still be posted.
    manifest.write_text(manifest.read_text() + json.dumps(str(SAMPLES / "04_consulting_fixed_term.txt")) + "\n")
    env = environment(home, model, **{f"CONTRACTFLOW_{k}": str(v) for k, v in LIMITS.items()})

    result = contractflow(env, "run", "--manifest", str(manifest), "--json")

    assert result.returncode == 0, result.stderr[-3000:]
    documents = json.loads(result.stdout)["documents"]
    by_name = {d["file"]: d for d in documents}
    assert by_name.pop("04_consulting_fixed_term.txt")["status"] == "posted"
    with session(f"sqlite:///{home / 'state.db'}") as db:
        rows = {row.id: row for row in db.query(DocumentRow)}
    for name, want in {**expected, **ATTACHMENTS}.items():
        outcome = by_name.pop(safe_filename(name), None)
        assert outcome is not None, f"{name!r} has no outcome"
        assert (outcome["status"], want.reason in (outcome["reason"] or "")) == (want.status, True), (name, outcome)
        if name in expected:  # kept in the document store, byte for byte, for a person to look at
            assert Path(rows[outcome["id"]].stored_path).read_bytes() == (corpus / name).read_bytes()
    assert by_name == {}, f"unexpected documents: {list(by_name)}"
    message = next(row for row in rows.values() if row.filename == "with_attachments.eml")
    attached = {row.filename: row for row in rows.values() if row.parent_id == message.id}
    assert set(attached) == set(ATTACHMENTS)
    assert attached["evil.pdf"].source_uri.endswith("#attachment=../../evil.pdf")
    assert all(Path(row.stored_path).parent.parent == home / "documents" for row in rows.values())
