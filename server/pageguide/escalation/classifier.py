"""The message classifier: which escalation kinds a message reads like, beyond the phrase rules.

One logistic regression per kind (one-vs-rest) over all-MiniLM-L6-v2 sentence embeddings,
trained when the server starts from `PROTOTYPES` below (plus any examples a site adds). Training
is a few hundred gradient steps on a few hundred vectors (tens of ms after the embeddings);
classifying a message costs one embedding and a 384×6 product. The prototypes are written apart
from the evaluation set (tests/data/escalation_messages.jsonl), which is never trained on; see
docs/escalation.md and bench/escalation_eval.py for how it scores.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from .models import MESSAGE_KINDS, TriggerKind

MAX_SEGMENTS = 4  # the whole message and up to three of its sentences, one batched encode
MAX_CHARS = 2_000  # the protocol's limit for `ask.text`


class Encoder(Protocol):
    """`retrieval.embed.Embedder` fits: normalised float32 rows, one per text."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """The same vectors, kept: retrieval then finds the question already embedded."""
        ...


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    kinds: tuple[TriggerKind, ...]  # empty: must not escalate


def load_examples(path: Path) -> list[Example]:
    """Labelled JSON lines: {"text": ..., "kinds": ["churn_risk", ...]}."""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            examples.append(Example(row["text"], tuple(TriggerKind(k) for k in row["kinds"])))
    return examples


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -30, 30))))


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    l2: float = 1e-4,
    steps: int = 300,
    rate: float = 4.0,
    momentum: float = 0.9,
) -> tuple[np.ndarray, np.ndarray]:
    """One-vs-rest logistic regressions: full-batch gradient descent with Nesterov momentum.

    Classes are balanced because each kind has a few dozen positives among hundreds of
    examples; unweighted, the model learns to say 'no' and recall suffers. Momentum reaches in
    300 steps what plain descent needs 2,000 for: ~0.1 s for 400 examples, in float32.
    """
    x = x.astype(np.float32)
    y = y.astype(np.float32)
    n, d = x.shape
    positives = y.sum(axis=0).clip(min=1)
    sample_w = np.where(y > 0, n / (2.0 * positives), n / (2.0 * (n - positives).clip(min=1)))
    sample_w = sample_w.astype(np.float32)
    weights = np.zeros((d, y.shape[1]), dtype=np.float32)
    bias = np.zeros(y.shape[1], dtype=np.float32)
    v_w = np.zeros_like(weights)
    v_b = np.zeros_like(bias)
    for _ in range(steps):
        ahead_w = weights + momentum * v_w
        ahead_b = bias + momentum * v_b
        g = (_sigmoid(x @ ahead_w + ahead_b) - y) * sample_w / n
        v_w = momentum * v_w - rate * (x.T @ g + l2 * ahead_w)
        v_b = momentum * v_b - rate * g.sum(axis=0)
        weights += v_w
        bias += v_b
    return weights, bias


def _embed(texts: list[str], encoder: Encoder, cache_dir: Path | None) -> np.ndarray:
    if cache_dir is None:
        return encoder.encode(texts)
    # The key holds the texts and a probe vector, so a new model version misses the cache.
    probe = np.round(encoder.encode(["escalation cache probe"])[0], 3).tobytes()
    digest = hashlib.sha256(probe + "\n".join(texts).encode()).hexdigest()[:16]
    path = cache_dir / f"escalation-vectors-{digest}.npy"
    if path.exists():
        try:
            vectors = np.asarray(np.load(path))
            if vectors.shape[0] == len(texts):
                return vectors
        except (OSError, ValueError):
            pass  # a damaged cache is rebuilt
    vectors = encoder.encode(texts)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(path)  # atomic: two processes starting together never read half a file
    return vectors


class EscalationClassifier:
    """Scores a message for each message kind; `triggers.evaluate_message` applies thresholds."""

    def __init__(
        self,
        encoder: Encoder,
        weights: np.ndarray,
        bias: np.ndarray,
        kinds: Sequence[TriggerKind] = MESSAGE_KINDS,
    ) -> None:
        self._encoder = encoder
        self._weights = weights
        self._bias = bias
        self.kinds = tuple(kinds)

    @classmethod
    def train(
        cls,
        encoder: Encoder,
        examples: Iterable[Example] = (),
        *,
        use_prototypes: bool = True,
        l2: float = 1e-4,
        steps: int = 300,
        cache_dir: Path | None = None,
    ) -> EscalationClassifier:
        """Fit on the prototypes (and `examples`). Embedding them is most of the cost (~1 s
        on one core for 400 texts); with `cache_dir` the vectors are kept there, keyed by
        the texts and the model, so later starts skip it."""
        rows = [*(PROTOTYPES if use_prototypes else ()), *examples]
        if not rows:
            raise ValueError("no training examples")
        x = _embed([r.text for r in rows], encoder, cache_dir)
        y = np.array([[kind in r.kinds for kind in MESSAGE_KINDS] for r in rows], np.float32)
        weights, bias = fit_logistic(x, y, l2=l2, steps=steps)
        return cls(encoder, weights, bias)

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """Rows of per-kind probabilities for already-embedded texts."""
        return _sigmoid(vectors @ self._weights + self._bias)

    def score_many(self, texts: Sequence[str]) -> np.ndarray:
        """Per-kind probabilities for each text: the maximum over the whole and its sentences.

        A plea at the end of a long message ("… Can a human take over?") is diluted in the
        embedding of the whole; its own sentence is not. One batched encode per call.
        """
        pieces: list[str] = []
        owners: list[int] = []
        for i, text in enumerate(texts):
            for piece in segments(text):
                pieces.append(piece)
                owners.append(i)
        probs = self.probabilities(self._encoder.encode_cached(pieces))
        out = np.zeros((len(texts), len(self.kinds)), dtype=np.float32)
        np.maximum.at(out, np.asarray(owners), probs)
        return out

    def scores(self, text: str) -> dict[TriggerKind, float]:
        probs = self.score_many([text])[0]
        return {kind: float(p) for kind, p in zip(self.kinds, probs, strict=True)}


_SENTENCE_END = re.compile(r"(?<=[.?!])\s+|\n+")


def segments(text: str, limit: int = MAX_SEGMENTS) -> list[str]:
    """The text, then its sentences when it has several (at most `limit` pieces in all)."""
    text = text.strip()[:MAX_CHARS]
    parts = [p.strip() for p in _SENTENCE_END.split(text) if len(p.strip()) > 2]
    if len(parts) <= 1:
        return [text or " "]
    return [text, *parts[-(limit - 1) :]]  # the last sentences: that is where the ask usually is


# ---------------------------------------------------------------- prototypes
# Written for training only, in other words than the evaluation set's. Negatives lean on the
# hard cases: how-to questions that use 'cancel', 'refund', 'human', 'down', 'support'.


def _block(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.strip().splitlines() if line.strip())


_H, _E, _C = TriggerKind.ASKED_FOR_HUMAN, TriggerKind.STRONG_EMOTION, TriggerKind.CHURN_RISK
_B, _L, _O = TriggerKind.BILLING_DISPUTE, TriggerKind.LEGAL_SECURITY, TriggerKind.OUTAGE

# One example a line; a key of several kinds labels a message that carries each of them.
_LABELLED: dict[tuple[TriggerKind, ...], tuple[str, ...]] = {
    (_H,): _block("""
