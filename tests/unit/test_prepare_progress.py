"""The progress display (bars and plain lines) and the summary table."""

import io

from openvino_ui.prepare.progress import Outcome, StepDisplay, human_bytes, summary_table

EVENTS = [
    {"event": "step", "index": 1, "of": 2, "title": "join parts", "total": 3 * 2**20, "unit": "B"},
    {"event": "advance", "n": 3 * 2**20},
    {"event": "step_done", "seconds": 0.25},
    {"event": "step", "index": 2, "of": 2, "title": "export", "total": None, "unit": "B"},
    {"event": "note", "message": "copied as it is"},
    {"event": "step_done", "seconds": 12.0},
]


def feed(bars):
    out = io.StringIO()
    display = StepDisplay("chat", out, bars=bars)
    for event in EVENTS:
        display(event)
    return out.getvalue()


def test_plain_lines_name_model_step_and_time():
    text = feed(bars=False)
    assert "chat [1/2] join parts ..." in text and "chat [1/2] join parts: done in 0.2 s" in text
    assert "chat [2/2] export: done in 12.0 s" in text and "chat: copied as it is" in text


def test_bars_show_progress_per_step():
    text = feed(bars=True)
    assert "chat [1/2] join parts: 100%" in text and "3.00M/3.00M" in text
    assert "chat [2/2] export" in text


def test_summary_table():
    outcomes = [
        Outcome("gemma", "llm", "pypi:gemma3-270m int8", "built", 98.4, 311 * 2**20),
        Outcome("broken", "asr", "local:x int8", "failed", 1.0, None, "model 'broken': boom"),
        Outcome("ranker", "rerank", "-", "skipped", message="bi-encoder"),
    ]
    table = summary_table(outcomes)
    lines = table.splitlines()
    assert lines[0].split() == ["model", "task", "source", "result", "size", "time"]
    assert "311.0 MiB" in table and "98.4 s" in table
    assert "3 model(s): 1 built, 1 failed" in table
    assert "FAILED broken: model 'broken': boom" in table and "note: ranker: bi-encoder" in table
    assert human_bytes(512) == "512 B" and human_bytes(3 * 2**30) == "3.0 GiB" and human_bytes(None) == "-"
