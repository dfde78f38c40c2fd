"""The phrase rules behind the message triggers: for each message kind, named patterns that
fire it (`RULES`) and the innocent uses of its words that are masked first (`GUARDS`); with the
patterns of a how-to question and of a "yes" to the offer of a person. Pure data and the small
matcher each rule carries; triggers.py runs them. docs/escalation.md lists the rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .models import MESSAGE_KINDS, TriggerKind


@dataclass(frozen=True, slots=True)
class Rule:
    """A named pattern; `also` must match somewhere too, `unless` vetoes the rule, and
    `max_words` keeps it to short messages ("not you, a person")."""

    name: str
    pattern: re.Pattern[str]
    also: re.Pattern[str] | None = None
    unless: re.Pattern[str] | None = None
    max_words: int | None = None

    def search(self, text: str) -> str | None:
        if self.max_words is not None and len(text.split()) > self.max_words:
            return None
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
    |operator|manager|supervisor|engineer|engineers|staff|support|team
    |customer\s(?:service|support|care)
    |help\s?desk|sales|member|team\smember|specialist|advisor|adviser|consultant|conseiller)\b"""
_DET = r"(?:a\s|an\s|the\s|some\s|your\s|one\sof\syour\s|a\smember\sof\syour\s)?"
_REAL = r"(?:real\s|actual\s|live\s|human\s)?"
_FAILURE = r"""\b(?:can'?t|cannot|unable|locked\sout|not\s(?:working|loading|responding)
    |isn'?t\s(?:working|loading)|won'?t\s(?:load|work|open)|down|broken|errors?|timeouts?
    |timing\sout|fail\w*|stopped|spins?|spinning|zero|50[0234]|blank|crash\w*|nothing\sworks
    |unavailable|won'?t\sload)\b"""
_COMPETITORS = r"""(?:mixpanel|amplitude|google\sanalytics|ga4|heap|posthog|plausible|fathom
    |matomo|hotjar|pendo|segment|intercom|zendesk|hubspot|fullstory|looker|tableau|piwik)"""

