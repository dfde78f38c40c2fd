"""Run every bench in quick mode, one after another, and summarise their ratios.

    .venv/bin/python bench/run_all.py [--json] [--only NAME ...] [--full] [--timeout S]

Every `bench/*.py` that defines `main()` is run (this script and `common.py` excepted) as its
own process, with `--quick` and `--json` when its source offers them. A bench's ratios are the
keys of its JSON output named `ratio*` (and `meets_target` when it has a target); a bench
without JSON shows its last lines. One bench failing does not stop the others; the exit status
is 1 if any failed.
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = ROOT / ".venv/bin/python"
SKIP = {"run_all.py", "common.py"}
_MAIN = re.compile(r"^def main\(", re.M)


def discover() -> list[Path]:
    return sorted(
        p for p in BENCH.glob("*.py") if p.name not in SKIP and _MAIN.search(p.read_text())
    )


def flags(source: str, full: bool) -> list[str]:
    out = []
    if not full and '"--quick"' in source:
        out.append("--quick")
    if '"--json"' in source:
        out.append("--json")
    return out


def ratios(data: Any, prefix: str = "") -> dict[str, Any]:
    """Every `ratio*`, `meets_target` and `target` key, with its path, from nested JSON."""
    found: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, (dict, list)):
                found.update(ratios(value, path))
            elif str(key).startswith("ratio") or key in ("meets_target", "target"):
                found[path] = value
    elif isinstance(data, list):
        for i, value in enumerate(data):
            found.update(ratios(value, f"{prefix}[{i}]"))
    return found


def run_one(script: Path, full: bool, timeout: float) -> dict[str, Any]:
    source = script.read_text()
    argv = [str(PYTHON if PYTHON.exists() else sys.executable), str(script), *flags(source, full)]
    started = time.perf_counter()
    entry: dict[str, Any] = {"bench": script.stem, "command": " ".join(argv[1:])}
    proc = subprocess.Popen(
        argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        # SIGINT first: the bench's `finally` blocks stop its servers and close its sockets
        # (and its servers die with it anyway, see common.server_process); then SIGKILL.
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        entry.update(status="timeout", seconds=round(time.perf_counter() - started, 1))
        return entry
    entry["seconds"] = round(time.perf_counter() - started, 1)
    entry["status"] = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
    if proc.returncode != 0:
        entry["error"] = stderr.strip().splitlines()[-5:]
        return entry
    if "--json" in argv:
        try:
            entry["ratios"] = ratios(json.loads(stdout))
        except json.JSONDecodeError:
            entry["tail"] = stdout.strip().splitlines()[-5:]
    else:
        entry["tail"] = stdout.strip().splitlines()[-5:]
    return entry


def render(results: list[dict[str, Any]]) -> str:
    lines = []
    for r in results:
        lines.append(
            f"{r['bench']:<22} {r['status']:<9} {r.get('seconds', 0):>7.1f}s   {r['command']}"
        )
        for key, value in r.get("ratios", {}).items():
            lines.append(f"    {key:<48} {value}")
        for line in r.get("tail", []) + r.get("error", []):
            lines.append(f"    | {line}")
    missed = [
        f"{r['bench']}:{k}"
        for r in results
        for k, v in r.get("ratios", {}).items()
        if k.endswith("meets_target") and v is False
    ]
    failed = [r["bench"] for r in results if r["status"] != "ok"]
    lines.append("")
    lines.append(
        f"{len(results)} benches; failed: {', '.join(failed) or 'none'}; "
        f"targets missed: {', '.join(missed) or 'none'}"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--only", nargs="*", default=None, help="bench names (file stems)")
    parser.add_argument("--full", action="store_true", help="without --quick")
    parser.add_argument("--timeout", type=float, default=1_800, help="seconds per bench")
    parser.add_argument("--list", action="store_true", help="list the benches and exit")
    args = parser.parse_args()
    scripts = [p for p in discover() if args.only is None or p.stem in args.only]
    if args.list:
        for script in scripts:
            print(script.stem, " ".join(flags(script.read_text(), args.full)))
        return
    results = []
    for script in scripts:
        print(f"[run_all] {script.stem} …", file=sys.stderr, flush=True)
        results.append(run_one(script, args.full, args.timeout))
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(render(results))
    sys.exit(1 if any(r["status"] != "ok" for r in results) else 0)


if __name__ == "__main__":
    main()
