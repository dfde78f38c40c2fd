"""Escalation triggers: should this conversation go to a person, and why.

Pure code. Two kinds of evidence feed one list of `TriggerHit`s:

- a message (`evaluate_message`): phrase rules below, plus the embedding classifier
  (`classifier.py`) for phrasings the rules do not know, plus an optional LLM vote on the
  borderline cases (`evaluate_message_with_vote`);
- the conversation (`evaluate_state`): verified account attributes, answer confidence,
  thumbs-down feedback, struggle after help was shown; and the widget's `escalate` action
  (`evaluate_action`).

`should_escalate` turns hits into a decision. docs/escalation.md describes every trigger.
"""

from __future__ import annotations

import asyncio
import enum
import re
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from ..identity import VerifiedAccount


class TriggerKind(enum.StrEnum):
    # from what the user wrote
    ASKED_FOR_HUMAN = "asked_for_human"
    STRONG_EMOTION = "strong_emotion"
    CHURN_RISK = "churn_risk"
    BILLING_DISPUTE = "billing_dispute"
    LEGAL_SECURITY = "legal_security"
    OUTAGE = "outage"
    # from the verified account
    ENTERPRISE_ACCOUNT = "enterprise_account"
    HIGH_VALUE_ACCOUNT = "high_value_account"
    NAMED_ACCOUNT = "named_account"
    # from the conversation
    LOW_CONFIDENCE = "low_confidence"
    THUMBS_DOWN = "thumbs_down"
    REPEATED_STRUGGLE = "repeated_struggle"


MESSAGE_KINDS: tuple[TriggerKind, ...] = (
    TriggerKind.ASKED_FOR_HUMAN,
    TriggerKind.STRONG_EMOTION,
    TriggerKind.CHURN_RISK,
    TriggerKind.BILLING_DISPUTE,
    TriggerKind.LEGAL_SECURITY,
    TriggerKind.OUTAGE,
)
ACCOUNT_KINDS: frozenset[TriggerKind] = frozenset(
    {TriggerKind.ENTERPRISE_ACCOUNT, TriggerKind.HIGH_VALUE_ACCOUNT, TriggerKind.NAMED_ACCOUNT}
)

Score = Annotated[float, Field(ge=0.0, le=1.0)]
HitSource = Literal["rule", "classifier", "llm", "action", "account", "conversation"]


