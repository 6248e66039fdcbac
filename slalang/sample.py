"""Seeded sample data for any policy: a realistic CRM event log and metrics file to try it on.

The generator is driven by the compiled plan, never by hard-coded event names. It reads the
roles events play in the policy: the first stage's events create leads, score rules name the
engagement events, the SLA started on entering a stage (the MQL) names what sales answers
with, recycle and exit rules name rejections, feedback, opt-outs and lapses, and SLAs started
by other events become request/answer pairs. Each lead is simulated on its own: it arrives
(more often in office hours on weekdays than in the evening or at weekends), engages over
days and weeks, is scored exactly as the policy scores it, and when it enters the qualifying
stage a rep answers after a log-normal delay counted in the office's business hours, or
never (when the response SLA can pause, some leads first ask to be called back later, and
the rep answers after the resume). Lead fields are filled in progressively and some stay
missing, so handoffs fail now and then.

Output is grouped by lead: leads in arrival order, each lead's rows in timestamp order (ties
never happen within a lead). That keeps memory flat for any volume, one lead at a time; the
evaluator sorts each lead's events itself, so no global time sort is needed. The same
arguments always give the same bytes: one seeded `random.Random` per stream, no wall clock,
and nothing depends on set or hash order.
"""

from __future__ import annotations

import calendar as month_days
import csv
import gzip
import heapq
import io
import math
import os
import tempfile
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from random import Random
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from slalang.calendar import Calendar
from slalang.evaluate.model import Fields, Goal, Runtime, Scores, iso
from slalang.evaluate.periods import local_midnight
from slalang.evaluate.replay import LeadReplay, first_goal
from slalang.evaluate.runtime import build_calendar, build_runtime

Plan = dict[str, Any]
Row = dict[str, str]
Value = str | int | float | bool | date

CANONICAL = ("lead_id", "timestamp", "event", "event_id")

#: Event types no example policy declares, sent now and then as CRMs do; the reader counts
#: and ignores them. Those the policy does declare are left out.
UNKNOWN_EVENTS = ("email_bounced", "chat_started", "list_imported")

_DAY = 86_400
_HOUR = 3_600

# ---- people and companies -----------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_FIRST = _words(
    "Ada Amir Ana Ben Carla Chen Dana David Elena Emeka Farah Grace Hiro Ines Jonas Julia Kofi"
    " Lars Leila Lucas Maya Mehmet Nadia Noah Olga Omar Priya Rafael Sara Tom Yuki Zoe"
)
_LAST = _words(
    "Adeyemi Bauer Costa Dubois Eriksen Fischer Garcia Hansen Ito Jensen Kowalski Lopez Martin"
    " Nguyen Okafor Patel Quinn Rossi Schmidt Silva Tanaka Usman Varga Weber Xu Young"
)
_COMPANY_STEM = _words(
    "Northwind Bluepeak Cobalt Harbor Summit Ironwood Lumen Meridian Quarry Redwood Silverline"
    " Tidewater Vantage Willow Granite Oakridge Polaris Brightwater Fernhill Copperleaf"
)
_COMPANY_KIND = _words(
    "Logistics Foods Analytics Manufacturing Health Systems Retail Labs Partners Energy Freight"
    " Software"
)
_SENIOR_TITLES = (
    "VP of Sales",
    "VP Marketing",
    "Director of Operations",
    "Director, Revenue Operations",
    "Head of Finance",
    "Head of Growth",
    "Vice President, Engineering",
    "Plant Manager",
    "Director of Automation",
    "CTO",
    "Founder",
)
_OTHER_TITLES = (
    "Marketing Manager",
    "Sales Operations Analyst",
    "Financial Analyst",
    "Data Engineer",
    "Operations Coordinator",
    "Account Executive",
    "Consultant",
    "Student",
    "Project Manager",
    "Software Developer",
    "Office Manager",
    "Automation Engineer",
    "Controller",
)
_WEBMAIL = ("gmail.com", "gmail.com", "yahoo.com", "outlook.com", "hotmail.com")
_REPS = ("Avery Chen", "Jordan Patel", "Sam Okafor", "Riley Novak", "Morgan Silva")
_CHANNELS = ("organic_search", "paid_search", "webinar", "partner", "social", "event")
_INTERESTS = ("reporting", "forecasting", "integrations", "data platform", "automation")
_LOSS_REASONS = ("chose a competitor", "no decision", "price", "timing", "missing feature")
_MONEY_WORDS = ("amount", "value", "revenue", "arr", "price", "deal")
_WORDS = ("alpha", "bravo", "delta", "harbor", "maple", "orbit", "signal", "summit", "vector")
_COUNTRIES = {
    "America": ("United States",) * 5 + ("Canada", "Mexico", "Brazil"),
    "Europe": ("Germany",) * 3 + ("France", "United Kingdom", "Netherlands", "Austria", "Poland"),
    "Asia": ("Philippines", "Singapore", "Japan", "India", "Australia"),
}
#: How often sales gives each rejection reason, by the names policies usually use; other
#: options weigh 1.
_REASON_WEIGHTS = {
    "bad_timing": 3.0,
    "no_budget": 2.5,
    "bad_fit": 2.0,
    "no_authority": 1.5,
    "duplicate": 0.5,
}
#: Share of leads whose form already gives a field at arrival, by field name; others 0.9.
#: Of the qualified leads of a policy whose response SLA pauses, how many ask sales to wait
#: (a callback next week, out of the office) before the first answer.
_HOLD_SHARE = 0.2

_KNOWN_AT_ARRIVAL = {"email": 1.0, "name": 0.97, "company": 0.93}

# ---- when people act ----------------------------------------------------------------------


def _hour_weight(weekday: int, hour: int) -> float:
    """How likely someone acts in this local hour: a weekday office peak (dipping at lunch),
    shoulders and evenings, little at night, a quiet weekend."""
    if weekday >= 5:
        return 0.22 if 9 <= hour < 22 else 0.04
    if 9 <= hour < 17:
        return 0.8 if hour == 12 else 1.0
    if 7 <= hour < 9 or 17 <= hour < 19:
        return 0.45
    if 19 <= hour < 23:
        return 0.25
    return 0.04