I want to talk to a real person
can I speak with an agent please
transfer me to a human
connect me to customer support
is there someone I can talk to
need a human
talk to human
let me speak with somebody from your company
I'd like a call back from your team
can a support person help me with this instead
how can I get in touch with your staff
I don't want a bot, I want a person
please get a person to look at my account
operator please
can I chat with someone on your support team
how do I get hold of customer care
is there a live agent available
escalate this to your support team
I need to talk to a specialist about this
can you have someone contact me
speak to a human now
is there an email address for support
I want to talk to sales
you're a bot, I need a human being
can somebody from support call me
hooman pls
plz can i speak to sum1
I need to discuss this with your team directly
no more bot answers, a person please
can I book time with an expert
I want to speak to whoever is in charge
can your team reach out to me by phone
you keep giving me the same article. let someone else handle this
pass this on to a colleague of yours who can actually fix it
send my case to the developers
I'd like a technician to check our account
is a person reading this?
human agent
get a real support engineer on this
i want speak to somebody
could a person from your company get back to me by email
please ask your tech team to look at this
I'm asking for a human, not an article
can I have a word with your account manager
put a person on the chat
"""),
    (_E,): _block("""
this is absolutely infuriating
I'm so angry right now
what the hell is wrong with this app
this product is garbage
I'm extremely disappointed with your service
this is driving me crazy
I hate this stupid interface
you guys are incompetent
unbelievable, it broke again
I'm fed up with these bugs
what a nightmare
I've wasted hours on this nonsense
this is the dumbest thing ever
are you serious right now
I can't believe how bad this is
terrible, just terrible
screw this app
THIS IS NOT WORKING AGAIN
I'm at my wits' end
for god's sake just work
I'm livid
oh come on, not again!
this is beyond frustrating
I'm ready to scream
absolutely hopeless product
you've ruined our reporting
I'm tired of this garbage breaking every week
how is this still broken, it's insane
this makes me want to cry
every single time I open this something is wrong
ugh!!! why does nothing work
I'm so over this app
worst update ever, you broke everything
goddamn it, the chart vanished again
I'm really angry, we lost a client because of this
what kind of amateur software is this
I've never been this annoyed by a tool
this is a total mess and I'm sick of it
you should be ashamed of this product
I am so done being patient with these errors
"""),
    (_C,): _block("""
