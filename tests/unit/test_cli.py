"""The batch command: one output line per input, in order, errors as records, exit status."""

from __future__ import annotations

import subprocess
import sys

import orjson

from tests.conftest import FIXTURES, ROOT


def run_cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], input=stdin,
                          capture_output=True, cwd=ROOT, timeout=120)


def test_enrich_txt_and_jsonl_files_in_order():
    proc = run_cli("enrich", str(FIXTURES / "ar_agency_phone_call.txt"), str(FIXTURES / "en_wire.jsonl"))
    assert proc.returncode == 0, proc.stderr.decode()
    events = [orjson.loads(line) for line in proc.stdout.splitlines()]
    assert [e["input"]["format"] for e in events] == ["text/plain"] + ["application/json"] * 3
    assert [e["article_id"] for e in events[1:]] == ["sample-en-1", "sample-en-2", "sample-ar-json-1"]


def test_enrich_stdin_answers_every_line_and_reports_failure_in_exit_status():
    stdin = b'{"id": "ok-1", "body": "First."}\n\xff\xfe broken\n{"id": "bad", "body": 7}\n{"id": "ok-2", "body": "Last."}\n'
    proc = run_cli("enrich", stdin=stdin)
    assert proc.returncode == 1
    lines = [orjson.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == 4
    assert lines[0]["article_id"] == "ok-1" and lines[3]["article_id"] == "ok-2"
    assert lines[1]["error"]["reason"] == "invalid_utf8" and lines[1]["line"] == 2
    assert lines[2]["error"]["reason"] == "wrong_type" and lines[2]["id"] == "bad" and lines[2]["line"] == 3


def test_every_command_has_help():
    for command in ("worker", "enrich", "produce", "tail", "settings"):
        proc = run_cli(command, "--help")
        assert proc.returncode == 0 and b"usage: news-enricher " + command.encode() in proc.stdout