class TriggerHit(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: TriggerKind
    score: Score
    reason: str  # one line a support agent reads
    evidence: str = ""  # the words or numbers that fired it
    source: HitSource = "rule"


class TriggerSettings(BaseModel):
    """Which triggers run and their thresholds. A site's `[escalation]` table maps onto it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: frozenset[TriggerKind] = Field(
        frozenset(TriggerKind), description="Triggers that may fire (all by default)."
    )
    classifier_threshold: Score = Field(
        0.5, description="Classifier probability at which a message kind fires."
    )
    classifier_thresholds: dict[TriggerKind, Score] = Field(
        {}, description="Per-kind overrides of `classifier_threshold`."
    )
    llm_band: Score = Field(
        0.25,
        description="With an LLM configured, scores this far below the threshold are put to "
        "an LLM vote; below the band the classifier's 'no' stands.",
    )
    llm_timeout_s: Annotated[float, Field(gt=0)] = Field(
        3.0, description="The vote is skipped (the classifier decides) when the LLM is slower."
    )
    low_confidence_below: Score = Field(
        0.35, description="An answer below this retrieval confidence counts as low confidence."
    )
    low_confidence_streak: Annotated[int, Field(ge=1)] = Field(
        2, description="Low-confidence answers in a row that fire `low_confidence`."
    )
    thumbs_down_count: Annotated[int, Field(ge=1)] = Field(
        1, description="Answers rated down that fire `thumbs_down`."
    )
    struggle_after_help: Annotated[int, Field(ge=1)] = Field(
        2, description="Struggle signals on one page after help was shown there."
    )
    enterprise_tiers: frozenset[str] = Field(
        frozenset({"enterprise"}), description="Verified account tiers that count as enterprise."
    )
    mrr_threshold: Annotated[float, Field(ge=0)] | None = Field(
        None, description="Verified MRR at or above which an account is high value (off: None)."
    )
    named_accounts: frozenset[str] = Field(
        frozenset(), description="Verified account ids (or names) always routed to people."
    )
    key_accounts_escalate_alone: bool = Field(
        False,
        description="If true, an account rule alone hands over every conversation; otherwise "
        "it raises priority and lowers the low-confidence streak to one answer.",
    )


DEFAULT_SETTINGS = TriggerSettings()


# ---------------------------------------------------------------- conversation state


class AnswerNote(BaseModel):
    model_config = ConfigDict(frozen=True)

    message_id: str
    confidence: Score


class FeedbackNote(BaseModel):
    model_config = ConfigDict(frozen=True)

    message_id: str
    rating: Literal["up", "down"]


class PageMoment(BaseModel):
    """Help shown on a page (an answer or a nudge), or a struggle signal there."""

    model_config = ConfigDict(frozen=True)

    page_path: str
    at_ms: int
    kind: str = ""


class ConversationState(BaseModel):
    """What the triggers know about a conversation besides the current message.

    `account` must come from a verified identity token only (`identity.VerifiedIdentity`),
    never from what the browser claims.
    """

    model_config = ConfigDict(frozen=True)

    answers: tuple[AnswerNote, ...] = ()  # oldest first
    feedback: tuple[FeedbackNote, ...] = ()
    help_shown: tuple[PageMoment, ...] = ()
    struggles: tuple[PageMoment, ...] = ()
    account: VerifiedAccount | None = None
    offered_human: bool = False  # the last answer offered a person


EMPTY_STATE = ConversationState()


class MessageScorer(Protocol):
    """The classifier as the triggers see it (see classifier.py)."""

    def scores(self, text: str) -> Mapping[TriggerKind, float]: ...


LlmVote = Callable[[str, Sequence[TriggerKind]], Awaitable[Collection[TriggerKind]]]
"""Given a message and candidate kinds, return the kinds the LLM agrees apply."""


# ---------------------------------------------------------------- phrase rules


@dataclass(frozen=True, slots=True)
class Rule:
    """A named pattern; `also` must match somewhere too, `unless` vetoes the rule."""

    name: str
    pattern: re.Pattern[str]
    also: re.Pattern[str] | None = None
    unless: re.Pattern[str] | None = None

    def search(self, text: str) -> str | None:
        found = self.pattern.search(text)
        if found is None:
            return None
        if self.also is not None and self.also.search(text) is None:
            return None
        if self.unless is not None and self.unless.search(text) is not None:
            return None
        return found.group(0)


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.VERBOSE)


# Vocabulary shared by several rules.
_PERSON = r"""(?:human|humans|person|people|someone|somebody|agent|agents|rep|reps|representative
    |operator|manager|supervisor|engineer|engineers|staff|support|customer\s(?:service|support|care)
    |help\s?desk|sales|member|team\smember|specialist|advisor|adviser|consultant|conseiller)\b"""
_DET = r"(?:a\s|an\s|the\s|some\s|your\s|one\sof\syour\s|a\smember\sof\syour\s)?"
_REAL = r"(?:real\s|actual\s|live\s|human\s)?"
_FAILURE = r"""\b(?:can'?t|cannot|unable|locked\sout|not\s(?:working|loading|responding)
    |isn'?t\s(?:working|loading)|won'?t\s(?:load|work|open)|down|broken|errors?|timeouts?
    |timing\sout|fail\w*|stopped|spins?|spinning|zero|50[0234]|blank|crash\w*|nothing\sworks)\b"""
_COMPETITORS = r"""(?:mixpanel|amplitude|google\sanalytics|ga4|heap|posthog|plausible|fathom
    |matomo|hotjar|pendo|segment|intercom|zendesk|hubspot|fullstory|looker|tableau|piwik)"""

RULES: dict[TriggerKind, tuple[Rule, ...]] = {
    TriggerKind.ASKED_FOR_HUMAN: (
        Rule("talk_to_person", _re(
            rf"\b(?:talk|speak|chat|tlak|speek)\w*\s+(?:to|with)\s+{_DET}{_REAL}{_PERSON}")),
        Rule("real_person", _re(
            r"\b(?:real|actual|live|human|flesh\sand\sblood)[\s-]+(?:person|human|being|agent"
            r"|people|support|chat|operator)\b")),
        Rule("connect_me", _re(
            r"\b(?:connect|transfer|put|patch|forward|pass|hand|escalate|route|send)\w*\s+"
            r"(?:me|us|this|it|my\s\w+)\s+(?:through\s|over\s)?(?:to|with)\s+"
            rf"{_DET}(?:\w+\s)?{_PERSON}")),
        Rule("reach_person", _re(
            r"\b(?:reach|contact|get\shold\sof|get\sin\stouch\swith|email|call|ring|phone)\s+"
            rf"{_DET}{_REAL}(?:{_PERSON}|team\b)")),
        Rule("get_me_person", _re(
            r"\b(?:get|give|find|bring)\s+(?:me|us)\s+(?:a\s|an\s|some\s)?"
            r"(?:human|person|agent|operator|real|someone|somebody|manager|rep)\b")),
        Rule("want_person", _re(
            r"\b(?:want|need|prefer|rather\shave|like)\s+(?:a\s|an\s)?(?:real\s|actual\s)?"
            r"(?:human|person|agent|operator|representative)\b")),
        Rule("need_somebody", _re(
            r"\b(?:want|need)\s+(?:somebody|someone)\s+(?:who|that|from|to\s(?:help|look|call"
            r"|check|contact))")),
        Rule("call_me_back", _re(
            r"\b(?:give|send)\s+me\s+a\s+(?:call|ring|phone\scall)\b|\b(?:call|ring|phone"
            r"|email|contact|get\sback\sto|reach\sout\sto)\s+me\b(?:\s+back)?")),
        Rule("ticket", _re(
            r"\b(?:open|file|raise|create|submit|log)\s+(?:a\s+)?(?:support\s+)?(?:ticket|case)\b")),
        Rule("phone_line", _re(
            r"\b(?:phone|telephone)\s(?:number|line|support)\b|\bnumber\si\scan\scall\b")),
        Rule("anyone_there", _re(r"\bis\s(?:there\s)?any(?:one|body)\s(?:there|real|around)\b")),
        Rule("who_to_contact", _re(
            r"\bwho\s(?:can|should|do)\si\s(?:contact|talk\sto|speak\sto|reach|call|email)\b")),
        Rule("one_word", _re(
            r"""^\W*(?:agent|human|operator|representative|rep|a\sperson|person|real\sperson
            |live\sagent|customer\sservice|support\splease|a\shuman)\W*
            (?:please|pls|plz|now)?\W*$""")),
        Rule("other_language", _re(
            r"""\bhablar\scon\s(?:una\spersona|un\shumano|alguien|un\sagente|soporte)
            |\bparler\s(?:à|a)\s(?:un|une|quelqu)\S*\s?(?:humain|personne|conseill\w*|agent)?
            |\bmit\s(?:einem|einer|jemandem)\s?(?:menschen|mitarbeiter\w*|berater\w*)?\s
            (?:sprechen|reden)""")),
    ),
    TriggerKind.STRONG_EMOTION: (
        Rule("swearing", _re(
            r"""\b(?:f+u+c+k+\w*|f\*+c?k\w*|fck\w*|fking|effing|shit\w*|sh\*t|bullshit|wtf|ffs
            |omfg|goddamn\w*|screw\s(?:this|you|it)|pissed)\b""")),
        Rule("mild_swearing", _re(r"\b(?:damn\w*|crap\w*|bloody|hell)\b"),
             unless=_re(r"\b(?:thanks?|thank\syou|thx|great|awesome|neat|nice|love|perfect"
                        r"|cool|amazing|helpful|worked|quick|easy|clever)\b")),
        Rule("this_is_outrageous", _re(
            r"""\b(?:this\sis|that'?s|it'?s|this\sis\sjust|how|what\sa|so)\s(?:\w+\s)?
            (?:ridiculous|absurd|unacceptable|outrageous|insane|a\sjoke|pathetic|a\sdisgrace
            |disgraceful|infuriating|unbelievable|terrible|horrible|awful|nightmare|mess
            |disaster)\b""")),
        Rule("strong_feeling", _re(
            r"""\b(?:so|very|really|extremely|incredibly|absolutely|beyond|totally|fucking|super)
            \s(?:frustrated|frustrating|angry|furious|annoyed|upset|pissed|mad|livid
            |disappointed|fed\sup)\b""")),
        Rule("i_am_furious", _re(
            r"""\b(?:i'?m|i\sam|we'?re|we\sare)\s(?:\w+\s)?(?:furious|livid|fuming|outraged
            |disgusted|fed\sup|sick\sand\stired|losing\smy\smind|at\smy\swits'?\send)""")),
        Rule("contempt", _re(
            r"""\b(?:useless|garbage|rubbish|pathetic|atrocious|incompetent)\b
            |\b(?:worst|most\suseless)\s(?:\w+\s){0,3}?(?:ever|software|product|app|tool
            |experience|service|support)\b""")),
        Rule("exasperation", _re(
            r"""\bare\syou\s(?:kidding|serious|joking)|\bseriously\s?[?!]{2}|\bi'?ve\shad\sit
            |\bhad\senough\b|\bwasted\s(?:my|our)\s(?:\w+\s)?(?:time|day|afternoon|morning
            |week|hours|evening)|\byou\speople\b|\bi\shate\s(?:this|it|you)\b|\bsick\s(?:and|&)
            \stired\b|\bfed\sup\b|\bthanks\sfor\snothing\b|\bdriving\sme\s(?:crazy|mad|nuts)""")),
    ),
    TriggerKind.CHURN_RISK: (
        Rule("cancel_subscription", _re(
            r"""\b(?:cancel\w*|terminat\w*|end|ending|close|closing|deactivat\w*|delet\w*
            |shut\sdown)\s(?:of\s)?(?:my|our|the|this)?\s?(?:whole\s|entire\s)?
            (?:subscription|account|plan|contract|membership|workspace|organi[sz]ation
            |service|paid\splan|licen[cs]e)\b""")),
        Rule("account_cancelled", _re(
            r"\b(?:account|subscription|plan|workspace)\s(?:\w+\s)?(?:deactivated|cancell?ed"
            r"|closed|terminated|deleted)\b|\bcancel\s(?:everything|it\sall)\b")),
        Rule("switching", _re(
            rf"""\b(?:switch\w*|mov\w+|migrat\w+|go\w*\sback|going|leav\w+)\s(?:over\s)?
            (?:to|for)\s(?:a\s)?(?:competitor|another\s(?:tool|product|vendor|provider|platform
            |solution|service)|{_COMPETITORS}\b)""")),
        Rule("alternatives", _re(
            r"""\b(?:look\w*|shop\w*|consider\w*|evaluat\w*|explor\w*|found|find\w*|try\w*)
            \s(?:at\s|for\s|out\s)?(?:other\s|some\s)?(?:alternatives|competitors?
            |another\s(?:tool|product|vendor|provider|platform|solution)|other\s(?:tools
            |products|vendors|options|solutions))""")),
        Rule("done_with", _re(
            r"""\b(?:i'?m|i\sam|we'?re|we\sare)\s(?:so\s|completely\s|totally\s)?
            (?:done|finished|through)\swith\s(?:this|it|you|your\s\w+|the\s(?:product|app
            |service|tool))\b""")),
        Rule("not_renewing", _re(
            r"""\b(?:not|won'?t|will\snot|don'?t\splan\sto|aren'?t\sgoing\sto)\s(?:be\s)?
            renew\w*|\b(?:stop|quit)\s(?:using|paying)\b|\bwhy\s(?:should|would)\s(?:we|i)
            \s(?:keep|continue)\s(?:paying|using)""")),
        Rule("leaving", _re(r"\bwe'?re\s(?:leaving|out)\b|\bwe\sare\s(?:leaving|out)\b")),
        Rule("unsubscribe_paid", _re(
            r"\bunsubscrib\w*\s(?:from\s)?(?:the\s|my\s|our\s)?(?:paid|pro|premium|business"
            r"|plan|subscription|service)")),
        Rule("out_of_contract", _re(
            r"\b(?:get|want|way)\sout\sof\s(?:the|my|our|this)\s(?:\w+\s)?(?:contract|plan"
            r"|subscription|agreement|commitment)")),
        Rule("not_worth_it", _re(
            r"""\bdowngrad\w*\s(?:me\s|us\s|(?:my|our)\s(?:account|plan)\s)?to\s(?:the\s)?
            (?:free|starter|basic|cheapest)|\b(?:not|isn'?t|no\slonger)\b[^.?!]{0,20}
            \bworth\s(?:it|the\s(?:money|price|cost))|\bjustify\sthe\s(?:price|cost)""")),
    ),
    TriggerKind.BILLING_DISPUTE: (
        Rule("double_charge", _re(
            r"""\b(?:charged|billed|debited|invoiced)\s(?:\w+\s)?(?:twice|two\stimes|double
            |multiple\stimes|2x|three\stimes)\b|\bdouble[\s-]?(?:charged|billed|charge|payment)
            |\b(?:two|2|duplicate|multiple)\s(?:separate\s)?(?:payments|charges|invoices
            |transactions)\b""")),
        Rule("refund", _re(r"\brefund(?:ed|s)?\b|\b(?:my|our|the)\smoney\sback\b|\breimburs\w*"
                           r"|\b(?:want|need)\s(?:a\s)?credit\b")),
        Rule("chargeback", _re(
            r"\bcharge\s?backs?\b|\bdisput\w+\s(?:the\s|a\s|this\s)?(?:charge|payment"
            r"|transaction)|\bdisputed\b")),
        Rule("unrecognised_charge", _re(
            r"""\b(?:charge|payment|transaction|debit)s?\b[^.?!]{0,30}\b(?:don'?t|do\snot
            |didn'?t|did\snot|can'?t|cannot)\s(?:recogni[sz]e|authori[sz]e|know)
            |\bunauthori[sz]ed\s(?:charge|payment|transaction|debit)""")),
        Rule("charged_after_cancel", _re(
            r"""\b(?:charged|billed|invoiced)\b[^.?!]{0,40}\b(?:after|even\sthough|despite
            |although)\b[^.?!]{0,30}\b(?:cancel\w*|downgrad\w*|removed|deleted|closed)
            |\b(?:charged|billed|paying|invoiced)\sfor\s(?:a\s|an\s|the\s)?(?:\w+\s){0,3}
            (?:i|we)\s(?:removed|deleted|cancell?ed|downgraded|never\sused)""")),
        Rule("wrong_amount", _re(
            r"""\b(?:overcharg\w*|over-charg\w*|wrongly\s(?:charged|billed)|incorrect(?:ly)?
            \s(?:charged|billed|invoice|charge|amount)|billing\s(?:error|mistake))\b
            |\b(?:invoice|bill|charge|price|renewal|statement)\b[^.?!]{0,50}\b(?:wrong
            |incorrect|different|mistake|doesn'?t\smatch|too\shigh|went\sup|go\sup
            |without\s(?:any\s)?(?:notice|warning))|\b(?:billed|charged|invoiced)\sfor\b
            [^.?!]{0,40}\bbut\b|\b(?:invoice|bill|statement)\s(?:shows|says)\b[^.?!]{0,40}
            \bbut\b""")),
        Rule("reverse_it", _re(
            r"\b(?:reverse|undo)\s(?:the\s|that\s|this\s)?(?:charge|payment|renewal|transaction)"
            r"|\b(?:need|want)\s(?:that|it|this)\sreversed|\bpromised\b[^.?!]{0,40}"
            r"\b(?:discount|price|rate|credit)")),
    ),
    TriggerKind.LEGAL_SECURITY: (
        Rule("privacy_request", _re(
            r"""\b(?:gdpr|ccpa|dsar|data\ssubject|subject\saccess|right\sto\s(?:be\sforgotten
            |erasure|access|deletion)|dpa|data\sprocessing\s(?:agreement|addendum)
            |privacy\srequest|do\snot\ssell|data\sprotection\s(?:officer|authority))\b
            |\b(?:copy|export|delete|erase|remove|all)\b[^.?!]{0,40}\bpersonal\s(?:data
            |information)|\bpersonal\s(?:data|information)\b[^.?!]{0,30}\b(?:you\s(?:hold
            |have|store|keep)|about\sme)""")),
        Rule("compromised", _re(
            r"""\b(?:hacked|breach\w*|compromised|phishing|unauthori[sz]ed\saccess
            |account\stakeover)\b|\b(?:key|token|secret|password|credentials?)\s(?:was\s|were\s
            |got\s|has\sbeen\s)?(?:exposed|leaked|stolen|compromised)|\b(?:exposed|leaked
            |posted|published|committed)\s(?:our\s|my\s|the\s)?(?:api\s)?(?:key|token|secret
            |password|credentials)""")),
        Rule("vulnerability", _re(
            r"""\b(?:vulnerabilit\w+|security\s(?:issue|hole|flaw|bug|problem|incident|review
            |questionnaire|report)|xss|cross[\s-]site|sql\sinjection|csrf|exploit\w*
            |pen\s?test\w*|bug\sbounty|responsible\sdisclosure)\b""")),
        Rule("stranger_access", _re(
            r"""\b(?:someone|somebody|unknown|stranger)\b[^.?!]{0,60}\b(?:logged|log\sin
            |signed|accessed|changed)\b|\b(?:wasn'?t|not)\s(?:me|us)\b[^.?!]{0,40}\blog
            |\b(?:former|ex-?)\s?(?:employee|colleague|staff|contractor)\w*\b[^.?!]{0,40}
            \b(?:access|log)|\b(?:other\scustomers'?|someone\selse'?s|another\s(?:customer
            |company|user)'?s)\sdata""")),
        Rule("legal_action", _re(
            r"""\b(?:lawyers?|attorney|solicitor|legal\s(?:action|team|department|request
            |counsel|notice)|sue|suing|lawsuit|subpoena|litigation|cease\sand\sdesist
            |law\senforcement)\b""")),
        Rule("compliance", _re(
            r"""\b(?:soc\s?2|iso\s?27001|hipaa|compliance\s(?:team|review|questionnaire
            |officer|report)|data\sresidency)\b|\bwhere\s(?:exactly\s)?(?:is|are)\s(?:our|my
            |the)\sdata\s(?:stored|hosted|kept)""")),
    ),
    TriggerKind.OUTAGE: (
        Rule("everything_down", _re(
            r"""\b(?:everything|the\s(?:whole|entire)\s(?:app|site|platform|service|dashboard
            |thing)|(?:your|the)\s(?:site|app|service|platform|api|servers?|website|product)
            |it\sall)\s(?:is\s|are\s|seems\s|looks\s|went\s|has\sgone\s|'s\s)?(?:to\sbe\s)?
            (?:completely\s|totally\s)?(?:down|offline|unreachable|not\sresponding)\b""")),
        Rule("is_it_down", _re(
            r"\bis\s(?:the\s|your\s)?\w+\s(?:down|offline)\s*(?:\?|right\snow|for\s(?:everyone"
            r"|anyone))|\b(?:an?\s|major\s|widespread\s)outage\b|\bservice\sdisruption\b"
            r"|\bis\s(?:the\sservice|your\sservice|there\san?\s\w*\s?(?:issue|problem|incident))"
            r"\s?(?:having\s(?:issues|problems|trouble))?")),
        Rule("nobody_can", _re(
            r"""\b(?:none\sof\s(?:my|our|the)\s\w+|no\s?one|nobody)\b[^.?!]{0,40}
            \bcan\s(?:log|access|sign|load|use|open|see|get)""")),
        Rule("many_affected", _re(
            r"""\b(?:everyone|everybody|everywhere|all\s(?:of\s)?(?:our\s|my\s|the\s)?(?:users
            |customers|team|colleagues|staff|sites|dashboards|pages|requests|agents|websites
            |calls)|(?:the\s)?(?:entire|whole)\s(?:team|org|organi[sz]ation|company|office
            |workspace|app|site|platform)|(?:multiple|several|many)\s(?:users|colleagues
            |people|customers)|any\sof\s(?:us|our\s(?:pages|sites|users))|every\s(?:request
            |call|page|site|user|customer))\b"""), also=_re(_FAILURE)),
    ),
}