I'd like to cancel my plan
please cancel our subscription at the end of the month
how can I close my account
we're moving to another analytics tool
we've decided to go with a competitor
I'm leaving for Heap
we will not renew next year
I want to stop my subscription
thinking of cancelling, it's too expensive
this isn't worth the money
terminate my contract
I'm quitting your service
delete my account, I don't want to use this anymore
we are evaluating other vendors
I'd like to end our subscription
how do I stop being a customer
your competitor is cheaper, give me a reason to stay
we'll probably drop the product after this
goodbye, I'm out
we're not going to continue with you next year
we're taking our business somewhere else
how do I turn off auto-renewal, we're done
the board wants us to drop this tool
is there a cancellation fee if we leave early
we're replacing Lumen with an in-house dashboard
pls cancel
how do I unsubscribe from your service entirely
we've outgrown you, time to move on
our budget was cut so we have to let the subscription go
I'm giving up on this product
we signed with another vendor yesterday
can you stop my plan, we won't need it after June
is it easy to export everything before we leave?
we'll be churning at renewal unless this gets fixed
I want to shut down our organization account
remove my credit card and close it all
we're evaluating Plausible as a replacement
I'd like to pause or cancel our account
"""),
    (_B,): _block("""
I got charged two times
I need a refund
please reimburse me for the extra charge
you billed me the wrong amount
I was billed for a plan I never signed up for
why was my card charged again
unauthorized charge on my credit card
my invoice is wrong
I was charged even though I cancelled
I paid for the annual plan but I'm being charged monthly
I'm disputing this charge
give me my money back
there's an extra payment I didn't make
the invoice amount doesn't match my plan
you took money from my account without permission
I want a credit for the downtime
my payment was taken twice
I'm being charged for users who left
your renewal charge was a surprise and I want it cancelled
incorrect tax on my invoice
I never approved this payment
the amount taken from our account is too high
my subscription renewed even though I turned off auto-renew
why is there an overage fee on this month's bill
I was promised a lower price
this charge is a mistake, please fix it
I should not have been billed for June
we paid but the account still says unpaid and you charged us again
the trial converted to paid without my consent
I expect my money returned
my accountant found duplicate payments to you
the seat count on the bill is wrong
you're charging us in dollars, our contract is in euros
I'd like the upgrade reversed and the difference returned
you took the annual fee early
bank says the payment went through twice
"""),
    (_L,): _block("""
