"""`pageguide ingest` shows its progress the way its stderr can take it: a bar on a terminal,
a log line per tenth of the chunks in a log file (CI, a container), never a bar in a log."""

from __future__ import annotations

import subprocess

from tests.support.cli import json_lines, run, run_on_terminal, write_knowledge

CATALOGUES = 70  # with the billing article: three embedding batches


def test_without_a_terminal_progress_is_a_log_line_per_tenth(tmp_path) -> None:
    write_knowledge(tmp_path / "docs", CATALOGUES)
    done = run(
        ["ingest", str(tmp_path / "docs"), "--data", str(tmp_path / "data"), "--log-format", "json"]
    )
    assert done.returncode == 0, done.stderr
    assert f"{CATALOGUES + 1} added, 0 updated, 0 removed" in done.stdout
    assert "\r" not in done.stderr  # no bar drawn into the log
    lines = json_lines(done.stderr)  # and every line of it is a JSON record
    progress = [r for r in lines if r["message"] == "embedding knowledge"]
    assert len(progress) >= 3
    percents = [r["percent"] for r in progress]
    assert percents == sorted(set(percents)) and percents[-1] == 100
    assert progress[-1]["done"] == progress[-1]["total"]


def test_on_a_terminal_progress_is_a_bar(tmp_path) -> None:
    articles = write_knowledge(tmp_path / "docs", catalogues=2)
    out, terminal = run_on_terminal(
        ["ingest", str(tmp_path / "docs"), "--data", str(tmp_path / "data")]
    )
    assert f"{articles} added" in out
    chunks = int(out.split("; ")[1].split()[0])  # "...; N chunks embedded in ..."
    assert "embedding:" in terminal and "\r" in terminal  # a bar, redrawn in place
    assert f"{chunks}/{chunks}" in terminal and "100%" in terminal
    assert "embedding knowledge" not in terminal  # and no per-tenth log lines besides it


def test_a_missing_folder_is_refused_before_anything_loads(tmp_path) -> None:
    done = run(["ingest", str(tmp_path / "nowhere")], stderr=subprocess.PIPE)
    assert done.returncode == 2
    assert "does not exist" in done.stderr