# Innocent uses of trigger words. A guard's span is masked before the rules of its kind run,
# and a guarded message gets no classifier-only hit of that kind.
GUARDS: dict[TriggerKind, re.Pattern[str]] = {
    TriggerKind.ASKED_FOR_HUMAN: _re(
        r"""human[\s-]readable|\bbots?\s(?:from|vs\.?|versus|and|or)\shumans?\b
        |\bhumans?\s(?:from|vs\.?|versus|and|or)\sbots?\b|\b(?:someone|somebody|person|people
        |teammate|colleague)s?\s(?:else\s)?(?:on|in|from)\s(?:my|our)\s(?:team|org\w*|company
        |workspace)|\bcontact\ssupport\s(?:link|button|page|form|widget)|\b(?:user|browser)
        \sagent\b|\bagent\s(?:field|column)|\b(?:talk|speak)\sto\sthe\s(?:api|webhook|server)
        |\b(?:email|contact|call)\s(?:my|our)\s(?:users|customers|visitors)"""),
    TriggerKind.STRONG_EMOTION: _re(
        r"\b(?:crazy|insanely|ridiculously|stupidly|damn|bloody)\s(?:good|fast|quick|easy"
        r"|useful|cool|nice|clever)\b"),
    TriggerKind.CHURN_RISK: _re(
        r"""\b(?:cancel\w*|terminat\w*|delet\w*|stop)\s(?:a\s|an\s|the\s|this\s|that\s|my\s
        |our\s)?(?:scheduled\s|running\s|pending\s)?(?:report|export|import|invitation|invite
        |job|goal|chart|filter|alert|sync|event|session|download|csv)|churn(?:ed)?\s(?:rate
        |users|customers|visitors)|\bwho\schurned\b|cancellations?\s(?:in|from)\s(?:my|our)
        |done\swith\s(?:the|my)\s(?:setup|onboarding|import|tutorial)|visitors\sdowngraded
        |\b(?:import|data)\sfrom\s\w+|switch\s(?:between|the\s\w+\sto)"""),
    TriggerKind.BILLING_DISPUTE: _re(
        r"""\brefunds?\s(?:column|webhook|event|rate|field|tracking|revenue|metric)
        |\btrack\w*\srefunds|\brefunds\sas\b|\bchargeback\s(?:rate|field|column|metric)"""),
    TriggerKind.LEGAL_SECURITY: _re(
        r"\bgdpr[\s-](?:cookie|consent|banner|mode)|\blegal\s(?:basis|entity|name)"
        r"|\bmemory\sleak"),
    TriggerKind.OUTAGE: _re(
        r"""\b(?:uptime|downtime)\s(?:alert|monitor|report|check|chart)\w*|\bwhen\s(?:my|our)
        \s(?:site|server|app|website)\s(?:is|goes)\sdown|\bdown\s\d+\s?%|\blabell?ed\sdown
        |\bdrop[\s-]?down|\bscroll\sdown|\bbreak\s?down"""),
}