I need you to delete everything you have about me
please send me all data you store about me
my account has been compromised
I think someone stole my password and logged in
we discovered a security flaw in your API
I want to report a vulnerability
our legal team needs to talk to you
I will be contacting my attorney
is my data safe after the breach
we need a data processing agreement
you are violating GDPR
there's an injection vulnerability in the search box
I can see data from a different company in my dashboard
who is your data protection officer
we need your security questionnaire filled out
someone got access to our workspace without permission
I'm filing a complaint with the data protection authority
my api token leaked on github
we have a law enforcement request
is our data encrypted at rest? needed for our HIPAA audit
I keep getting login codes I never asked for
remove every trace of my information
our auditors need your penetration test results
suspicious activity on my account
which subprocessors handle our data
we need a signed BAA before go-live
there's a privacy problem, your widget shows emails to other visitors
an ex-colleague can still log in to our workspace
my users' data is visible publicly
this violates our contract terms, escalating to legal
we're being audited and need your ISO certificate
I want my data erased
someone added an admin to our account that we don't know
I got an email saying my password changed but I didn't change it
we need a data export for a legal hold
is this a phishing page pretending to be you
"""),
    (_O,): _block("""
the app is down
nothing is loading for anyone
nobody here can sign in
all of our users are getting errors
the service is unavailable
your servers seem to be offline
we're seeing a major outage
every page gives a server error
the whole platform is not responding
tracking stopped working on all our websites
our entire team gets a 503
is your site down right now
everyone in my company is locked out
dashboards won't load for any of us
the API is timing out for all calls
there's a widespread problem, nothing works
all reports are empty for everyone since the deploy
none of our customers can see the widget
something is broken on your side, nothing loads
is anyone else seeing errors today
you seem to be having an incident
the whole company is seeing a blank page
my colleagues and I all get a gateway timeout
the login is broken for our whole org
since an hour ago no events are recorded on any site
your cdn is not serving the script
every request to the API fails with connection refused
it's down for all our offices, not just me
is there maintenance going on? everything errors
all integrations stopped syncing at the same time
no one can load the reports page
site unreachable from everywhere we tried
"""),
    (_C, _B): _block("""
cancel my plan and give me back what I paid this year
"""),
    (_E, _H): _block("""
this bot is useless, get me a real person
"""),
    (_E, _O): _block("""
are you kidding, the whole thing is down again
"""),
    (_H, _O): _block("""
your service is down for our whole team, I need someone on the phone
"""),
    (_E, _C): _block("""
this is a joke, we're cancelling
"""),
    (): _block("""
