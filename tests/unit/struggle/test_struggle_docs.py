"""docs/struggle.md names every setting, signal and reason, and its results table is current."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from pageguide.struggle import DEFAULT_SETTINGS, SignalKind, StruggleSettings

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "struggle.md").read_text(encoding="utf-8")
REASONS = [
    "unanswered_click_chain",
    "repeated_dead_click",
    "repeated_invalid",
    "repeated_request",
    "error_after_action",
    "page_loop",
    "quick_back",
    "idle_with_form_errors",
    "idle_after_failure",
    "opened_without_asking",
]


def test_every_setting_is_documented_with_its_default():
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", DOC, flags=re.MULTILINE))
    for name, field in StruggleSettings.model_fields.items():
        assert name in rows, f"{name} missing from the settings table"
        assert field.description, f"{name} has no description"
        default = getattr(DEFAULT_SETTINGS, name)
        if isinstance(default, int | float):
            assert rows[name].strip() == f"{default:g}", (name, rows[name], default)


def test_every_signal_and_reason_is_documented():
    for kind in SignalKind:
        assert f"### {kind.value}" in DOC
    for reason in REASONS:
        assert f"`{reason}`" in DOC or f"reason: {reason}" in DOC, reason


def test_results_table_matches_the_bench():
    spec = importlib.util.spec_from_file_location(
        "struggle_eval", ROOT / "bench" / "struggle_eval.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    try:
        spec.loader.exec_module(bench)
        report = bench.evaluate(bench.load())
    finally:
        del sys.modules[spec.name]
    for row in report["rows"]:
        name = "pageguide" if row["detector"] == "pageguide" else None
        cells = [row["signal"], row["support"], row["tp"], row["fp"], row["fn"]]
        cells += [f"{row[k]:.3f}" for k in ("precision", "recall", "f1")]
        line = " | ".join(str(c) for c in cells) + " |"
        matching = [
            doc_line
            for doc_line in DOC.splitlines()
            if doc_line.endswith(line) and (name is None or doc_line.startswith(f"| {name} |"))
        ]
        assert matching, f"docs/struggle.md lacks the row for {row['detector']}: {line}"