_AFFIRMATIVE = _re(
    r"^\W*(?:yes|yeah|yep|yup|sure|ok|okay|please|pls|y|do\sit|go\sahead|that\swould\shelp)"
    r"\b[\w\s,.!']{0,30}$")
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "})


def normalise(text: str) -> str:
    """Lower case, straight quotes; the same length as the text so evidence spans stay put."""
    return text.translate(_QUOTES).lower()


def _shouting(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 12 or len(text.split()) < 3:
        return False  # "SSO", "CSV export" are not shouting
    return sum(c.isupper() for c in letters) / len(letters) >= 0.8


def rule_hits(text: str, kinds: Collection[TriggerKind] = MESSAGE_KINDS) -> list[TriggerHit]:
    """Hits from the phrase rules alone."""
    norm = normalise(text)
    hits: list[TriggerHit] = []
    for kind in kinds:
        guard = GUARDS.get(kind)
        masked = guard.sub(" ", norm) if guard is not None else norm
        for rule in RULES.get(kind, ()):
            found = rule.search(masked)
            if found is not None:
                hits.append(TriggerHit(
                    kind=kind, score=1.0, reason=f"phrase rule '{rule.name}'",
                    evidence=found.strip()[:120], source="rule"))
                break
        else:
            if kind is TriggerKind.STRONG_EMOTION and _shouting(text):
                hits.append(TriggerHit(kind=kind, score=0.9, reason="phrase rule 'shouting'",
                                       evidence=text.strip()[:120], source="rule"))
    return hits


def _guarded(text: str) -> set[TriggerKind]:
    norm = normalise(text)
    return {kind for kind, guard in GUARDS.items() if guard.search(norm)}


# ---------------------------------------------------------------- evaluation


def _threshold(kind: TriggerKind, settings: TriggerSettings) -> float:
    return settings.classifier_thresholds.get(kind, settings.classifier_threshold)


def _message_hits(
    text: str,
    state: ConversationState,
    settings: TriggerSettings,
    classifier: MessageScorer | None,
) -> tuple[list[TriggerHit], dict[TriggerKind, float]]:
    """Rule and classifier hits, and the borderline scores left for an LLM vote."""
    kinds = [k for k in MESSAGE_KINDS if k in settings.enabled]
    hits = rule_hits(text, kinds)
    fired = {h.kind for h in hits}
    if (
        TriggerKind.ASKED_FOR_HUMAN in settings.enabled
        and TriggerKind.ASKED_FOR_HUMAN not in fired
        and state.offered_human
        and _AFFIRMATIVE.search(normalise(text))
    ):
        hits.append(TriggerHit(
            kind=TriggerKind.ASKED_FOR_HUMAN, score=1.0,
            reason="accepted the offer of a person", evidence=text.strip()[:120]))
        fired.add(TriggerKind.ASKED_FOR_HUMAN)
    borderline: dict[TriggerKind, float] = {}
    if classifier is None:
        return hits, borderline
    guarded = _guarded(text)
    scores = classifier.scores(text)
    for kind in kinds:
        score = float(scores.get(kind, 0.0))
        if kind in fired or kind in guarded:
            continue
        threshold = _threshold(kind, settings)
        if score >= threshold:
            hits.append(TriggerHit(
                kind=kind, score=round(score, 3),
                reason=f"classifier: reads like {kind.value.replace('_', ' ')}",
                evidence=text.strip()[:120], source="classifier"))
        elif score >= threshold - settings.llm_band:
            borderline[kind] = score
    return hits, borderline


def evaluate_message(
    text: str,
    state: ConversationState = EMPTY_STATE,
    settings: TriggerSettings = DEFAULT_SETTINGS,
    classifier: MessageScorer | None = None,
) -> list[TriggerHit]:
    """Triggers fired by one user message: phrase rules, then the classifier (one embedding)."""
    return _message_hits(text, state, settings, classifier)[0]


async def evaluate_message_with_vote(
    text: str,
    state: ConversationState = EMPTY_STATE,
    settings: TriggerSettings = DEFAULT_SETTINGS,
    classifier: MessageScorer | None = None,
    llm_vote: LlmVote | None = None,
) -> list[TriggerHit]:
    """`evaluate_message`, with the LLM asked about kinds the classifier is unsure of.

    The vote can only add a borderline kind; it never removes a rule or a confident hit, and
    a slow or failing LLM leaves the classifier's answer standing.
    """
    hits, borderline = _message_hits(text, state, settings, classifier)
    if llm_vote is None or not borderline:
        return hits
    candidates = sorted(borderline, key=lambda k: -borderline[k])
    try:
        agreed = await asyncio.wait_for(llm_vote(text, candidates), settings.llm_timeout_s)
    except Exception:  # a vote is advice: no LLM answer means no change
        return hits
    for kind in candidates:
        if kind in agreed:
            hits.append(TriggerHit(
                kind=kind, score=round(borderline[kind], 3),
                reason=f"LLM agreed: {kind.value.replace('_', ' ')}",
                evidence=text.strip()[:120], source="llm"))
    return hits


def evaluate_action(reason: str | None = None) -> TriggerHit:
    """The widget's `escalate` frame: the user pressed 'talk to a person'.

    Always honoured, whatever `enabled` says: a site that wants no people hides the button.
    """
    return TriggerHit(
        kind=TriggerKind.ASKED_FOR_HUMAN, score=1.0, reason="pressed 'talk to a person'",
        evidence=(reason or "").strip()[:120], source="action")


def _account_hits(account: VerifiedAccount, settings: TriggerSettings) -> list[TriggerHit]:
    hits: list[TriggerHit] = []
    tiers = {t.lower() for t in settings.enterprise_tiers}
    if account.tier and account.tier.lower() in tiers:
        hits.append(TriggerHit(
            kind=TriggerKind.ENTERPRISE_ACCOUNT, score=1.0, source="account",
            reason=f"verified {account.tier} account", evidence=f"tier={account.tier}"))
    if (
        settings.mrr_threshold is not None
        and account.mrr is not None
        and account.mrr >= settings.mrr_threshold
    ):
        hits.append(TriggerHit(
            kind=TriggerKind.HIGH_VALUE_ACCOUNT, score=1.0, source="account",
            reason=f"verified MRR {account.mrr:g} ≥ {settings.mrr_threshold:g}",
            evidence=f"mrr={account.mrr:g}"))
    named = {n.lower() for n in settings.named_accounts}
    for value in (account.id, account.name):
        if value and value.lower() in named:
            hits.append(TriggerHit(
                kind=TriggerKind.NAMED_ACCOUNT, score=1.0, source="account",
                reason=f"named account {value}", evidence=value))
            break
    return hits


def is_key_account(state: ConversationState, settings: TriggerSettings) -> bool:
    return state.account is not None and bool(_account_hits(state.account, settings))


def evaluate_state(
    state: ConversationState, settings: TriggerSettings = DEFAULT_SETTINGS
) -> list[TriggerHit]:
    """Triggers fired by the conversation so far and the verified account."""
    hits: list[TriggerHit] = []
    key_account = False
    if state.account is not None:
        account_hits = _account_hits(state.account, settings)
        key_account = bool(account_hits)
        hits += [h for h in account_hits if h.kind in settings.enabled]

    # Low confidence: the last N answers all below the bar (one for key accounts).
    streak = 1 if key_account else settings.low_confidence_streak
    recent = state.answers[-streak:]
    if len(recent) == streak and all(
        a.confidence < settings.low_confidence_below for a in recent
    ):
        hits.append(TriggerHit(
            kind=TriggerKind.LOW_CONFIDENCE, score=1.0, source="conversation",
            reason=f"{streak} answer(s) in a row below confidence "
            f"{settings.low_confidence_below:g}",
            evidence=", ".join(f"{a.confidence:.2f}" for a in recent)))

    downs = sorted({f.message_id for f in state.feedback if f.rating == "down"})
    if len(downs) >= settings.thumbs_down_count:
        hits.append(TriggerHit(
            kind=TriggerKind.THUMBS_DOWN, score=1.0, source="conversation",
            reason=f"{len(downs)} answer(s) rated down", evidence=", ".join(downs[:5])))

    # Struggle on a page after help was shown on that same page: the help did not land.
    last_help: dict[str, int] = {}
    for moment in state.help_shown:
        last_help[moment.page_path] = max(last_help.get(moment.page_path, -1), moment.at_ms)
    after: dict[str, list[PageMoment]] = {}
    for signal in state.struggles:
        shown = last_help.get(signal.page_path)
        if shown is not None and signal.at_ms > shown:
            after.setdefault(signal.page_path, []).append(signal)
    for path, signals in after.items():
        if len(signals) >= settings.struggle_after_help:
            hits.append(TriggerHit(
                kind=TriggerKind.REPEATED_STRUGGLE, score=1.0, source="conversation",
                reason=f"{len(signals)} struggle signals on {path} after help was shown",
                evidence=", ".join(s.kind or "signal" for s in signals[:5])))
            break
    return [h for h in hits if h.kind in settings.enabled]


class EscalationDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    escalate: bool
    priority: Literal["normal", "high"]
    hits: tuple[TriggerHit, ...]


_URGENT = {TriggerKind.LEGAL_SECURITY, TriggerKind.OUTAGE}


def should_escalate(
    hits: Sequence[TriggerHit], settings: TriggerSettings = DEFAULT_SETTINGS
) -> EscalationDecision:
    """Hand over when any trigger fired; account rules alone only if the site says so."""
    kinds = {h.kind for h in hits}
    deciding = kinds - ACCOUNT_KINDS if not settings.key_accounts_escalate_alone else kinds
    high = bool(kinds & (ACCOUNT_KINDS | _URGENT))
    return EscalationDecision(
        escalate=bool(deciding), priority="high" if high else "normal", hits=tuple(hits))