how do I create a report
where is the settings page
how do I add a user to my workspace
what does conversion rate mean
can I change the colour of the chart
how do I set up the Slack integration
where do I find billing history
how do I change my payment card
can I pay by invoice
how do I upgrade to the business plan
how do I generate a new API token
how do I cancel a pending invite
how do I stop a running export
how do I delete a dashboard I no longer need
where can I see refunds in the revenue report
how do I label humans and bots in my data
what is a human-readable ID
how do I mention a person in a comment
can I assign this task to someone on my team
how do I give a colleague access
where can I find the support docs
how do I add a contact form to my site
what does the downtime chart show
how do I add a dropdown filter
how do I switch the language
how do I move a widget on the dashboard
how do I track cancellations as an event
what is the chargeback field in the payments export
does the script comply with GDPR cookie rules
how do I hide personal data in recordings
can I turn on 2FA for my team
where do I manage SSO
thanks, that fixed it
great, that's what I needed
ok got it
that didn't quite work, what else can I try
I'm a bit confused about segments
slightly annoying that the date picker resets
hmm, still empty
the page is loading slowly for me
I get an error when I upload a logo
why does my chart show no data for yesterday
not what I meant, I'm asking about exports
the answer was too long, can you summarise
is there an API endpoint for goals
how do I talk to the webhook from Node
what's the agent column in the sessions table
how do I see real-time data
can I duplicate a dashboard
what browsers are supported
how do I end a trial of a feature flag
how long do you keep data
how do I close the sidebar
how do I report on churned users
how do I delete a segment
is it possible to undo my last change
how do I remove the demo data
why is the number different from Google Analytics
can I import data from Mixpanel
can I compare us with competitors in the benchmark report
what does legal entity mean on the invoice form
how do I restore a deleted goal
I'm done, thanks for the help
damn that's clever
my colleague can't find the shared link, where do I send it
I can't log in with Google, only email works for me
how do I add a support email to the widget
what plan am I on
can I get an invoice with our VAT number
the filter is not very intuitive
why is the bounce rate so high on this page
how do I set an alert when traffic drops
a bit irritating that the legend overlaps the chart
the dashboard feels sluggish
is it normal that the report takes a minute
how many seats does the team plan have
how many people can view a shared dashboard
that's not right, try again
still doesn't work, what now
the tooltip is kind of in the way
can several users edit a dashboard at once
does everyone on my team get the email
how do I see errors reported by my app
what does the 500 status filter do
the export button seems to do nothing for me
wow that was fast
how do I contact my visitors through the widget
how do I downgrade a user's role
where is your terms of service
do you have a security page I can link to
what certifications are listed on your trust page
how do I request a feature
can I rename the support tab in the widget
how do I give my agent role more rights
how do I see the conversations my team handed off
can I schedule a call widget in my app
how do I call your API with an expired token
what does HTTP 503 mean in the request log
how do I monitor my own site's outages
how do I send a test event
is there an offline mode
how do I refresh the data
my chart is empty for one page, is that a bug
why did my teammate get logged out
how do I cancel a filter
where can I change my notification settings
how do I remove my card from the account
can I pause a goal
how do I close a conversation in the inbox
what's the difference between pro and business
do you offer discounts for nonprofits
when will I be charged for the next period
can I get monthly invoices instead of annual
how is the price calculated for extra seats
can I see my payment history
what happens to my dashboards if I switch plans
how do I delete old data automatically
how do I set data retention to 30 days
where do I find the audit log
how do I anonymise user ids
can I host the data in the EU
what is a subprocessor field in the export
how do I add an admin
my colleague wants access too
I tried again and it worked, never mind
no worries, figured it out
the link in your answer is broken
I don't want to talk to anyone, just tell me where the setting is
no need for a person, I found it
can you explain that more simply
please answer in French
is it just me or is the font small
annoying popup, how do I hide it
nope, wrong page
that's not the one
hmm not really what I'm after
ok the new menu is taking a while to get used to
eh, the colours are a bit much
the app feels slow this morning on my laptop
is the dashboard usually this slow?
my page takes a few seconds to load, normal?
I got logged out, how do I sign back in
I changed my password and now the app asks me to verify, what do I do
I can't access my account after switching phones
lost my 2FA device, how do I recover
can your assistant hand conversations to our helpdesk
how do I route chats to my team
does the widget support handing off to Intercom
sigh, ok, let me try that
that's odd, the number changed
weird, the button moved
lol ok
well that didn't help much, other ideas?
still confused tbh
I'm not a fan of the new icons
could be clearer, but fine
"""),
}

PROTOTYPES: tuple[Example, ...] = tuple(
    Example(text, kinds) for kinds, texts in _LABELLED.items() for text in texts
)