_WEEKDAY_CUM = list(accumulate(_hour_weight(0, h) for h in range(24)))
_WEEKEND_CUM = list(accumulate(_hour_weight(6, h) for h in range(24)))


def _lognormal(rng: Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def _poisson(rng: Random, mean: float) -> int:
    """Knuth's method; means here stay small (a few dozen at most)."""
    limit, product, count = math.exp(-min(mean, 50.0)), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count


def _text(value: Value) -> str:
    """A field value as an export writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _month_start(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _window_end(start: date, months: int) -> date:
    """`start` plus whole months, the day clipped to the target month (Jan 31 + 1 → Feb 28)."""
    first = _month_start(start, months)
    last = month_days.monthrange(first.year, first.month)[1]
    return first.replace(day=min(start.day, last))


# ---- what the plan says events are for ------------------------------------------------------


def _nodes(fragment: Any) -> Iterator[dict[str, Any]]:
    """Every object in a plan fragment, depth first, in order of appearance."""
    pending = [fragment]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            yield item
            pending.extend(reversed(list(item.values())))
        elif isinstance(item, list | tuple):
            pending.extend(reversed(item))


def _fields_in(fragment: Any) -> list[str]:
    """Every field a plan fragment reads, in order of appearance."""
    found = (n["field"] for n in _nodes(fragment) if isinstance(n.get("field"), str))
    return list(dict.fromkeys(found))


def _on(triggers: Iterable[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(e for t in triggers for e in t.get("on", ())))


@dataclass(frozen=True, slots=True)
class _Side:
    """An SLA started by an event off the funnel's main path: a request and its answer."""

    sla: int
    start: tuple[str, ...]
    stop: tuple[str, ...]
    start_fields: tuple[str, ...]
    stop_fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Roles:
    """The part each declared event and field plays in this policy's funnel."""

    arrival: tuple[str, ...]  # events of the first stage: they create a lead
    engagement: tuple[str, ...]  # events score rules reward
    engagement_weight: tuple[float, ...]  # how common each is: the fewer points, the more
    forms: frozenset[str]  # engagement that fills in a form (may reveal profile fields)
    qualify: int | None  # the stage whose entry calls for sales (the MQL)
    response: int | None  # the SLA whose clock entering it starts
    touch: tuple[str, ...]  # sales' first contact
    pause: tuple[str, ...]  # the lead asks sales to wait (the response SLA's `pause`)
    resume: tuple[str, ...]  # and is ready again (its `resume`)
    hold_fields: tuple[str, ...]  # fields the pause and resume conditions read
    accept_stage: int | None
    accept: str | None
    reject: str | None
    feedback: str | None  # the answer the rejection-feedback SLA waits for
    feedback_sla: int | None
    reason: str | None  # the field holding the rejection reason
    later: tuple[tuple[int, str], ...]  # stages after acceptance and the event of each
    opt_out: tuple[str, ...]  # unconditional exits (unsubscribes)
    lapse: str | None  # a conditional exit or recycle off the sales path (trial expiry)
    sides: tuple[_Side, ...]
    spare: tuple[str, ...]  # declared events with no other part: sent now and then
    owner: str | None  # the field naming the rep
    deal: tuple[str, ...]  # amounts: number fields summed, needed after acceptance, or money
    profile: tuple[str, ...]  # what marketing learns about the lead
    side_fields: frozenset[str]


def _roles(plan: Plan) -> _Roles:
    """Cast the policy's events and fields by what the rules do with them, so any policy
    gets a funnel-shaped sample whatever it calls things. Roles a policy lacks stay empty
    (no SLA on entering a stage: sales still answers the first `when` stage, unclocked)."""
    stages, slas, events = plan["stages"], plan["slas"], plan["events"]
    arrival: list[str] = next(
        (s["trigger"]["on"] for s in stages if s["trigger"] and "on" in s["trigger"]),
        events[:1],
    )

    qualify = response = None
    for index, sla in enumerate(slas):
        entering = [s["entering"] for s in sla["start"] if "entering" in s]
        if entering:
            qualify = next(s["index"] for s in stages if s["name"] == entering[0])
            response = index
            break
    if qualify is None:
        qualify = next(
            (s["index"] for s in stages if s["trigger"] and "when" in s["trigger"]), None
        )

    stops = _on(slas[response]["stop"]) if response is not None else []
    after = [s for s in stages if qualify is not None and s["index"] > qualify]
    on_stages = [s for s in after if s["trigger"] and "on" in s["trigger"]]
    accept_entry = next(
        (s for s in on_stages if set(s["trigger"]["on"]) & set(stops)),
        on_stages[0] if on_stages else None,
    )
    accept_stage = accept_entry["index"] if accept_entry else None
    accept = None
    if accept_entry:
        accept = next(
            (e for e in accept_entry["trigger"]["on"] if e in stops),
            accept_entry["trigger"]["on"][0],
        )
    leaving = set(_on(plan["recycles"])) | set(_on(plan["exits"]))
    started_by = {e for i, sla in enumerate(slas) if i != response for e in _on(sla["start"])}
    reject = next((e for e in stops if e != accept and (e in leaving or e in started_by)), None)
    touch = tuple(e for e in stops if e not in (accept, reject))

    feedback_sla = feedback = None
    if reject is not None:
        for index, sla in enumerate(slas):
            if index != response and reject in _on(sla["start"]):
                feedback_sla = index
                sla_stops = _on(sla["stop"])
                feedback = next((e for e in sla_stops if e != reject), reject)
                break

    fields = plan["fields"]
    waits_for = slas[feedback_sla] if feedback_sla is not None else {"start": [], "stop": []}
    around_rejection = [
        [t.get("where") for t in (*waits_for["start"], *waits_for["stop"])],
        [
            r["where"]
            for r in (*plan["recycles"], *plan["exits"])
            if {reject, feedback} & set(r["on"])
        ],
    ]
    candidates = _fields_in(around_rejection) if reject is not None else []
    reason = next(
        (f for f in candidates if fields[f]["type"] == "one_of"),
        candidates[0] if candidates else None,
    )

    later: list[tuple[int, str]] = []
    if accept_stage is not None:
        for stage in stages[accept_stage + 1 :]:
            if stage["trigger"] and "on" in stage["trigger"]:
                later.append((stage["index"], stage["trigger"]["on"][0]))

    hold = slas[response] if response is not None else None
    pause_on = _on([hold["pause"]]) if hold and hold["pause"] else []
    resume_on = _on([hold["resume"]]) if hold and hold["resume"] else []
    hold_fields = _fields_in([hold["pause"], hold["resume"]]) if hold else []

    chain = {*arrival, *touch, accept, reject, feedback, *(e for _, e in later)} - {None}
    opt_out = tuple(
        e for e in _on(x for x in plan["exits"] if x["where"] is None) if e not in chain
    )
    lapse = next(
        (
            e
            for e in _on([*plan["exits"], *plan["recycles"]])
            if e not in chain and e not in opt_out
        ),
        None,
    )

    sides: list[_Side] = []
    for index, sla in enumerate(slas):
        starts = [e for e in _on(sla["start"]) if e not in chain]
        if index in (response, feedback_sla) or not starts:
            continue
        stop_events = [e for e in _on(sla["stop"]) if e not in chain] or _on(sla["stop"])
        start_fields = _fields_in([[t.get("where") for t in sla["start"]], sla["goals"]])
        sides.append(
            _Side(
                index,
                tuple(starts),
                tuple(stop_events),
                tuple(start_fields),
                tuple(_fields_in([t.get("where") for t in sla["stop"]])),
            )
        )
    side_events = {e for side in sides for e in (*side.start, *side.stop)}

    rewarded: dict[str, float] = {}
    for score in plan["scores"].values():
        for rule in score["per_rules"]:
            event = rule["event"]
            if rule["points"] > 0 and event not in chain - set(arrival) | side_events:
                rewarded[event] = max(rewarded.get(event, 0), rule["points"])
    engagement = tuple(rewarded)
    # a pause or resume event of its own (`callback_requested`) rather than one that plays
    # another part (a form that also resumes), when the policy has one
    pause = tuple(e for e in pause_on if e not in chain and e not in rewarded) or tuple(pause_on)
    resume = tuple(e for e in resume_on if e not in chain and e not in rewarded) or tuple(resume_on)
    weights = tuple(float(p) ** -1.25 for p in rewarded.values())
    commonest = engagement[weights.index(max(weights))] if engagement else None
    forms = frozenset(e for e in engagement if e != commonest)

    owner = next(
        (
            f
            for f, spec in fields.items()
            if spec["type"] in ("text", "one_of")
            and (f in ("rep", "owner") or f.endswith(("_rep", "_owner")))
        ),
        None,
    )
    summed = {node["field"] for node in _nodes(plan["targets"]) if node.get("agg") == "sum"}
    after_acceptance = stages[accept_stage:] if accept_stage is not None else []
    required_later = {f for s in after_acceptance if s["handoff"] for f in _fields_in(s)}
    deal = tuple(
        f
        for f, spec in fields.items()
        if spec["type"] == "number"
        and (f in summed or f in required_later or any(w in f for w in _MONEY_WORDS))
    )
    elsewhere = set(
        _fields_in(
            [
                stages,
                plan["recycles"],
                plan["exits"],
                plan["targets"],
                [slas[i] for i in (response, feedback_sla) if i is not None],
                [score["when_rules"] for score in plan["scores"].values()],
                [
                    r
                    for score in plan["scores"].values()
                    for r in score["per_rules"]
                    if r["event"] not in side_events
                ],
            ]
        )
    )
    side_fields = frozenset(
        f for side in sides for f in (*side.start_fields, *side.stop_fields) if f not in elsewhere
    )
    profile = tuple(
        f
        for f in fields
        if f not in (reason, owner)
        and f not in deal
        and f not in side_fields
        and f not in hold_fields
    )
    used = chain | set(engagement) | set(opt_out) | side_events | {lapse} | {*pause, *resume}
    spare = tuple(e for e in events if e not in used)
    return _Roles(
        arrival=tuple(arrival),
        engagement=engagement,
        engagement_weight=weights,
        forms=forms,
        qualify=qualify,
        response=response,
        touch=touch,
        pause=pause,
        resume=resume,
        hold_fields=tuple(hold_fields),
        accept_stage=accept_stage,
        accept=accept,
        reject=reject,
        feedback=feedback,
        feedback_sla=feedback_sla,
        reason=reason,
        later=tuple(later),
        opt_out=opt_out,
        lapse=lapse,
        sides=tuple(sides),
        spare=spare,
        owner=owner,
        deal=deal,
        profile=profile,
        side_fields=side_fields,
    )


# ---- the lead as the policy sees it ----------------------------------------------------------


class _Step(NamedTuple):
    """An event as the replay reads it."""

    ts: int
    type: str
    fields: dict[str, Value]


class _Shadow:
    """The lead as the policy sees it after each event: the evaluator's own replay, stepped
    while the lead is made up, so sales reacts the moment the policy says it qualified."""

    __slots__ = ("lead", "positions")

    def __init__(self, runtime: Runtime) -> None:
        self.lead = LeadReplay(runtime, "", as_of=0, trace=False)
        self.positions = {stage.name: stage.index for stage in runtime.stages}

    @property
    def fields(self) -> Fields:
        return self.lead.fields

    @property
    def scores(self) -> Scores:
        return self.lead.scores

    @property
    def stage(self) -> int:
        return self.lead.stage

    @property
    def exited(self) -> bool:
        return self.lead.exited

    def step(self, ts: int, kind: str, values: dict[str, Value]) -> tuple[list[int], bool]:
        """Apply one event; the stages it entered, and whether the lead left its stage."""
        lead = self.lead
        stage, seen = lead.stage, len(lead.result.stages)
        lead.step(_Step(ts, kind, values))
        records = lead.result.stages[seen:]
        entered = [self.positions[r.stage] for r in records if r.kind == "entered"]
        return entered, lead.exited or lead.stage < stage

    def goal(self, goals: Sequence[Goal]) -> Goal | None:
        """The `within` line a clock opening now would get."""
        return self.lead.choose_goal(goals)


# ---- the shared world: plan, window, offices, reps -------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rep:
    name: str
    median: float  # typical first-response delay, business seconds
    never: float  # share of qualified leads this rep never answers


@dataclass(frozen=True, slots=True)
class _Home:
    """Where a lead is: the zone it acts in and the office calendar that answers it."""

    zone: ZoneInfo
    calendar: Calendar | None


class _World:
    """Everything the leads of one run share, worked out once from the plan and the window."""

    def __init__(self, plan: Plan, seed: int, start: date, months: int) -> None:
        if months < 1:
            raise ValueError("months must be at least 1")
        self.plan = plan
        self.roles = roles = _roles(plan)
        self.runtime = build_runtime(plan)
        self.fields: dict[str, dict[str, Any]] = plan["fields"]
        self.columns = (*CANONICAL, *self.fields)
        self.zone = ZoneInfo(plan["policy"]["timezone"])
        self.begin = local_midnight(start, self.zone)
        self.end = local_midnight(_window_end(start, months), self.zone)
        self.unknown = tuple(e for e in UNKNOWN_EVENTS if e not in plan["events"])
        self.homes = self._homes()
        slas = self.runtime.slas
        self.response_goals = slas[roles.response].goals if roles.response is not None else ()
        self.feedback_goals = (
            slas[roles.feedback_sla].goals if roles.feedback_sla is not None else ()
        )
        # the goals of the first SLA each stage's entry starts (later SLAs are overwritten)
        self.entering_goals = {
            stage: sla.goals for sla in reversed(slas) for stage in sla.start_stages
        }
        self.handoffs = {
            s["index"]: tuple(s["handoff"]["require_fields"])
            for s in plan["stages"]
            if s["handoff"]
        }
        windows = [
            s["window"]["seconds"]
            for s in plan["scores"].values()
            if s["window"] and "seconds" in s["window"]
        ]
        self.lapse_after = min(windows) if windows else 30 * _DAY
        team = Random(f"{seed}:reps")
        owner = self.fields.get(roles.owner or "", {})
        names = owner.get("options") or _REPS
        self.reps = tuple(
            _Rep(name, _lognormal(team, 2 * _HOUR, 0.7), team.uniform(0.02, 0.1)) for name in names
        )
        self.hand_raiser = (
            roles.engagement[roles.engagement_weight.index(min(roles.engagement_weight))]
            if roles.engagement
            else None
        )

    def _homes(self) -> tuple[_Home, ...]:
        """One home per office the qualifying SLA counts on, so each region's leads act in
        their own office's day; without business goals, the agreement's zone."""
        calendars = {name: build_calendar(entry) for name, entry in self.plan["calendars"].items()}
        homes: dict[str, _Home] = {}
        if self.roles.response is not None:
            for goal in self.plan["slas"][self.roles.response]["goals"]:
                name = goal["duration"].get("calendar")
                if name and name != "always" and name not in homes:
                    homes[name] = _Home(ZoneInfo(calendars[name].timezone), calendars[name])
        if not homes:
            office = next((c for n, c in calendars.items() if n != "always"), None)
            return (_Home(self.zone, office),)
        return tuple(homes.values())

    def month_keys(self) -> list[str]:
        """Every month the window touches, as metrics periods (`2026-03`)."""
        first = datetime.fromtimestamp(self.begin, self.zone).date().replace(day=1)
        last = datetime.fromtimestamp(self.end - 1, self.zone).date().replace(day=1)
        keys, day = [], first
        while day <= last:
            keys.append(f"{day.year:04d}-{day.month:02d}")
            day = _month_start(day, 1)
        return keys


# ---- field values ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Person:
    first: str
    last: str
    company: str
    domain: str
    webmail: bool
    senior: bool
    size: int
    country: str


def _person(rng: Random, quality: float, zone: ZoneInfo) -> _Person:
    continent = zone.key.split("/", 1)[0]
    stem, kind = rng.choice(_COMPANY_STEM), rng.choice(_COMPANY_KIND)
    suffix = (
        rng.choice(("", " GmbH", " B.V.", " Ltd"))
        if continent == "Europe"
        else (rng.choice(("", " Inc", " LLC", " Corp")))
    )
    webmail = rng.random() < 0.03 + 0.35 * (1 - quality)
    return _Person(
        first=rng.choice(_FIRST),
        last=rng.choice(_LAST),
        company=f"{stem} {kind}{suffix}",
        domain=rng.choice(_WEBMAIL) if webmail else f"{stem}{kind}.example".lower(),
        webmail=webmail,
        senior=rng.random() < 0.1 + 0.45 * quality,
        size=max(1, min(50_000, round(_lognormal(rng, 25 * math.exp(3 * quality), 0.9)))),
        country=rng.choice(_COUNTRIES.get(continent, _COUNTRIES["America"])),
    )


def _money(rng: Random, quality: float) -> int:
    return max(500, round(_lognormal(rng, 18_000 * (1 + 2 * quality), 0.6) / 500) * 500)


def _field_value(
    name: str, spec: dict[str, Any], who: _Person, rng: Random, quality: float, day: date
) -> Value:
    """A plausible value for a field, from its declared type and what its name suggests."""
    kind = spec["type"]
    if kind == "one_of":
        options: list[str] = spec["options"]
        if "segment" in name and {"smb", "enterprise"} <= set(options):
            size = "smb" if who.size < 50 else "enterprise" if who.size >= 1000 else "mid"
            return size if size in options else options[0]
        weights = [1 / (k + 1) ** 0.8 for k in range(len(options))]
        return rng.choices(options, weights)[0]
    if kind == "number":
        if any(w in name for w in ("size", "employee", "headcount")):
            return who.size
        if any(w in name for w in _MONEY_WORDS):
            return _money(rng, quality)
        if any(w in name for w in ("count", "number", "sites")):
            return 1 + int(_lognormal(rng, 0.3 + 2.5 * quality, 0.7))
        return round(_lognormal(rng, 20, 0.8))
    if kind == "bool":
        if "personal" in name:
            return who.webmail
        return rng.random() < 0.1
    if kind == "date" and any(w in name for w in ("return", "callback", "until", "due")):
        return day  # a day the lead names ahead: `day` is that day
    if kind == "date":
        back = rng.randint(0, 6) if rng.random() < 0.9 else rng.randint(30, 120)
        return day - timedelta(days=back)
    if name == "name" or (name.endswith("_name") and "company" not in name):
        return (
            who.first
            if "first" in name
            else who.last
            if "last" in name
            else (f"{who.first} {who.last}")
        )
    if "email" in name:
        return f"{who.first}.{who.last}@{who.domain}".lower()
    if "title" in name or "job" in name:
        return rng.choice(_SENIOR_TITLES if who.senior else _OTHER_TITLES)
    if any(w in name for w in ("company", "account", "organization")):
        return who.company
    if "country" in name:
        return who.country
    if "source" in name or "channel" in name:
        return rng.choice(_CHANNELS)
    if "interest" in name or "product" in name:
        return rng.choice(_INTERESTS)
    if "loss" in name or "reason" in name:
        return rng.choice(_LOSS_REASONS)
    return f"{rng.choice(_WORDS)} {rng.randint(1, 99)}"


# ---- one lead's life -------------------------------------------------------------------------

_Event = tuple[int, str, dict[str, Value]]


class _Lead:
    """One lead, simulated event by event: what it does and what sales does about it.

    Events wait in a heap and are replayed in time order through the shadow; reactions
    (sales answering a qualified lead, re-engagement after a recycle) are scheduled when
    the shadow says they are due. Nothing at or after the end of the window is kept.
    """

    def __init__(self, world: _World, rng: Random, arrival: int, home: _Home) -> None:
        self.w, self.rng, self.arrival, self.home = world, rng, arrival, home
        self.quality = rng.betavariate(1.4, 3.6)
        self.interest = 3.0 + 8 * self.quality**2 * _lognormal(rng, 1.0, 0.5)
        self.shadow = _Shadow(world.runtime)
        self.heap: list[tuple[int, int, str, dict[str, Value], int | None]] = []
        self.seq = 0
        self.rep: _Rep | None = None
        self.phases = 0
        day = datetime.fromtimestamp(arrival, home.zone).date()
        self.person, self.profile = self._profile(day)
        hidden = {f for f in self.profile if "email" not in f and rng.random() < 0.03}
        self.unknown = [f for f in self.profile if f not in hidden]
        self.deal = _money(rng, self.quality)

    def _profile(self, day: date) -> tuple[_Person, dict[str, Value]]:
        """Who the lead is (all of it, known or not). With several offices the lead must be
        one the office of its own zone answers, so profiles are drawn until one is."""
        w, rng = self.w, self.rng
        for _ in range(12):
            who = _person(rng, self.quality, self.home.zone)
            profile = {
                f: _field_value(f, w.fields[f], who, rng, self.quality, day)
                for f in w.roles.profile
            }
            if len(w.homes) == 1:
                break
            scores = {
                s.name: sum(r.points for r in s.when_rules if r.predicate(profile, {}))
                for s in w.runtime.scores
            }
            goal = first_goal(w.response_goals, profile, scores)
            if (
                goal is None
                or goal.calendar is None
                or goal.calendar.timezone == self.home.zone.key
            ):
                break
        return who, profile

    # -- scheduling ----------------------------------------------------------------------------

    def push(self, ts: int, kind: str, values: dict[str, Value], until: int | None = None) -> None:
        """Schedule an event; with `until`, only if the lead has not reached that stage."""
        self.seq += 1
        heapq.heappush(self.heap, (ts, self.seq, kind, values, until))

    def reveal(self, share: float) -> dict[str, Value]:
        """Progressive profiling: a form sometimes asks for one field not yet known."""
        if not self.unknown or self.rng.random() >= share:
            return {}
        name = self.unknown.pop(self.rng.randrange(len(self.unknown)))
        return {name: self.profile[name]}

    def daytime(self, ts: int) -> int:
        """An instant on ts's local day, at an hour people act (weighted as arrivals are)."""
        zone, rng = self.home.zone, self.rng
        day = datetime.fromtimestamp(ts, zone).date()
        cum = _WEEKEND_CUM if day.weekday() >= 5 else _WEEKDAY_CUM
        hour = bisect_right(cum, rng.random() * cum[-1])
        moment = datetime(day.year, day.month, day.day, min(hour, 23), tzinfo=zone)
        return int(moment.timestamp()) + rng.randrange(_HOUR)

    def business(self, ts: int, calendar: Calendar | None, seconds: float) -> int:
        """ts plus a delay counted in the office's open hours (people answer at work)."""
        amount = max(60, int(seconds))
        return ts + amount if calendar is None else calendar.add_business_seconds_epoch(ts, amount)

    def answer(self, ts: int, goal: Goal | None, share: float = 0.45) -> int:
        """When a request is answered: log-normal around `share` of the time its SLA allows
        (so most answers are in time and about one in five is late), on the goal's clock."""
        if goal is None:
            return ts + max(60, int(_lognormal(self.rng, _DAY, 0.9)))
        allowed = goal.elapsed(ts, goal.deadline(ts)) or _HOUR
        delay = _lognormal(self.rng, share * allowed, 0.9)
        if goal.kind == "calendar" or goal.calendar is None:
            return ts + max(60, int(delay))
        return self.business(ts, goal.calendar, delay)

    # -- the life ------------------------------------------------------------------------------

    def run(self) -> list[_Event]:
        w, roles, rng = self.w, self.w.roles, self.rng
        first = roles.arrival[0]
        if len(roles.arrival) > 1 and rng.random() < 0.05:
            first = rng.choice(roles.arrival[1:])
        known = {f: v for f, v in self.profile.items() if f in self.unknown}
        values: dict[str, Value] = {}
        for name, value in known.items():
            if rng.random() < _KNOWN_AT_ARRIVAL.get(name, 0.9):
                values[name] = value
                self.unknown.remove(name)
        self.push(self.arrival, first, values)
        self.engage(self.arrival, self.interest)
        self.extras()

        events: list[_Event] = []
        shadow = self.shadow
        while self.heap:
            ts, _, kind, values, until = heapq.heappop(self.heap)
            if ts >= w.end:
                break
            if until is not None and shadow.stage >= until:
                continue
            entered, left = shadow.step(ts, kind, values)
            events.append((ts, kind, values))
            if shadow.exited:
                break
            if roles.qualify is not None and roles.qualify in entered:
                self.sales(ts)
            if left and self.phases < 3 and rng.random() < 0.5:
                self.engage(self.daytime(ts + rng.randint(20, 90) * _DAY), self.interest * 0.7)
        return events

    def engage(self, start: int, interest: float) -> None:
        """A burst of engagement: front-loaded over a few days to weeks after `start`."""
        w, roles, rng = self.w, self.w.roles, self.rng
        if not roles.engagement:
            return
        self.phases += 1
        weights = list(roles.engagement_weight)
        if w.hand_raiser is not None:
            weights[roles.engagement.index(w.hand_raiser)] *= 1 + 3 * self.quality**2
        span = 3 + rng.expovariate(1 / 25)
        for _ in range(_poisson(rng, interest)):
            ts = self.daytime(start + int(span * rng.random() ** 1.7 * _DAY))
            if ts <= start:
                ts = start + rng.randint(60, 90 * 60)
            kind = rng.choices(roles.engagement, weights)[0]
            self.push(ts, kind, self.reveal(0.4) if kind in roles.forms else {})

    def extras(self) -> None:
        """What happens beside the funnel: requests with their own SLAs, opt-outs, lapses,
        events with no other part, and the odd event type the policy does not know."""
        w, roles, rng, t0 = self.w, self.w.roles, self.rng, self.arrival
        for side in roles.sides:
            if rng.random() < 0.12:
                self.side(side, self.daytime(t0 + int(rng.expovariate(1 / 12) * _DAY)))
        if roles.opt_out and rng.random() < 0.035:
            ts = self.daytime(t0 + int(rng.expovariate(1 / 25) * _DAY))
            self.push(ts, rng.choice(roles.opt_out), {})
        if roles.lapse is not None and rng.random() < 0.9:
            until = roles.accept_stage
            self.push(t0 + w.lapse_after, roles.lapse, {}, until)
        for kind in roles.spare:
            if rng.random() < 0.05:
                ts = self.daytime(t0 + int(rng.expovariate(1 / 15) * _DAY))
                self.push(max(ts, t0 + 60), kind, self.reveal(0.5))
        if w.unknown and rng.random() < 0.015:
            ts = self.daytime(t0 + int(rng.expovariate(1 / 10) * _DAY))
            self.push(max(ts, t0 + 60), rng.choice(w.unknown), {})

    def side(self, side: _Side, ts: int) -> None:
        w, rng = self.w, self.rng
        ts = max(ts, self.arrival + 60)
        day = datetime.fromtimestamp(ts, self.home.zone).date()
        values = {
            f: _field_value(f, w.fields[f], self.person, rng, self.quality, day)
            for f in side.start_fields
        }
        self.push(ts, rng.choice(side.start), values)
        if rng.random() < 0.08:
            return
        goals = w.runtime.slas[side.sla].goals
        goal = first_goal(goals, {**self.profile, **values}, self.shadow.scores)
        stop = (
            side.stop[0]
            if len(side.stop) == 1 or rng.random() < 0.7
            else (rng.choice(side.stop[1:]))
        )
        answer = {
            f: _field_value(f, w.fields[f], self.person, rng, self.quality, day)
            for f in side.stop_fields
            if rng.random() < 0.9
        }
        self.push(self.answer(ts, goal), stop, answer)

    # -- sales -------------------------------------------------------------------------------

    def owner(self) -> dict[str, Value]:
        """The rep's name, on the first sales event of the lead (the CRM assigns an owner)."""
        owner = self.w.roles.owner
        if owner is None or owner in self.shadow.fields or self.rng.random() < 0.03:
            return {}
        assert self.rep is not None
        return {owner: self.rep.name}

    def sales(self, ts: int) -> None:
        """The lead just qualified: a rep answers (or never does), then accepts, rejects or
        lets it sit."""
        w, roles, rng, q = self.w, self.w.roles, self.rng, self.quality
        goal = self.shadow.goal(w.response_goals)
        office = goal.calendar if goal is not None and goal.calendar else self.home.calendar
        if self.rep is None:
            self.rep = rng.choice(w.reps)
        if rng.random() < self.rep.never:
            return
        if roles.pause and roles.resume and rng.random() < _HOLD_SHARE:
            ts = self.hold(ts, office)
        if rng.random() < 0.08:  # answered from a phone, whatever the hour
            reply = ts + 60 + int(rng.expovariate(1 / 2400))
        else:
            reply = self.business(ts, office, _lognormal(rng, self.rep.median, 1.4))
        decide = reply
        if roles.touch:
            self.push(reply, rng.choice(roles.touch), self.owner())
            decide = self.business(reply, office, _lognormal(rng, 12 * _HOUR, 0.9))
        u = rng.random()
        accept = 0.05 + 0.45 * q * q
        if roles.accept is not None and u < accept:
            self.push(decide, roles.accept, self.owner())
            self.progress(decide)
        elif roles.reject is not None and u < accept + 0.25 + 0.3 * (1 - q):
            self.reject(decide)

    def hold(self, ts: int, office: Calendar | None) -> int:
        """The lead asks to be called back later (or is out of the office): the pause event
        soon after it qualified, with the fields the pause's condition reads (a return date
        is the day it is back), then the resume a few days later. Sales answers after that,
        so the clock stops the response window while the lead is away. Returns the resume."""
        w, roles, rng = self.w, self.w.roles, self.rng
        at = self.business(ts, office, _lognormal(rng, 2 * _HOUR, 0.8))
        back = self.daytime(at + rng.randint(1, 7) * _DAY)
        day = datetime.fromtimestamp(back, self.home.zone).date()

        def values() -> dict[str, Value]:
            return {
                f: _field_value(f, w.fields[f], self.person, rng, self.quality, day)
                for f in roles.hold_fields
            }

        self.push(at, rng.choice(roles.pause), values())
        self.push(back, rng.choice(roles.resume), values())
        return back

    def progress(self, ts: int) -> None:
        """After acceptance: most SQLs become opportunities, some of those close, a few
        customers refer others; some SQLs are rejected after all, some are left to rot."""
        roles, rng, q = self.w.roles, self.rng, self.quality
        u = rng.random()
        if roles.later and u < 0.6 + 0.25 * q:
            goals = self.w.entering_goals.get(roles.accept_stage or -1)
            ts = self.answer(ts, goals[0] if goals else None, 0.35)
            odds = 1.0
            for position, (stage, kind) in enumerate(roles.later):
                if position:
                    odds = 0.35 + 0.3 * q if position == 1 else 0.15
                    ts += int(_lognormal(rng, 18 * _DAY, 0.5))
                if rng.random() >= odds:
                    return
                self.push(ts, kind, self.deal_values(stage))
        elif roles.reject is not None and u < 0.75 + 0.25 * q:
            self.reject(ts + int(_lognormal(rng, 5 * _DAY, 0.6)))

    def deal_values(self, stage: int) -> dict[str, Value]:
        """What a later stage's event records: the deal amount, and most of what that
        stage's handoff requires."""
        w, rng = self.w, self.rng
        values: dict[str, Value] = {}
        for name in w.roles.deal:
            if rng.random() < 0.95:
                values[name] = round(self.deal * rng.uniform(0.9, 1.1) / 100) * 100
        for name in w.handoffs.get(stage, ()):
            if name in values or name in self.shadow.fields or rng.random() < 0.05:
                continue
            if name == w.roles.owner and self.rep is not None:
                values[name] = self.rep.name
            elif name in self.profile:
                values[name] = self.profile[name]
            else:
                day = datetime.fromtimestamp(self.arrival, self.home.zone).date()
                spec = w.fields[name]
                values[name] = _field_value(name, spec, self.person, rng, self.quality, day)
        return values

    def reject(self, ts: int) -> None:
        """Sales turns the lead down, with the reason at once or in feedback afterwards;
        feedback is mostly in time, sometimes late, now and then never given."""
        w, roles, rng = self.w, self.w.roles, self.rng
        assert roles.reject is not None
        values = self.owner()
        pending: dict[str, Value] = {}
        if roles.reason is not None:
            options = w.fields[roles.reason].get("options") or list(_LOSS_REASONS)
            weights = [_REASON_WEIGHTS.get(o, 1.0) for o in options]
            reason = rng.choices(options, weights)[0]
            if roles.feedback is None or rng.random() < 0.3:
                values[roles.reason] = reason
            elif rng.random() < 0.95:
                pending[roles.reason] = reason
        self.push(ts, roles.reject, values)
        if roles.feedback is None or roles.feedback_sla is None or rng.random() >= 0.9:
            return
        sla = w.runtime.slas[roles.feedback_sla]
        fields, scores = {**self.shadow.fields, **values}, self.shadow.scores
        if any(t.fires(roles.reject, fields, scores) for t in sla.start_on):
            goal = first_goal(sla.goals, fields, scores)
            self.push(self.answer(ts, goal, 0.3), roles.feedback, pending)


# ---- the run: arrivals, rows, files ---------------------------------------------------------


class _Generator:
    """A run: leads arrive in time order and each is simulated and written in turn."""

    def __init__(
        self, plan: Plan, *, leads: int, seed: int, start: date, months: int, noise: bool
    ) -> None:
        if leads < 0:
            raise ValueError("leads must not be negative")
        self.world = _World(plan, seed, start, months)
        self.leads, self.seed, self.noise = leads, seed, noise
        self.blank: Row = dict.fromkeys(self.world.columns, "")
        self.width = max(5, len(str(leads)))
        self.next_id = 0

    def arrivals(self) -> Iterator[tuple[int, _Home]]:
        """`leads` arrival instants in ascending order, with the home of each lead.

        The arrival rate is hour by hour the sum over homes of the local hour's weight
        (`_hour_weight`), times a per-week campaign factor. Sorted uniforms are drawn one
        at a time (the running maximum of n, n-1, ... uniforms, mirrored), so the order
        comes for free, without holding the arrivals in memory.
        """
        w, rng = self.world, Random(f"{self.seed}:arrivals")
        hours = -(-(w.end - w.begin) // _HOUR)
        campaign = [_lognormal(rng, 1.0, 0.2) for _ in range(hours // 168 + 1)]
        per_home: list[list[float]] = []
        for h in range(hours):
            middle = w.begin + h * _HOUR + _HOUR // 2
            row = []
            for home in w.homes:
                local = datetime.fromtimestamp(middle, home.zone)
                row.append(_hour_weight(local.weekday(), local.hour) * campaign[h // 168])
            per_home.append(row)
        cum = list(accumulate(sum(row) for row in per_home))
        total, n, log_max = cum[-1], self.leads, 0.0
        for i in range(n):
            log_max += math.log(1.0 - rng.random()) / (n - i)
            target = -math.expm1(log_max) * total
            h = min(bisect_right(cum, target), hours - 1)
            weight = cum[h] - (cum[h - 1] if h else 0.0)
            within = (target - (cum[h - 1] if h else 0.0)) / weight if weight else 0.0
            ts = min(w.begin + h * _HOUR + int(within * _HOUR), w.end - 1)
            home = w.homes[0]
            if len(w.homes) > 1:
                home = rng.choices(w.homes, per_home[h])[0]
            yield ts, home

    def leads_rows(self) -> Iterator[tuple[int, list[Row]]]:
        """Each lead's arrival instant and rows, lead by lead (none when the policy declares
        no events: there is nothing to log)."""
        if not self.world.roles.arrival:
            return
        rng = Random(f"{self.seed}:leads")
        noise = Random(f"{self.seed}:noise")
        for number, (arrival, home) in enumerate(self.arrivals(), 1):
            lead_id = f"L{number:0{self.width}d}"
            events = _Lead(self.world, rng, arrival, home).run()
            yield arrival, self.rows(lead_id, events, rng, noise)

    def rows(self, lead_id: str, events: list[_Event], rng: Random, noise: Random) -> list[Row]:
        """The CSV rows of one lead: a few re-sent duplicates, and with `noise` a few
        broken copies of the kinds the reader must reject."""
        rows = []
        for ts, kind, values in events:
            row = self.blank.copy()
            row["lead_id"], row["timestamp"], row["event"] = lead_id, iso(ts), kind
            row["event_id"] = self.event_id()
            for name, value in values.items():
                row[name] = _text(value)
            rows.append(row)
            if rng.random() < 0.003:  # an integration re-sent the event
                rows.append(row.copy())
            if self.noise and noise.random() < 0.01:
                rows.append(self.malformed(row, noise))
        return rows

    def event_id(self) -> str:
        self.next_id += 1
        return f"E{self.next_id:08d}"

    def malformed(self, row: Row, rng: Random) -> Row:
        """A broken copy of `row` (with its own event id), as real exports contain."""
        bad = row.copy()
        bad["event_id"] = self.event_id()
        kinds = ["missing_lead_id", "bad_timestamp", "naive_timestamp", "missing_event"]
        typed: dict[str, str] = {}
        for name, spec in self.world.fields.items():
            typed.setdefault(spec["type"], name)
        kinds += [f"bad_{t}" for t in ("number", "bool", "date", "one_of") if t in typed]
        match rng.choice(kinds):
            case "missing_lead_id":
                bad["lead_id"] = ""
            case "bad_timestamp":
                bad["timestamp"] = rng.choice(("2026-02-30T10:00:00Z", "yesterday", "12/03/2026"))
            case "naive_timestamp":
                bad["timestamp"] = bad["timestamp"].removesuffix("Z")
            case "missing_event":
                bad["event"] = ""
            case "bad_number":
                bad[typed["number"]] = rng.choice(("n/a", "1,200 employees", "TBD"))
            case "bad_bool":
                bad[typed["bool"]] = "maybe"
            case "bad_date":
                bad[typed["date"]] = "31/02/2026"
            case _:
                name = typed["one_of"]
                bad[name] = "other" if "other" not in self.world.fields[name]["options"] else "?"
        return bad


def generate(
    plan: Plan, *, leads: int, seed: int, start: date, months: int, noise: bool = False
) -> Iterator[Row]:
    """Sample event rows for `plan`: `leads` leads arriving from local midnight of `start`
    (in the agreement's zone) for `months` months, nothing at or after the window's end.

    Each row has `lead_id`, `timestamp` (ISO-8601, `Z`), `event`, `event_id` and one
    column per declared field, as text, empty when that row does not set it. Rows come
    grouped by lead, leads in arrival order, each lead's rows in timestamp order. A few
    rows repeat an `event_id` and a few have types the policy does not declare
    (`UNKNOWN_EVENTS`), as in real exports; `noise=True` adds about 1% malformed rows
    (no lead id, bad or zone-less timestamps, no event, mistyped values) for reader tests.
    The same arguments give the same rows.
    """
    run = _Generator(plan, leads=leads, seed=seed, start=start, months=months, noise=noise)
    for _, rows in run.leads_rows():
        yield from rows


def columns(plan: Plan) -> tuple[str, ...]:
    """The CSV header `generate` writes: the canonical columns, then every declared field."""
    return (*CANONICAL, *plan["fields"])


def write_sample(
    plan: Plan,
    events_path: str | Path,
    metrics_path: str | Path,
    *,
    leads: int,
    seed: int,
    start: date,
    months: int,
    noise: bool = False,
) -> int:
    """Write the event log (gzip-compressed when the name ends `.gz`) and the metrics file
    for every declared metric and every month the window touches; returns the row count.

    Both files are written to a temporary file beside the target and renamed into place,
    so an interrupted run leaves no half-written sample. The gzip header carries no name
    or time, so the bytes depend only on the arguments.
    """
    run = _Generator(plan, leads=leads, seed=seed, start=start, months=months, noise=noise)
    world = run.world
    arrivals: dict[str, int] = dict.fromkeys(world.month_keys(), 0)
    count = 0
    events_path = Path(events_path)
    with _atomic(events_path) as raw:
        if events_path.name.endswith(".gz"):
            stream = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0)
        else:
            stream = raw
        with io.TextIOWrapper(stream, encoding="utf-8", newline="") as text:
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(world.columns)
            order = world.columns
            for arrival, rows in run.leads_rows():
                local = datetime.fromtimestamp(arrival, world.zone)
                arrivals[f"{local.year:04d}-{local.month:02d}"] += 1
                writer.writerows([row[c] for c in order] for row in rows)
                count += len(rows)
    metrics = _metrics(world, arrivals, Random(f"{seed}:metrics"))
    with _atomic(Path(metrics_path)) as raw, io.TextIOWrapper(raw, "utf-8", newline="") as text:
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(("metric", "period", "value"))
        writer.writerows(metrics)
    return count


def _metrics(world: _World, arrivals: dict[str, int], rng: Random) -> list[tuple[str, str, int]]:
    """Monthly figures for the declared metrics, consistent with the leads that arrived.

    Visitor-like metrics (any name but spend-like ones) are the month's leads divided by a
    visitor-to-lead conversion drawn around 3% (so a 3% target is met some months and
    missed others), scaled up to the whole month when the window covers only part of it;
    spend-like metrics (`spend`, `budget`, `cost`) are about 45 USD per lead.
    """
    covered = dict.fromkeys(arrivals, 0)
    day = datetime.fromtimestamp(world.begin, world.zone).date()
    last = datetime.fromtimestamp(world.end - 1, world.zone).date()
    while day <= last:
        covered[f"{day.year:04d}-{day.month:02d}"] += 1
        day += timedelta(days=1)
    total_days = sum(covered.values())
    overall = sum(arrivals.values()) / total_days
    rows = []
    for metric in world.plan["metrics"]:
        for key, leads in arrivals.items():
            year, month = map(int, key.split("-"))
            days = month_days.monthrange(year, month)[1]
            monthly = (leads / covered[key] if leads else overall) * days
            if any(w in metric for w in ("spend", "budget", "cost")):
                value = monthly * _lognormal(rng, 45.0, 0.15)
            else:
                value = monthly / min(0.06, max(0.015, rng.gauss(0.03, 0.004)))
            rows.append((metric, key, round(value)))
    return rows


class _atomic:
    """A binary file written beside `path` and renamed over it only when complete."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> Any:
        directory = self.path.parent if str(self.path.parent) else Path(".")
        fd, self.tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        self.handle = os.fdopen(fd, "wb")
        return self.handle

    def __exit__(self, kind: object, *_: object) -> None:
        if not self.handle.closed:
            self.handle.close()
        if kind is None:
            os.chmod(self.tmp, 0o644)
            os.replace(self.tmp, self.path)
        else:
            Path(self.tmp).unlink(missing_ok=True)
