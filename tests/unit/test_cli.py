"""The batch command: one output line per input, in order, errors as records, exit status."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import tempfile

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
    for command in ("worker", "trending", "enrich", "produce", "tail", "settings"):
        proc = run_cli(command, "--help")
        assert proc.returncode == 0 and b"usage: news-enricher " + command.encode() in proc.stdout


def test_faust_worker_keeps_the_configured_log_level():
    # faust's terminal spinner set the root logger to DEBUG, so every debug call in faust and
    # aiokafka built a log record (about 6 % of the worker's CPU).
    code = (
        "import logging, os\n"
        "from service.app import create_app\n"
        "from service.cli import make_faust_worker\n"
        "from service.settings import Settings\n"
        "s = Settings.from_env()\n"
        "w = make_faust_worker(create_app(s), s)\n"
        "w._setup_logging()\n"
        "level = logging.getLogger().getEffectiveLevel()\n"
        "debug = logging.getLogger('faust.topics').isEnabledFor(logging.DEBUG)\n"
        "os.write(1, f'{level} {debug}'.encode())\n"  # mode redirects sys.stdout to the log
    )
    env = {**os.environ, "NEWS_ENRICHER_LOG_LEVEL": "warning", "NEWS_ENRICHER_DATA_DIR": tempfile.mkdtemp()}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=120, env=env, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[-2:] == [str(logging.WARNING), "False"]


def test_event_loop_setting_installs_the_loop_policy():
    # In a fresh interpreter: the policy is process-wide and pytest-asyncio runs on this one.
    code = ("import asyncio, sys; from service.cli import use_event_loop\n"
            "used = use_event_loop(sys.argv[1])\n"
            "print(used, type(asyncio.new_event_loop()).__module__)")
    def run(choice):
        out = subprocess.run([sys.executable, "-c", code, choice], capture_output=True, text=True,
                             cwd=ROOT, timeout=60, check=True)
        return out.stdout.split()
    assert run("asyncio") == ["asyncio", "asyncio.unix_events"]
    try:
        import uvloop  # noqa: F401
    except ImportError:
        assert run("auto")[0] == "asyncio"
    else:
        assert run("auto") == ["uvloop", "uvloop"]
        assert run("uvloop") == ["uvloop", "uvloop"]


def test_a_crash_in_native_code_leaves_every_thread_stack_in_the_log():
    # what the worker and the trending process do first; then a segmentation fault
    code = ("import threading, time, faulthandler\n"
            "from service.cli import report_crashes\n"
            "report_crashes()\n"
            "threading.Thread(target=time.sleep, args=(30,), daemon=True, name='other').start()\n"
            "faulthandler._sigsegv()\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGSEGV
    err = proc.stderr.decode()
    assert "Fatal Python error: Segmentation fault" in err
    # both threads' stacks ("Current thread 0x...", "Thread 0x..."), not only the crashing one
    assert err.count("hread 0x") >= 2, err
