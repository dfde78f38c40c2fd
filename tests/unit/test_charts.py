"""Server-side SVG charts: well-formed, named for assistive technology, every label escaped,
scaled to the data, and honest about empty data."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from pageguide.reports.charts import (
    EMPTY,
    Bar,
    Series,
    bar_chart,
    line_chart,
    nice_ticks,
    percent,
    sparkline,
    stacked_bar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script>&\'"'


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


def titles(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter(f"{SVG}title")]


def all_charts(label: str) -> list[str]:
    weeks = ["Jan 6", "Jan 13", label]
    return [
        bar_chart([Bar(label, 3), Bar("/app/ok", 1, href=f"/reports/page/{label}")], title=label),
        line_chart(weeks, [Series(label, [1, 2, 3], frozenset({1}))], title=label),
        stacked_bar_chart(
            [label, "/x"], [Series(label, [1, 2]), Series("b", [3, 0])], title=label, hrefs=[label]
        ),
        sparkline([1, None, 3], title=label, flagged={2}),
    ]


@pytest.mark.parametrize("index", range(4))
def test_hostile_labels_are_escaped(index: int) -> None:
    svg = all_charts(HOSTILE)[index]
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)
    assert root.find(f"{SVG}script") is None
    assert not list(root.iter(f"{SVG}script"))
    assert HOSTILE in titles(root)  # and the reader still sees exactly what was written
    assert 'href="<' not in svg and "javascript:" not in svg


@pytest.mark.parametrize("index", range(4))
def test_every_chart_is_named_and_has_no_inline_style(index: int) -> None:
    svg = all_charts("Billing")[index]
    root = parse(svg)
    assert root.get("role") in ("img", "group")
    first = root[0]
    assert first.tag == f"{SVG}title" and first.text == "Billing"
    assert first.get("id") in root.get("aria-labelledby", "").split()
    assert "style=" not in svg and "<style" not in svg
    assert "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_bars_scale_to_the_largest_and_carry_their_values() -> None:
    root = parse(
        bar_chart(
            [Bar("/a", 10, note="4 sessions"), Bar("/b", 5), Bar("/c", 0)],
            title="Friction",
            width=500,
        )
    )
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[2] == 0
    assert "/a: 10 (4 sessions)" in titles(root)
    assert root.get("role") == "img"


def test_linked_bars_are_named_links_in_a_group() -> None:
    root = parse(bar_chart([Bar("/a", 1, href="/reports/page/a")], title="T"))
    assert root.get("role") == "group"  # role=img would hide the links from screen readers
    link = root.find(f"{SVG}a")
    assert link is not None and link.get("href") == "/reports/page/a"
    assert link[0].tag == f"{SVG}title" and link[0].text == "/a: 1"


def test_long_labels_are_clipped_but_titled_in_full() -> None:
    long = "/app/" + "very-long-segment/" * 6
    root = parse(bar_chart([Bar(long, 1)], title="T", max_label=20))
    shown = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "label"]
    assert shown == [long[:19] + "…"]
    assert f"{long}: 1" in titles(root)


def test_line_chart_gaps_flags_and_axis() -> None:
    svg = line_chart(
        ["w1", "w2", "w3", "w4"],
        [Series("Friction", [0.2, None, 0.4, 0.5], frozenset({3})), Series("Struggle", [1, 1, 1])],
        title="Trend",
        fmt=percent,
    )
    root = parse(svg)
    lines = [p for p in root.iter(f"{SVG}polyline")]
    assert len(lines) == 3  # the missing week breaks the first line in two
    assert "Friction, w4: 50% — anomaly" in titles(root)
    assert sum(1 for c in root.iter(f"{SVG}circle") if c.get("class") == "anomaly") == 1
    axis = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "axis"]
    assert "0%" in axis and "w1" in axis
    assert {"Friction", "Struggle"} <= {t.text for t in root.iter(f"{SVG}text")}  # legend


def test_stacked_bars_add_up_and_skip_empty_segments() -> None:
    root = parse(
        stacked_bar_chart(
            ["/a", "/b"],
            [Series("rage_click", [2, 0]), Series("dead_click", [1, 4])],
            title="Signals",
        )
    )
    segs = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [s.find(f"{SVG}title").text for s in segs] == [
        "/a · rage_click: 2",
        "/a · dead_click: 1",
        "/b · dead_click: 4",
    ]
    a = sum(float(s.get("width")) for s in segs[:2])
    assert a == pytest.approx(float(segs[2].get("width")) * 3 / 4, abs=0.2)
    values = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "value"]
    assert values == ["3", "4"]


def test_sparkline_describes_its_values() -> None:
    root = parse(sparkline([0.5, 0.25, None, 1], title="CSAT", fmt=percent))
    assert root.find(f"{SVG}desc").text == "50%, 25%, –, 100%"
    assert len(list(root.iter(f"{SVG}polyline"))) == 2


@pytest.mark.parametrize(
    "svg",
    [
        bar_chart([], title="T"),
        line_chart([], [], title="T"),
        line_chart(["w1"], [Series("s", [None])], title="T"),
        stacked_bar_chart(["/a"], [Series("s", [0])], title="T"),
    ],
)
def test_empty_data_says_so(svg: str) -> None:
    root = parse(svg)
    assert EMPTY in "".join(root.itertext())


def test_single_points_and_flat_lines_draw() -> None:
    parse(line_chart(["w1"], [Series("s", [3])], title="T"))
    parse(sparkline([2, 2, 2], title="T"))
    parse(sparkline([], title="T"))


def test_nice_ticks() -> None:
    assert nice_ticks(10) == [0, 2.5, 5, 7.5, 10]
    assert nice_ticks(0.37) == [0, 0.1, 0.2, 0.3, 0.4]
    assert nice_ticks(0) == [0, 1]
    assert nice_ticks(7)[-1] >= 7


def test_ids_differ_between_charts() -> None:
    ids = {re.search(r'id="([^"]+)-t"', svg).group(1) for svg in all_charts("A")}
    assert len(ids) == 4
