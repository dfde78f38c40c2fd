"""The friction score, the scorecard's summary and its anomaly rule: pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from pageguide.reports.anomalies import AnomalyRule, WeekPoint, detect_anomaly
from pageguide.reports.clusters import cluster_vectors, exact_groups
from pageguide.reports.conversations import Conversation
from pageguide.reports.friction import (
    SESSION_PSEUDO,
    FrictionInputs,
    FrictionPrior,
    FrictionWeights,
    friction,
    pooled_prior,
    score_all,
    shrink,
)
from pageguide.reports.issue_types import IssueTypes, article_slug, issue_type_from_tags
from pageguide.reports.scorecard import summarise


def test_shrink_pulls_small_samples_to_the_prior() -> None:
    assert shrink(2, 2, 0.1, 20) == pytest.approx((2 + 2) / 22)
    assert shrink(0, 0, 0.3, 20) == pytest.approx(0.3)
    assert shrink(500, 1000, 0.1, 20) == pytest.approx((500 + 2) / 1020)
    assert shrink(5, 3, 0.0, 0) == 1.0  # clamped to the denominator
    assert shrink(0, 0, 0.4, 0) == 0.4


def test_nothing_wrong_scores_zero_everything_wrong_near_hundred() -> None:
    assert friction(FrictionInputs(sessions=1000)).score == 0.0
    worst = FrictionInputs(
        sessions=10_000,
        struggle_sessions=10_000,
        escalated_sessions=10_000,
        thumbs_down=10_000,
        csat_responses=10_000,
        csat_low=10_000,
    )
    assert friction(worst).score == pytest.approx(100.0, abs=0.3)


def test_the_formula_by_hand() -> None:
    page = FrictionInputs(
        sessions=80,
        struggle_sessions=20,
        escalated_sessions=8,
        thumbs_up=6,
        thumbs_down=4,
        csat_responses=10,
        csat_low=5,
    )
    prior = FrictionPrior(struggle=0.1, escalation=0.05, thumbs_down=0.2, low_csat=0.1)
    got = friction(page, prior)
    struggle = (20 + 20 * 0.1) / 100
    escalation = (8 + 20 * 0.05) / 100
    down = (4 + 10 * 0.2) / 20
    low = (5 + 10 * 0.1) / 20
    expected = 100 * (0.4 * struggle + 0.3 * escalation + 0.15 * down + 0.15 * low)
    assert got.score == pytest.approx(expected, abs=0.01)
    assert (got.struggle, got.escalation, got.thumbs_down, got.low_csat) == pytest.approx(
        (struggle, escalation, down, low), abs=1e-4
    )
    assert got.confidence == pytest.approx(80 / (80 + SESSION_PSEUDO), abs=1e-4)


def test_two_bad_sessions_do_not_top_a_busy_page() -> None:
    tiny = FrictionInputs(
        sessions=2,
        struggle_sessions=2,
        escalated_sessions=2,
        thumbs_down=2,
        csat_responses=1,
        csat_low=1,
    )
    busy = FrictionInputs(
        sessions=2_000,
        struggle_sessions=700,
        escalated_sessions=160,
        thumbs_up=100,
        thumbs_down=60,
        csat_responses=90,
        csat_low=30,
    )
    calm = FrictionInputs(
        sessions=3_000,
        struggle_sessions=90,
        escalated_sessions=15,
        thumbs_up=200,
        thumbs_down=10,
        csat_responses=100,
        csat_low=5,
    )
    tiny_score, busy_score, calm_score = (s.score for s in score_all([tiny, busy, calm]))
    assert busy_score > tiny_score > calm_score
    # unshrunk, the tiny page would have scored 100
    assert tiny_score < 50


def test_pooled_prior_sums_counts() -> None:
    prior = pooled_prior(
        [
            FrictionInputs(sessions=10, struggle_sessions=5, thumbs_up=1, thumbs_down=1),
            FrictionInputs(
                sessions=90, struggle_sessions=5, escalated_sessions=9, csat_responses=4, csat_low=1
            ),
        ]
    )
    assert (prior.struggle, prior.escalation, prior.thumbs_down, prior.low_csat) == (
        0.1,
        0.09,
        0.5,
        0.25,
    )
    assert pooled_prior([]) == FrictionPrior()


def test_weights_are_normalised() -> None:
    page = FrictionInputs(sessions=100, struggle_sessions=50)
    only_struggle = FrictionWeights(struggle=2, escalation=0, thumbs_down=0, low_csat=0)
    assert friction(page, FrictionPrior(), only_struggle).score == pytest.approx(
        100 * 50 / 120, abs=0.01
    )
    assert (
        friction(
            page,
            FrictionPrior(),
            FrictionWeights(struggle=0, escalation=0, thumbs_down=0, low_csat=0),
        ).score
        == 0
    )


def test_inputs_reject_negative_counts() -> None:
    with pytest.raises(ValueError):
        FrictionInputs(sessions=-1)


# ---------------------------------------------------------------- anomaly rule


def weeks(values: list[float | None], volume: int = 50) -> list[WeekPoint]:
    start = date(2026, 1, 5)
    return [
        WeekPoint(week=start + timedelta(weeks=i), value=v, volume=volume if v is not None else 0)
        for i, v in enumerate(values)
    ]


RULE = AnomalyRule(min_volume=20, min_delta=5.0, stdev_floor=2.0)


def test_a_sharp_rise_is_flagged_with_its_numbers() -> None:
    flag = detect_anomaly("page_friction", "/team", weeks([20, 22, 21, 19, 35]), RULE)
    assert flag is not None
    assert (flag.key, flag.value, flag.baseline, flag.volume) == ("/team", 35, 20.5, 50)
    assert flag.z == pytest.approx(14.5 / 2.0, abs=0.01)  # the stdev (1.12) is floored at 2
    assert flag.week == date(2026, 2, 2)
    assert "z = 7.2" in flag.reason


@pytest.mark.parametrize(
    ("values", "volume", "why"),
    [
        ([20, 22, 21, 19, 24], 50, "within the usual spread"),
        ([20, 22, 35], 50, "only two earlier weeks"),
        ([20, 22, 21, 19, 35], 10, "too little volume in the latest week"),
        ([2, 2, 2, 2, 4.5], 50, "doubled but by less than min_delta"),
        ([20, 22, 21, 19, 10], 50, "a fall is not an anomaly"),
        ([20, 22, 21, 19, None], 50, "no data in the latest week"),
        ([], 50, "nothing at all"),
    ],
)
def test_quiet_weeks_are_not_flagged(values: list, volume: int, why: str) -> None:
    assert detect_anomaly("page_friction", "/p", weeks(values, volume), RULE) is None, why


def test_weeks_without_data_are_skipped_in_the_history() -> None:
    assert detect_anomaly("page_friction", "/p", weeks([20, None, 21, None, 19, 40]), RULE)
    assert detect_anomaly("page_friction", "/p", weeks([None, None, 21, 19, 40]), RULE) is None


def test_ratio_rule_and_rise_from_zero() -> None:
    rule = AnomalyRule(min_volume=10, min_delta=0.1, stdev_floor=0.2, z_threshold=99)
    flag = detect_anomaly("issue_escalation_rate", "billing", weeks([0.1, 0.12, 0.1, 0.25]), rule)
    assert flag is not None and flag.ratio == pytest.approx(0.25 / (0.32 / 3), abs=0.01)
    from_zero = detect_anomaly("issue_escalation_rate", "x", weeks([0, 0, 0, 0.3]), rule)
    assert (
        from_zero is not None
        and from_zero.ratio is None
        and "up from nothing" in (from_zero.reason)
    )
    assert detect_anomaly("issue_escalation_rate", "x", weeks([0.1, 0.12, 0.1, 0.18]), rule) is None


def test_history_is_limited_to_recent_weeks() -> None:
    rule = AnomalyRule(min_volume=0, min_delta=1, stdev_floor=1, history_weeks=3)
    # long ago it was high; the last three weeks were low, so the latest week stands out
    assert detect_anomaly("page_friction", "/p", weeks([60, 60, 60, 60, 10, 10, 10, 20]), rule)


# ---------------------------------------------------------------- the scorecard's summary


def conv(**kw) -> Conversation:
    base = dict(
        channel="ai",
        at=datetime(2026, 3, 2, tzinfo=UTC),
        template="/p",
        issue_type="how_to",
        escalated=False,
        finished=True,
        resolved=True,
        first_response_s=1.0,
        resolution_s=10.0,
        csat_responses=0,
        csat_sum=0.0,
        csat_good=0,
    )
    return Conversation(**{**base, **kw})


def test_summarise_by_hand() -> None:
    line = summarise(
        "ai",
        "ai",
        [
            conv(),
            conv(
                resolved=False,
                escalated=True,
                resolution_s=None,
                first_response_s=3.0,
                csat_responses=2,
                csat_sum=6,
                csat_good=1,
            ),
            conv(finished=False, resolved=False, resolution_s=None, first_response_s=None),
            conv(
                first_response_s=2.0, resolution_s=30.0, csat_responses=1, csat_sum=5, csat_good=1
            ),
        ],
    )
    assert (line.conversations, line.finished, line.resolved_first_contact) == (4, 3, 2)
    assert line.fcr == pytest.approx(2 / 3, abs=1e-4)
    assert (line.escalated, line.escalation_rate) == (1, 0.25)
    assert (line.csat_responses, line.csat, line.csat_average) == (
        3,
        pytest.approx(0.6667, abs=1e-4),
        pytest.approx(11 / 3, abs=1e-3),
    )
    assert line.first_response_median_seconds == 2.0
    assert line.resolution_median_seconds == 20.0
    empty = summarise("x", "human", [])
    assert (empty.fcr, empty.csat, empty.escalation_rate) == (None, None, None)


def test_issue_types_from_article_tags() -> None:
    assert article_slug("http://h:8000/help/billing-change-plan#compare") == "billing-change-plan"
    assert article_slug("/help/guides/slack.md") == "guides/slack"
    assert issue_type_from_tags(["billing", "plans"]) == "billing"
    assert issue_type_from_tags(["account", "2fa"]) == "account_access"
    assert issue_type_from_tags(["dashboards"]) == "how_to"
    types = IssueTypes({"billing-change-plan": ["billing"]})
    assert types("/help/billing-change-plan") == "billing"
    assert types("/help/unknown-article") == "unknown"
    assert types(None) == "unknown"


# ---------------------------------------------------------------- clustering, without the model


def test_cluster_vectors_groups_near_directions() -> None:
    x = np.array([[1, 0, 0], [0.95, 0.05, 0], [0, 1, 0], [0.02, 0.98, 0.1], [0, 0, 1]], float)
    clusters = cluster_vectors(x, weights=[1, 5, 3, 1, 1], threshold=0.9)
    assert [sorted(c) for c in clusters] == [[0, 1], [2, 3], [4]]
    assert clusters[0][0] in (0, 1) and clusters[1][0] in (2, 3)
    assert cluster_vectors(np.zeros((0, 3))) == []


def test_exact_groups_fold_case_and_spaces() -> None:
    groups = exact_groups([("How do I?", 2), ("how  do i?", 1), ("Other", 1)])
    assert [(g.label, g.count, g.share) for g in groups] == [
        ("How do I?", 3, 0.75),
        ("Other", 1, 0.25),
    ]
