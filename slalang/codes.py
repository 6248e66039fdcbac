"""What each diagnostic code means, in one line: the `meaning` column of
docs/diagnostics.md, shipped with the package so machine formats can describe a rule
(SARIF's `shortDescription`) without the docs. tests/check/test_codes_documented.py keeps
the two the same: a new code is added here and there in the same change."""

from __future__ import annotations

CODES: dict[str, str] = {
    "SLA001": "the file cannot be read: not found, a directory, or no permission",
    "SLA002": "the file is not valid UTF-8",
    "SLA003": "the file is binary (it contains NUL bytes), not a policy",
    "SLA004": "an import leaves the policy root",
    "SLA005": "imports form a cycle; the chain is named",
    "SLA006": "an imported file does not exist",
    "SLA007": (
        "an imported file holds something other than definitions (an agreement, sla, target, "
        "handoff, recycle or exit)"
    ),
    "SLA008": "the file named on the command line holds no statements (empty, or comments only)",
    "SLA100": "a character that has no place in a policy",
    "SLA101": "a token where it cannot go; the message says what was expected",
    "SLA102": "a `{` is never closed",
    "SLA103": "a capitalised name; names are lower case",
    "SLA104": "a duration without its unit",
    "SLA105": "two names without a comma between them",
    "SLA106": "a keyword used as a name",
    "SLA107": "a string with no closing quote on its line",
    "SLA108": "parentheses nested more than 100 deep",
    "SLA109": "two score rules on one line",
    "SLA110": (
        "an expression nested more than 50 deep: operators inside operators (a chain of "
        "`and`s or of `or`s counts once)"
    ),
    "SLA201": "unknown event, with the closest declared one suggested",
    "SLA202": "unknown stage",
    "SLA203": "unknown field (or, in a condition, unknown field, score or let)",
    "SLA204": "unknown calendar (`always` is built in)",
    "SLA205": (
        "an owner that is not one of the agreement's parties (checked when the agreement "
        "lists parties)"
    ),
    "SLA206": "unknown metric",
    "SLA207": "unknown SLA in `compliance`",
    "SLA208": "unknown field type (`text`, `number`, `bool`, `date`, `one of`)",
    "SLA209": "unknown target period (`weekly`, `monthly`, `quarterly`, `yearly`)",
    "SLA210": "unknown severity (`error`, `warning`, `info`)",
    "SLA211": "unknown day name (`mon` … `sun`)",
    "SLA212": "unknown time zone, with the closest IANA name suggested",
    "SLA213": "a country or subdivision the holidays library does not know",
    "SLA214": (
        "a second definition of a name (naming the first's file and line), a second "
        "agreement, a second handoff for a stage, or a calendar named `always`"
    ),
    "SLA215": (
        "a field, a score and/or a let with the same name (they share the expression namespace)"
    ),
    "SLA216": (
        "a block item given twice (`version`, `effective`, `timezone`, `description`, "
        "`owner`, `severity`, `warn at`, `limit`, a target's goal, an sla's `pause` or "
        "`resume`)"
    ),
    "SLA217": (
        "the same value listed twice (a `one of` option, an event in an `on` list, a required"
        " field, a day, a closed date)"
    ),
    "SLA218": "an empty text as a `one of` option (empty means missing)",
    "SLA219": "an event, field, calendar, metric or let of the checked file that nothing uses",
    "SLA220": "a comparison between values of different types",
    "SLA221": "a value outside a `one of` field's set",
    "SLA222": "`matches` on something that is not text",
    "SLA223": "a condition is expected (a `when`, a `where`, an `and`), something else is found",
    "SLA224": "a number is expected (arithmetic), something else is found",
    "SLA225": "`<`, `<=`, `>`, `>=` on text, `one of` or bool",
    "SLA226": "`is present` / `is missing` on something that is not a field",
    "SLA227": "a let holds something other than numbers, percentages and other lets",
    "SLA228": "a let or a score defined in terms of itself",
    "SLA229": (
        "an aggregate (`count`, `sum`, `rate`, `compliance`, `metric`) outside a target's "
        "goal, or inside an aggregate's `where`"
    ),
    "SLA230": "a target's goal that is not a comparison of numbers measuring something",
    "SLA231": "`sum` over a field that is not a number",
    "SLA232": "a share (a rate, compliance, `warn at`) compared with more than 100%",
    "SLA233": "division by zero (a literal 0, or lets that work out to 0)",
    "SLA234": "an invalid regular expression, with RE2's reason",
    "SLA235": "a regular expression that needs backtracking (backreferences, lookaround)",
    "SLA236": "a target's goal reads a lead's field or score outside a `where`",
    "SLA237": (
        "a call of a function that does not exist (the functions are `ceil`, `floor`, "
        "`round`, `min`, `max`, `abs`), with the closest one suggested"
    ),
    "SLA238": (
        "a function called with the wrong number of arguments (`min` and `max` take two or more)"
    ),
    "SLA239": "`round(x, n)` with `n` not written as a whole number from 0 to 15",
    "SLA240": (
        "a number beyond 10^15 either way: written (400 digits), or worked out from numbers "
        "written (a let, `1_000_000_000 * 1_000_000_000`)"
    ),
    "SLA300": (
        "a block misses an item it cannot work without: an sla's `start`, `stop` or `within`;"
        " a target's goal; a handoff's `require`; a score's rules"
    ),
    "SLA301": "a date that does not exist, or one before 0002-01-01 or after 9998-12-31",
    "SLA302": "the agreement ends before it starts",
    "SLA303": "a duration of zero (or a fraction of a business day)",
    "SLA304": "business weeks (business time is minutes, hours or days)",
    "SLA305": "a business duration with no calendar to count on (none, or several and no `using`)",
    "SLA306": "a calendar given to a calendar-time duration, which ignores it",
    "SLA307": "a time of day that does not exist, or `24:00` starting a range",
    "SLA308": "an opening range that ends when it starts",
    "SLA309": "opening ranges that overlap (a range past midnight covers the next morning)",
    "SLA310": "a calendar with no `open` line, never open",
    "SLA311": (
        "a stage without a trigger (never entered, only skipped) used where entries matter: a"
        " handoff, `start when entering`, `count(entering …)`, `sum(…, entering …)`"
    ),
    "SLA312": "a recycle to the last stage, which never happens",
    "SLA313": "SLA goals without `otherwise`: leads matching none are `exempt`",
    "SLA314": "a goal after `otherwise` (or after a goal without condition), never chosen",
    "SLA315": "`warn at 0%` or `warn at 100%`",
    "SLA316": "`at most` of zero or less",
    "SLA317": "a score rule worth 0 points",
    "SLA318": "an sla with `pause` and no `resume`, or `resume` and no `pause`",
    "SLA319": (
        "an event listed under `pause` that also stops the clock (a `stop` line without "
        "`where` lists it), so it never pauses"
    ),
    "SLA320": (
        "a duration longer than 3,650 days (ten years), or business time longer than its "
        "calendar is open in 521 weeks"
    ),
    "SLA399": "more than 200 diagnostics: the rest are not shown",
    "SLA901": (
        "a `# slalang: ignore[...]` comment that silences nothing: no such diagnostic on its "
        "line (or in its file), a mistyped code, or an error, which cannot be silenced"
    ),
}
