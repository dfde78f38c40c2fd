"""Page-pattern matching when every route shares a prefix: the segment trie against checking
every pattern, in the same run.

    .venv/bin/python bench/page_map.py [--json] [--quick] [-n N]

A synthetic help centre of 1,380 articles whose `pages` patterns all live under `/app/`, as in
an app whose routes are `/app/<area>/<object>/…`: 20 areas × 30 objects, each article mapped
to one to three of `/app/<area>/<object>/*`, `/app/<area>/<object>`,
`/app/<area>/:id/edit`, `/app/<area>/<object>/:id`, `/app/<area>/dash*`, `/app/<area>`,
`/app/<area>/<object>/new`, `/app/<area>/<object>/:id/<subpage>`, and a few to `/app/*`.
Page views are `/app/…` paths with ids, trailing slashes, mixed case and query strings.

Two subjects, each timed per call, interleaved call by call with its baselines so all see the
same machine:
- `PageMap.matches(path, None)` (retrieval's and the suggestions' per-page lookup); baseline:
  checking every pattern of every article with `path_matches`; also shown, the first-segment
  buckets that the trie replaced (with one shared first segment they check every pattern);
- `routes.template_for(path, None, patterns)` (every page frame, on the event loop) over the
  sorted unique patterns, as the gateway passes them; baseline: every pattern checked in turn.
Each call's answer is compared with its baseline's; the report gives p50/p95 in µs and the
ratio of p50s (baseline / trie), plus the one-off cost of building each structure. template_for
finds its trie by the tuple of patterns it is given; the walk alone is shown apart.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # puts server/ and the repo root on sys.path
from pageguide.retrieval.pages import PageMap, _compile, _segments, path_matches, specificity
from pageguide.routes import normalise, route_templates, template_for

ARTICLES = 1_380
AREAS = 20
OBJECTS = 30


def help_centre(seed: int = 7) -> list[tuple[str, ...]]:
    rng = random.Random(seed)
    shapes = [
        "/app/{a}/{o}/*",
        "/app/{a}/{o}",
        "/app/{a}/:id/edit",
        "/app/{a}/{o}/:id",
        "/app/{a}/dash*",
        "/app/{a}",
        "/app/{a}/{o}/new",
        "/app/{a}/{o}/:id/{s}",
    ]
    subpages = ["history", "members", "settings", "export"]
    articles = []
    for _ in range(ARTICLES):
        area, obj = f"area{rng.randrange(AREAS)}", f"object{rng.randrange(OBJECTS)}"
        if rng.random() < 0.02:
            articles.append(("/app/*",))
            continue
        chosen = rng.sample(shapes, rng.randint(1, 3))
        sub = rng.choice(subpages)
        articles.append(tuple(s.format(a=area, o=obj, s=sub) for s in chosen))
    return articles


def page_views(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        area, obj = f"area{rng.randrange(AREAS)}", f"object{rng.randrange(OBJECTS)}"
        path = rng.choice(
            [
                f"/app/{area}/{obj}/{rng.randrange(10**6)}",
                f"/app/{area}/{obj}",
                f"/app/{area}/{rng.randrange(10**6)}/edit",
                f"/App/{area.capitalize()}/{obj}/",
                f"/app/{area}/dashboard",
                f"/app/{area}/{obj}/{rng.randrange(10**6)}/history",
                f"/app/{area}/{obj}/new",
            ]
        )
        out.append(path + rng.choice(["", "", "/", "?tab=2"]))
    return out


def every_pattern(articles: list[tuple[str, ...]], path: str) -> dict[int, int]:
    """The baseline: every pattern of every article checked with `path_matches`."""
    out: dict[int, int] = {}
    for article, patterns in enumerate(articles):
        for pattern in patterns:
            if path_matches(pattern, path):
                tight = specificity(pattern)
                out[article] = max(tight, out.get(article, tight))
    return out


class FirstSegmentBuckets:
    """The PageMap the trie replaced: patterns bucketed by their first literal segment."""

    def __init__(self, patterns_per_article: list[tuple[str, ...]]) -> None:
        self._by_first: dict[str, list[tuple[int, str, int]]] = {}
        for article, patterns in enumerate(patterns_per_article):
            for pattern in patterns:
                parts, _ = _compile(pattern)
                literal = bool(parts) and not (parts[0].startswith(":") or "*" in parts[0])
                key = parts[0] if literal else "*"
                self._by_first.setdefault(key, []).append((article, pattern, specificity(pattern)))

    def matches(self, path: str) -> dict[int, int]:
        out: dict[int, int] = {}
        segments = _segments(path)
        first = segments[0] if segments else ""
        for article, pattern, tight in (
            *self._by_first.get(first, ()),
            *self._by_first.get("*", ()),
        ):
            known = out.get(article)
            if (known is None or tight > known) and path_matches(pattern, path):
                out[article] = tight
        return out


def template_checking_every_pattern(path: str, patterns: Iterable[str]) -> str:
    """template_for before the trie (no declared route)."""
    matching = [p for p in patterns if path_matches(p, path) and "*" not in p]
    if matching:
        return max(matching, key=specificity)
    return normalise(path)[:300]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def stats_us(values_s: list[float]) -> dict[str, float]:
    us = [v * 1e6 for v in values_s]
    return {
        "p50_us": round(common.percentile(us, 0.50), 2),
        "p95_us": round(common.percentile(us, 0.95), 2),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    n = args.n or (300 if args.quick else 3_000)
    articles = help_centre()
    patterns = sorted({p for a in articles for p in a})  # as Knowledge.page_patterns gives them
    build_map_s, page_map = timed(lambda: PageMap(articles))
    build_routes_s, templates = timed(lambda: route_templates(tuple(patterns)))
    buckets = FirstSegmentBuckets(articles)
    paths = page_views(n)
    for path in paths[:50]:  # warm-up: regex and _compile caches, as in a running server
        page_map.matches(path, None)
        every_pattern(articles, path)
        template_checking_every_pattern(path, patterns)

    times: dict[str, list[float]] = {k: [] for k in ("every", "buckets", "trie", "tpl_every")}
    times["tpl_trie"] = []
    times["tpl_walk"] = []  # the walk alone, without making the cache key from the patterns
    found = 0
    for path in paths:
        t_every, want = timed(lambda p=path: every_pattern(articles, p))
        t_buckets, got_buckets = timed(lambda p=path: buckets.matches(p))
        t_trie, got = timed(lambda p=path: page_map.matches(p, None))
        t_tpl_every, want_tpl = timed(lambda p=path: template_checking_every_pattern(p, patterns))
        t_tpl_trie, got_tpl = timed(lambda p=path: template_for(p, None, patterns))
        t_tpl_walk, walked = timed(lambda p=path: templates.best(p))
        if walked is None:
            walked = normalise(path)[:300]
        if got != want or got_buckets != want or got_tpl != want_tpl or walked != want_tpl:
            raise SystemExit(f"answers differ on {path}")
        found += len(got)
        for key, t in zip(
            times, (t_every, t_buckets, t_trie, t_tpl_every, t_tpl_trie, t_tpl_walk), strict=True
        ):
            times[key].append(t)

    s = {k: stats_us(v) for k, v in times.items()}
    return {
        "articles": ARTICLES,
        "patterns": sum(len(a) for a in articles),
        "unique_patterns": len(patterns),
        "page_views": n,
        "articles_matched_per_view": round(found / n, 1),
        "build_ms": {
            "page_map": round(build_map_s * 1e3, 2),
            "route_templates": round(build_routes_s * 1e3, 2),
        },
        "page_map": {
            "every_pattern": s["every"],
            "first_segment_buckets": s["buckets"],
            "trie": s["trie"],
            "ratio_p50": common.ratio(s["every"]["p50_us"], s["trie"]["p50_us"]),
            "ratio_p95": common.ratio(s["every"]["p95_us"], s["trie"]["p95_us"]),
        },
        "template_for": {
            "every_pattern": s["tpl_every"],
            "trie": s["tpl_trie"],
            "trie_walk_only": s["tpl_walk"],
            "ratio_p50": common.ratio(s["tpl_every"]["p50_us"], s["tpl_trie"]["p50_us"]),
            "ratio_p95": common.ratio(s["tpl_every"]["p95_us"], s["tpl_trie"]["p95_us"]),
        },
        "machine": common.machine_note(),
    }


def render(r: dict[str, Any]) -> str:
    pm, tf = r["page_map"], r["template_for"]
    rows = [
        [
            "PageMap.matches: every pattern",
            pm["every_pattern"]["p50_us"],
            pm["every_pattern"]["p95_us"],
        ],
        [
            "PageMap.matches: first-segment buckets",
            pm["first_segment_buckets"]["p50_us"],
            pm["first_segment_buckets"]["p95_us"],
        ],
        ["PageMap.matches: trie", pm["trie"]["p50_us"], pm["trie"]["p95_us"]],
        [
            "template_for: every pattern",
            tf["every_pattern"]["p50_us"],
            tf["every_pattern"]["p95_us"],
        ],
        ["template_for: trie", tf["trie"]["p50_us"], tf["trie"]["p95_us"]],
        [
            "  of which the walk (no cache key)",
            tf["trie_walk_only"]["p50_us"],
            tf["trie_walk_only"]["p95_us"],
        ],
    ]
    return "\n".join(
        [
            f"{r['articles']} articles, {r['patterns']} patterns ({r['unique_patterns']} unique), "
            f"all under /app/; {r['page_views']} /app/ page views, "
            f"{r['articles_matched_per_view']} articles matched per view",
            common.table(["per page view", "p50 µs", "p95 µs"], rows),
            f"PageMap.matches: every pattern / trie = {pm['ratio_p50']:.1f}× at p50, "
            f"{pm['ratio_p95']:.1f}× at p95",
            f"template_for: every pattern / trie = {tf['ratio_p50']:.1f}× at p50, "
            f"{tf['ratio_p95']:.1f}× at p95",
            f"built once per knowledge version: PageMap {r['build_ms']['page_map']} ms, "
            f"route templates {r['build_ms']['route_templates']} ms",
            r["machine"],
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("-n", type=int, default=0, help="page views (default 3,000)")
    parser.add_argument("--quick", action="store_true", help="300 page views")
    args = parser.parse_args()
    common.emit(run(args), args.json, render)


if __name__ == "__main__":
    main()