# A table of patterns reads better unwrapped.
# fmt: off
RULES: dict[TriggerKind, tuple[Rule, ...]] = {
    TriggerKind.ASKED_FOR_HUMAN: (
        Rule("talk_to_person", _re(
            rf"\b(?:talk|speak|chat|tlak|speek)\w*\s+(?:to|with)\s+{_DET}{_REAL}{_PERSON}")),
        Rule("real_person", _re(
            r"\b(?:real|actual|live|human|flesh\sand\sblood)[\s-]+(?:person|human|being|agent"
            r"|people|support|chat|operator)\b")),
        Rule("connect_me", _re(
            r"\b(?:connect|transfer|put|patch|forward|pass|hand|escalate|route|send)\w*\s+"
            r"(?:me|us|this|it|my\s(?:issue|case|question|ticket|request|problem|chat))\s+"
            rf"(?:through\s|over\s)?(?:to|with)\s+{_DET}(?:(?!my\b|our\b)\w+\s)?{_PERSON}")),
        Rule("be_transferred", _re(
            r"\b(?:be|get|being)\s(?:transferred|connected|put\sthrough|escalated|passed|routed)"
            rf"\s(?:to|with)\s{_DET}(?:\w+\s)?{_PERSON}")),
        Rule("reach_person", _re(
            r"\b(?:reach|contact|get\shold\sof|get\sin\stouch\swith|email|call|ring|phone)\s+"
            rf"{_DET}{_REAL}(?:{_PERSON}|team\b)")),
        Rule("get_me_person", _re(
            r"\b(?:get|give|find|bring)\s+(?:me|us)\s+(?:a\s|an\s|some\s)?"
            r"(?:human|person|agent|operator|real|someone|somebody|manager|rep)\b")),
        Rule("want_person", _re(
            r"\b(?:want|need|prefer|rather\shave|like)\s+(?:a\s|an\s)?(?:real\s|actual\s)?"
            r"(?:human|person|agent|operator|representative)\b")),
        Rule("someone_from_you", _re(
            r"\b(?:someone|somebody|anyone|a\sperson)\s(?:from|at|on)\s(?:your|the\slumen)\s"
            r"(?:side|end|team|company|support|staff)")),
        Rule("book_a_call", _re(
            r"\b(?:book|schedule|arrange|set\sup|have|get|jump\son)\s(?:a\s|an\s)?(?:quick\s)?"
            r"(?:call|meeting|zoom|video\scall|phone\scall)\s(?:with|from)\b|\bon\sa\s(?:call"
            r"|phone\scall|zoom)\b")),
        Rule("short_person", _re(r"\b(?:a|an|real|actual)\s(?:person|human|agent)\b"), max_words=6),
        Rule("need_somebody", _re(
            r"\b(?:want|need)\s+(?:somebody|someone)\s+(?:who|that|from|to\s(?:help|look|call"
            r"|check|contact))")),
        Rule("call_me_back", _re(
            r"\b(?:give|send)\s+me\s+a\s+(?:call|ring|phone\scall)\b|\b(?:call|ring|phone"
            r"|email|contact|get\sback\sto|reach\sout\sto)\s+me\b(?:\s+back)?")),
        Rule("ticket", _re(
            r"\b(?:open|file|raise|create|submit|log)\s+(?:a\s+)?(?:support\s+)?"
            r"(?:ticket|case)\b")),
        Rule("callback", _re(
            r"\b(?:call\s?back|ring\sback|help\sfrom\s(?:your|a|an|one\sof\syour)\s(?:team|staff"
            r"|support|person|human|agent|engineer|expert))\b")),
        Rule("phone_line", _re(
            r"\b(?:phone|telephone)\s(?:number|line|support)\b|\bnumber\si\scan\scall\b")),
        Rule("anyone_there", _re(
            r"\bis\s(?:there\s)?any(?:one|body)\s(?:there|real|around)\b")),
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
        Rule("mild_swearing", _re(
            r"\b(?:damn\w*|crap\w*|bloody|hell)\b"), unless=_re(
            r"\b(?:thanks?|thank\syou|thx|great|awesome|neat|nice|love|perfect"
            r"|cool|amazing|helpful|worked|quick|easy|clever)\b")),
        Rule("this_is_outrageous", _re(
            r"""\b(?:this\sis|that'?s|it'?s|this\sis\sjust|how|what\sa|so)\s(?:\w+\s)?
            (?:a\s|an\s)?(?:ridiculous|absurd|unacceptable|outrageous|insane|joke|pathetic
            |disgrace|disgraceful|infuriating|unbelievable|terrible|horrible|awful|nightmare
            |mess|disaster)\b""")),
        Rule("intensified", _re(
            r"""\b(?:absolutely|utterly|completely|totally|truly|beyond|just)\s(?:ridiculous|absurd
            |unacceptable|outrageous|pathetic|infuriating|useless|awful|terrible|horrible)\b""")),
        Rule("strong_feeling", _re(
            r"""\b(?:so|very|really|extremely|incredibly|absolutely|beyond|totally|fucking|super)
            \s(?:frustrated|frustrating|angry|furious|annoyed|annoying|upset|pissed|mad|livid
            |disappointed|disappointing|infuriating|maddening|unacceptable|fed\sup)\b""")),
        Rule("i_am_furious", _re(
            r"""\b(?:i'?m|i\sam|we'?re|we\sare)\s(?:\w+\s)?(?:furious|livid|fuming|outraged
            |disgusted|fed\sup|sick\sand\stired|losing\smy\smind|at\smy\swits'?\send)""")),
        Rule("contempt", _re(
            r"""\b(?:useless|garbage|rubbish|pathetic|atrocious|incompetent)\b
            |\b(?:worst|most\suseless)\s(?:\w+\s){0,3}?(?:ever|software|product|app|tool
            |experience|service|support)\b""")),
        Rule("exasperation", _re(
            r"""\bare\syou\s(?:kidding|serious|joking)|\bseriously\s?[?!]{2}|\bi'?ve\shad\sit
            |\bhad\senough\b|\bfor\s(?:crying\sout\sloud|god'?s\ssake|heaven'?s\ssake|pete'?s
            \ssake)|\b(?:throw|smash)\s(?:my|the)\s(?:laptop|computer|phone)|\bpull(?:ing)?\smy
            \shair|\b(?:is|are|was|been)\s(?:a\s|an\s|such\sa\s|a\scomplete\s|an\sabsolute\s)
            (?:disaster|joke|nightmare|shambles|farce|train\swreck)\b
            |\bwasted\s(?:my|our)\s(?:\w+\s)?(?:time|day|afternoon|morning
            |week|hours|evening)|\byou\speople\b|\bi\shate\s(?:this|it|you)\b|\bsick\s(?:and|&)
            \stired\b|\bfed\sup\b|\bthanks\sfor\snothing\b|\bdriving\sme\s(?:crazy|mad|nuts)""")),
    ),
    TriggerKind.CHURN_RISK: (
        Rule("cancel_subscription", _re(
            r"""\b(?:cancel\w*|terminat\w*|end|ending|close|closing|deactivat\w*|delet\w*
            |shut\sdown)\s(?:of\s)?(?:my|our|the|this)?\s?(?:whole\s|entire\s)?
            (?:[\w']+\s)?(?:subscription|account|plan|contract|membership|workspace|organi[sz]ation
            |service|paid\splan|licen[cs]e)\b""")),
        Rule("intent_to_cancel", _re(
            r"""\b(?:like|want|wish|need|going|plan\w*|decided|ready|time)\s(?:to\s)?
            (?:cancel|unsubscribe|quit|leave\syou)\b(?!\s(?:a|an|the|this|that|my|our|it)\b)""")),
        Rule("elsewhere", _re(
            r"""\b(?:mov\w+|tak\w+|switch\w*|migrat\w+|go\w*)\b[^.?!]{0,30}\b(?:elsewhere
            |somewhere\selse|away\sfrom\s(?:you|your))|\b(?:convince|persuade)\s(?:me|us)\snot\sto
            \sleave|\breason\sto\sstay\b|\bwhy\sshould\s(?:i|we)\sstay\b""")),
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
            r"""\b(?:not|won'?t|don'?t|no)\b[^.?!]{0,25}\brenew\w*
            |\b(?:stop|quit)\s(?:using|paying)\b
            |\bwhy\s(?:should|would)\s(?:we|i)\s(?:keep|continue)\s(?:paying|using)""")),
        Rule("replace_us", _re(
            r"\breplac\w*\s(?:you|lumen|your\s(?:product|app|service|tool))\s(?:with|by)\b")),
        Rule("leaving", _re(
            r"\bwe'?re\s(?:leaving|out)\b|\bwe\sare\s(?:leaving|out)\b")),
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
            r"""\b(?:charged|billed|debited|invoiced|paid|taken)\s(?:\w+\s){0,2}
            (?:twice|two\stimes|double
            |multiple\stimes|2x|three\stimes)\b|\bdouble[\s-]?(?:charged|billed|charge|payment)
            |\b(?:two|2|duplicate|multiple)\s(?:separate\s)?(?:payments|charges|invoices
            |transactions)\b""")),
        Rule("refund", _re(
            r"""\b(?:want|need|get|give|issue|request|process|like|demand|expect|asking\sfor
            |where'?s|waiting\s(?:on|for)|about)\s(?:me\s|us\s)?(?:a\s|my\s|our\s|the\s)?
            (?:full\s|partial\s)?refund|\brefund\s(?:me|us|my|our|the|this|that|it)\b
            |\b(?:my|our)\srefund\b|\b(?:my|our|the)\smoney\sback\b|\breimburs\w*
            |\b(?:want|need)\s(?:a\s)?credit\b""")),
        Rule("chargeback", _re(
            r"\bcharge\s?backs?\b|\bdisput\w+\s(?:the\s|a\s|this\s)?(?:charge|payment"
            r"|transaction)|\bdisputed\b")),
        Rule("unrecognised_charge", _re(
            r"""\b(?:charge|payment|transaction|debit|bill\w*|invoice)s?\b[^.?!]{0,40}\b(?:don'?t
            |do\snot|didn'?t|did\snot|never|can'?t|cannot)\s(?:recogni[sz]e|authori[sz]e|know
            |agree\w*|sign\w*\sup|ask\w*|approv\w*|order\w*|make|made)
            |\bunauthori[sz]ed\s(?:charge|payment|transaction|debit)""")),
        Rule("charged_after_cancel", _re(
            r"""\b(?:charged|billed|invoiced)\b[^.?!]{0,40}\b(?:after|even\sthough|despite
            |although)\b[^.?!]{0,30}\b(?:cancel\w*|downgrad\w*|removed|deleted|clos\w+)
            |\bstill\s(?:being\s|getting\s)?(?:charged|billed|invoiced)
            |\b(?:charged|billed|paying|invoiced)\sfor\s(?:a\s|an\s|the\s)?(?:\w+\s){0,3}
            (?:i|we)\s(?:removed|deleted|cancell?ed|downgraded|never\sused)""")),
        Rule("wrong_amount", _re(
            r"""\b(?:overcharg\w*|over-charg\w*|wrongly\s(?:charged|billed)|incorrect(?:ly)?
            \s(?:charged|billed|invoice|charge|amount)|billing\s(?:error|mistake))\b
            |\b(?:invoice|bill|charge|price|renewal|statement)\b[^.?!]{0,50}\b(?:wrong
            |incorrect|different|mistake|doesn'?t\smatch|too\shigh|went\sup|go\sup
            |without\s(?:any\s)?(?:notice|warning))|\b(?:billed|charged|invoiced)\s(?:\w+\s)?for\b
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
            |information)|\b(?:erase|delete|remove|wipe)\b[^.?!]{0,30}\b(?:records?|data
            |information|everything)\s(?:about|on|of)\sme\b
            |\bpersonal\s(?:data|information)\b[^.?!]{0,30}\b(?:you\s(?:hold
            |have|store|keep)|about\sme)""")),
        Rule("compromised", _re(
            r"""\b(?:hacked|breach\w*|compromised|phishing|unauthori[sz]ed\saccess
            |account\stakeover)\b|\b(?:password\sreset|login|sign[\s-]?in|2fa|verification)
            \s(?:email|code|attempt|alert|text)s?\b[^.?!]{0,30}\b(?:didn'?t|did\snot|never)
            \s(?:request|ask|make|do|trigger)|\b(?:key|token|secret|password|credentials?)
            \s(?:was\s|were\s
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
            \b(?:access|log)|\b(?:other\scustomers'?|other\speople'?s|someone\selse'?s
            |another\s(?:customer|company|user|team)'?s)\s(?:data|sites?|accounts?|dashboards?
            |reports?|emails?)""")),
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
            r"|anyone))|\bservice\sunavailable\b|\b(?:something|anything)\s(?:wrong|broken|going"
            r"\son)\s(?:on|at|with)\syour\s(?:end|side|servers?)|\b(?:problem|issue)s?\son\syour"
            r"\s(?:end|side)|\b(?:an?\s|major\s|widespread\s)outage\b|\bservice\sdisruption\b"
            r"|\bis\s(?:the\sservice|your\sservice|there\san?\s\w*\s?(?:issue|problem|incident))"
            r"\s?(?:having\s(?:issues|problems|trouble))?")),
        Rule("nobody_can", _re(
            r"""\b(?:none\sof\s(?:my|our|the)\s\w+|no\s?one|nobody)\b[^.?!]{0,40}
            \bcan\s(?:log|access|sign|load|use|open|see|get)|\bnone\sof\s(?:my|our|the)\s\w+
            \s(?:load|work|open|show|render)""")),
        Rule("many_affected", _re(
            r"""\b(?:everyone|everybody|everywhere|all\s(?:of\s)?(?:our\s|my\s|the\s)?(?:users
            |customers|team|colleagues|staff|sites|dashboards|pages|requests|agents|websites
            |calls)|any(?:one|body)\s(?:in|on|at)\s(?:the|my|our)\s\w+|across\sthe\sboard
            |(?:the\s)?(?:entire|whole)\s(?:team|org|organi[sz]ation|company|office
            |workspace|app|site|platform)|(?:multiple|several|many)\s(?:users|colleagues
            |people|customers)|(?:any|all)\sof\s(?:us|our\s(?:pages|sites|users))|every\s(?:request
            |call|page|site|user|customer))\b"""), also=_re(
            _FAILURE)),
    ),
}
# fmt: on

