"""Insights and the learning loop (design idea 5 and 7): the conversations turned into
coaching and product work, and people's resolutions turned into knowledge.

    drafts.py     a closed handoff's resolution note → a `Draft` article; review, publish
                  into `<knowledge>/learned/`, reject
    flags.py      agents flag wrong AI answers with a correction; the review queue
    misfiring.py  articles cited in answers that then failed (👎, escalation, re-asked)
    gaps.py       questions the knowledge could not answer, clustered: "write this article"
    accounts.py   verified accounts with repeated struggle, escalations, churn language
    digest.py     the weekly digest for support leads and PMs, through the handoff channels
    similar.py    texts by meaning (the embedding model) or, without it, by words

Everything reads the database through SQLAlchemy and runs on SQLite and PostgreSQL alike;
aggregation happens in SQL where the dialects agree, the rest in Python. docs/learning-loop.md
describes the loop and every definition.
"""

from .common import InsightError

__all__ = ["InsightError"]