# Innocent uses of trigger words. A guard's span is masked before the rules of its kind run,
# and a guarded message gets no classifier-only hit of that kind.
# fmt: off
_GUARDS: dict[TriggerKind, str] = {
    TriggerKind.ASKED_FOR_HUMAN: (
        r"""human[\s-]readable|\bbots?\s(?:from|vs\.?|versus|and|or)\shumans?\b
        |\bhumans?\s(?:from|vs\.?|versus|and|or)\sbots?\b|\b(?:someone|somebody|person|people
        |teammate|colleague)s?\s(?:else\s)?(?:on|in|from)\s(?:my|our)\s(?:team|org\w*|company
        |workspace)|\bcontact\ssupport\s(?:link|button|page|form|widget)|\b(?:user|browser)
        \sagent\b|\bagent\s(?:field|column)|\b(?:talk|speak)\sto\sthe\s(?:api|webhook|server)
        |\b(?:email|contact|call)\s(?:my|our)\s(?:users|customers|visitors)
        |\b(?:add|invite|remove|mention|assign|tag|share\swith)\s(?:a\s|another\s|the\s)?(?:person
        |people|someone|somebody|human|user|agent)|\b(?:don'?t|do\snot|never|no)\s(?:need|want)
        \s(?:to\s(?:talk|speak|chat)\s(?:to|with)\s)?(?:a\s|an\s)?(?:real\s)?(?:person|human
        |agent|someone|somebody|anyone)|\bno\sneed\sfor\s(?:a\s)?(?:person|human|agent)"""),
    TriggerKind.STRONG_EMOTION: (
        r"""\b(?:crazy|insanely|ridiculously|stupidly|damn|bloody)\s(?:good|fast|quick|easy
        |useful|cool|nice|clever)\b|\b(?:kind\sof|kinda|sort\sof|a\s(?:bit|little)|slightly
        |somewhat|mildly)\s(?:annoying|annoyed|frustrating|frustrated|confusing|irritating|odd
        |weird|slow)"""),
    TriggerKind.CHURN_RISK: (
        r"""\b(?:cancel\w*|terminat\w*|delet\w*|stop)\s(?:a\s|an\s|the\s|this\s|that\s|my\s
        |our\s)?(?:scheduled\s|running\s|pending\s)?(?:report|export|import|invitation|invite
        |job|goal|chart|filter|alert|sync|event|session|download|csv)|churn(?:ed)?\s(?:rate
        |users|customers|visitors)|\bwho\schurned\b|cancellations?\s(?:in|from)\s(?:my|our)
        |done\swith\s(?:the|my)\s(?:setup|onboarding|import|tutorial)|\btheir\s(?:subscription
        |account|plan)s?|\b(?:customers?|users?|visitors?|members?)\s(?:\w+\s)?cancel\w*
        |visitors\sdowngraded
        |\b(?:import|data)\sfrom\s\w+|switch\s(?:between|the\s\w+\sto)"""),
    TriggerKind.BILLING_DISPUTE: (
        r"""\brefunds?\s(?:column|webhook|event|rate|field|tracking|revenue|metric)
        |\btrack\w*\srefunds|\brefunds\sas\b|\bchargeback\s(?:rate|field|column|metric)"""),
    TriggerKind.LEGAL_SECURITY: (
        r"\bgdpr[\s-](?:cookie|consent|banner|mode)|\blegal\s(?:basis|entity|name)"
        r"|\bmemory\sleak|\bsecurity\s(?:settings|page|tab|section|headers|options|log|keys?)"),
    TriggerKind.OUTAGE: (
        r"""\b(?:uptime|downtime)\s(?:alert|monitor|report|check|chart)\w*|\bwhen\s(?:my|our)
        \s(?:site|server|app|website)\s(?:is|goes)\sdown|\bdown\s\d+\s?%|\blabell?ed\sdown
        |\bdrop[\s-]?down|\bscroll\sdown|\bbreak\s?down"""),
}
# fmt: on

# Whatever the kind: a definition ("what does 'agent' mean") or a quoted UI label
# ("a 'talk to sales' button") names a word, it does not use it.
_ANY_KIND_GUARD = r"""\bwhat\s(?:does|do|is|are)\s(?:the\s|a\s|an\s)?['"]?[\w\s-]{1,30}?['"]?\s
    (?:mean|means|stand\sfor)\b|['"][^'"]{1,40}['"]\s(?:button|link|tab|label|option|menu|field)"""
GUARDS: dict[TriggerKind, re.Pattern[str]] = {
    kind: _re(f"{_GUARDS[kind]}|{_ANY_KIND_GUARD}") for kind in MESSAGE_KINDS
}

# A product question ("how do I…", "where is…") that merely mentions a trigger word is the
# classifier's usual false alarm; such questions need `question_threshold` to fire on it alone.
QUESTION = _re(
    r"""^\W*(?:how|where|what|which|when|can|could|does|do|is|are|why|should|will|would)\b
    (?:\s[\w']+){0,2}\s(?:i|we|you|it|the|a|an|my|our|there|this|that)\b"""
)

# A "yes" to the offer of a person: "yes please", "sure, go ahead".
AFFIRMATIVE = _re(
    r"^\W*(?:yes|yeah|yep|yup|sure|ok|okay|please|pls|y|do\sit|go\sahead|that\swould\shelp)"
    r"\b[\w\s,.!']{0,30}$"
)

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "\u00a0": " "})


def normalise(text: str) -> str:
    """Lower case, straight quotes; the same length as the text so evidence spans stay put."""
    return text.translate(_QUOTES).lower()
