"""The board paper as one HTML page: the sections, in the order a board reads them.

Every figure and style is inside the page (figures as base64 PNG, system fonts only),
so it opens offline and weasyprint turns it into the PDF without fetching anything.
The reporting checklist follows STRESS-DES (Monks T, Currie CSM, Onggo BS, Robinson S,
Kunc M, Taylor SJE. Strengthening the reporting of empirical simulation studies:
introducing the STRESS guidelines. Journal of Simulation 2019; 13(1): 55–67).
"""

from __future__ import annotations

import base64
import math
from datetime import datetime
from html import escape

from sim.metrics import is_headline
from sim.output.report_data import ResultsFolder
from sim.output.report_format import (
    decimals_for,
    headline_cells,
    interval,
    label,
    number,
    pretty,
    summary_cells,
    value,
)
from sim.output.report_scenario import differences, scenario_rows, show
from sim.output.report_stress import ASSUMPTIONS, STRESS_INTRO, checklist
from sim.runs.compare import AVOIDED_METRICS

__all__ = ["Figure", "render"]

Figure = tuple[str, bytes]
"""A caption and the PNG bytes of a figure."""

FONTS = '"DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif'
SATURATED = 0.95
"""An occupancy or utilisation at least this high is noted as a warning."""

CSS = f"""
@page {{ size: A4; margin: 16mm 15mm 18mm 15mm;
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages);
    font-family: {FONTS}; font-size: 8pt; color: #555; }} }}
body {{ font-family: {FONTS}; font-size: 10pt; line-height: 1.4; color: #1a1a1a;
  max-width: 60em; margin: 1.5em auto; padding: 0 1em; }}
h1 {{ font-size: 17pt; margin: 0 0 0.2em; color: #0b3d6e; }}
h2 {{ font-size: 12.5pt; margin: 1.4em 0 0.4em; color: #0b3d6e;
  border-bottom: 1px solid #c9d6e3; padding-bottom: 0.15em; }}
p.meta {{ color: #555; margin: 0 0 1em; }}
table {{ border-collapse: collapse; width: 100%; margin: 0.4em 0 0.8em; font-size: 9pt; }}
th, td {{ border-bottom: 1px solid #dde3ea; padding: 0.25em 0.45em; vertical-align: top; }}
th {{ text-align: left; background: #eef3f8; font-weight: bold; }}
th.num {{ white-space: normal; }}
td:first-child {{ width: 30%; }}
td.num, th.num {{ text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }}
tr {{ page-break-inside: avoid; }}
td.changed {{ font-weight: bold; }}
.headline td.num {{ font-size: 10pt; }}
.headline td.avoided {{ font-weight: bold; }}
figure {{ margin: 0.6em 0 1em; page-break-inside: avoid; }}
figure img {{ max-width: 100%; }}
figcaption {{ font-size: 9pt; color: #444; }}
ul.warnings li {{ margin-bottom: 0.25em; }}
.note {{ font-size: 9pt; color: #444; }}
code {{ font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 8.5pt; }}
"""


# -- small builders -----------------------------------------------------------------


def _table(
    header: list[str],
    rows: list[list[str]],
    numeric: set[int],
    cls: str = "",
    keys: list[str] | None = None,
    changed: list[set[int]] | None = None,
) -> str:
    """An HTML table; ``numeric`` columns align right; ``keys`` label rows (data-metric)."""
    head = "".join(
        f'<th class="num">{escape(h)}</th>' if i in numeric else f"<th>{escape(h)}</th>"
        for i, h in enumerate(header)
    )
    body = []
    for r, cells in enumerate(rows):
        key = f' data-metric="{escape(keys[r])}"' if keys else ""
        tds = []
        for i, c in enumerate(cells):
            classes = [
                n
                for n, on in (("num", i in numeric), ("changed", bool(changed and i in changed[r])))
                if on
            ]
            attr = f' class="{" ".join(classes)}"' if classes else ""
            tds.append(f"<td{attr}>{c}</td>")
        body.append(f"<tr{key}>{''.join(tds)}</tr>")
    klass = f' class="{cls}"' if cls else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _section(ident: str, title: str, *parts: str) -> str:
    return f'<section id="{ident}"><h2>{escape(title)}</h2>{"".join(parts)}</section>'


def _p(text: str, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f"<p{klass}>{text}</p>"


# -- sections -------------------------------------------------------------------------


def _header(folder: ResultsFolder) -> str:
    sc, cf = folder.names()
    m = folder.manifest
    if folder.is_comparison:
        title = f"What {pretty(sc)} avoids, against {pretty(cf)}"
    else:
        title = f"{pretty(sc)}: results"
    n = m.get("replications", "?")
    kind = (
        "paired replications" if folder.is_comparison and m.get("paired", True) else "replications"
    )
    when = str(m.get("finished") or m.get("started") or "")
    try:
        when = datetime.fromisoformat(when).strftime("%d %B %Y")
    except ValueError:
        pass
    meta = f"nhsim {m.get('nhsim_version', '?')} · {n} {kind} · seed {m.get('seed', '?')} · {when}"
    return f'<header><h1>{escape(title)}</h1><p class="meta">{escape(meta)}</p></header>'


def _question(folder: ResultsFolder) -> str:
    sc, cf = folder.names()
    run = folder.scenarios["scenario"].get("run", {})
    period = (
        f"{number(run.get('days', 0))} days measured after {number(run.get('warmup_days', 0))} days' "
        "warm-up; counts and costs are per year"
    )
    m = folder.manifest
    parts = []
    if folder.is_comparison:
        parts.append(
            _p(
                f"How many ambulance conveyances, emergency admissions and bed days does "
                f"<b>{escape(pretty(sc))}</b> avoid each year, compared with "
                f"<b>{escape(pretty(cf))}</b> (the counterfactual)? Avoided = counterfactual "
                f"− scenario: a positive number is a reduction. Both were run on the same "
                f"{escape(str(m.get('replications', '?')))} replications' random numbers "
                f"(seed {escape(str(m.get('seed', '?')))}), {period}."
            )
        )
        for side, name in (("counterfactual", cf), ("scenario", sc)):
            desc = folder.scenarios[side].get("description")
            if desc:
                parts.append(_p(f"<b>{escape(pretty(name))}</b>: {escape(str(desc))}."))
        diffs = differences(folder.scenarios["counterfactual"], folder.scenarios["scenario"])
        if diffs:
            rows = [[f"<code>{escape(k)}</code>", show(a), show(b)] for k, a, b in diffs[:25]]
            more = f" (and {len(diffs) - 25} more)" if len(diffs) > 25 else ""
            parts.append(_p(f"What differs between them{more}:"))
            parts.append(_table(["Setting", pretty(cf), pretty(sc)], rows, set()))
    else:
        desc = folder.scenarios["scenario"].get("description")
        parts.append(
            _p(
                f"What happens to patients and services in <b>{escape(pretty(sc))}</b>"
                + (f" ({escape(str(desc))})" if desc else "")
                + f"? {escape(str(m.get('replications', '?')))} replications (seed "
                f"{escape(str(m.get('seed', '?')))}), {period}."
            )
        )
    return _section("question", "The question", *parts)


def _headline(folder: ResultsFolder) -> str:
    sc, cf = folder.names()
    if folder.is_comparison:
        rows, keys = [], []
        for metric in AVOIDED_METRICS:
            row = folder.comparison.get(metric)
            if row is None or not math.isfinite(row.mean):
                continue
            rows.append(list(headline_cells(row)))
            keys.append(metric)
        if not rows:
            return _section(
                "headline",
                "What the change avoids",
                _p("No conveyance, admission or bed-day measures in comparison.csv."),
            )
        table = _table(
            ["A year", pretty(cf), pretty(sc), "Avoided", "95% interval"],
            rows,
            {1, 2, 3, 4},
            "headline",
            keys,
        )
        note = _p(
            "Means over the replications; the interval is the 95% confidence interval of "
            "the paired difference. An interval that includes 0 means the change may avoid "
            "none.",
            "note",
        )
        return _section("headline", "What the change avoids each year", table, note)
    summary = folder.summaries.get("scenario", {})
    rows, keys = [], []
    first = [m for m in AVOIDED_METRICS if m in summary]
    for metric in first + [m for m in summary if is_headline(m) and m not in first]:
        rows.append(list(summary_cells(summary[metric])))
        keys.append(metric)
    table = _table(
        ["Measure (a year unless stated)", "Mean", "95% interval"], rows, {1, 2}, "headline", keys
    )
    return _section("headline", "Headline results", table)


def _others(folder: ResultsFolder) -> str:
    if not folder.is_comparison:
        return ""
    sc, cf = folder.names()
    rows = []
    for metric, row in folder.comparison.items():
        if metric in AVOIDED_METRICS or not is_headline(metric) or metric.startswith("cost."):
            continue
        d = decimals_for(
            metric, (row.counterfactual_mean, row.scenario_mean, row.mean, row.ci_low, row.ci_high)
        )
        rows.append(
            [
                escape(label(metric)),
                value(metric, row.counterfactual_mean, d),
                value(metric, row.scenario_mean, d),
                value(metric, row.mean, d, sign=True, difference=True),
                interval(metric, row.ci_low, row.ci_high, d, difference=True),
            ]
        )
    if not rows:
        return ""
    table = _table(
        ["Measure (a year unless stated)", pretty(cf), pretty(sc), "Difference", "95% interval"],
        rows,
        {1, 2, 3, 4},
    )
    note = _p(
        "Difference = scenario − counterfactual (for shares, in percentage points: pts). Every metric is in comparison.csv.",
        "note",
    )
    return _section("other", "Other headline measures", table, note)


def _costs(folder: ResultsFolder) -> str:
    if folder.is_comparison:
        costs = {m: r for m, r in folder.comparison.items() if m.startswith("cost.")}
    else:
        costs = {
            m: r for m, r in folder.summaries.get("scenario", {}).items() if m.startswith("cost.")
        }
    if not costs:
        return ""
    if not folder.is_comparison:
        rows = [list(summary_cells(r)) for r in costs.values()]
        table = _table(["Cost a year", "Mean", "95% interval"], rows, {1, 2}, keys=list(costs))
        return _section("costs", "Costs", table)
    sc, cf = folder.names()
    rows = []
    for metric, row in costs.items():
        rows.append(
            [
                escape(label(metric)),
                value(metric, row.counterfactual_mean, 0),
                value(metric, row.scenario_mean, 0),
                value(metric, row.mean, 0, sign=True),
                interval(metric, row.ci_low, row.ci_high, 0),
            ]
        )
    parts = [
        _table(
            ["Cost a year", pretty(cf), pretty(sc), "Change", "95% interval"],
            rows,
            {1, 2, 3, 4},
            keys=list(costs),
        )
    ]
    if folder.economics:
        parts += _economics(folder.economics)
        return _section("costs", "Investment and costs", *parts)
    admissions = folder.comparison.get("admissions.total")
    avoided = admissions.avoided()[0] if admissions else math.nan
    capacity = [r for m, r in costs.items() if m.startswith("cost.capacity.")]
    total = costs.get("cost.total")
    lines = []
    if capacity:
        investment = sum(r.mean for r in capacity)
        lines.append(
            f"The investment (the change in capacity costs) is <b>{value('cost.x', investment, 0, sign=True)}</b> a year."
        )
        if math.isfinite(avoided) and avoided > 0:
            lines.append(
                f"Cost per admission avoided: {value('cost.x', investment, 0)} ÷ {number(avoided, 1)} = "
                f"<b>{value('cost.x', investment / avoided, 0)}</b>."
            )
    else:
        lines.append(
            "The scenario files give no capacity costs (<code>cost.capacity.&lt;service&gt;</code>), so "
            "the investment itself is not priced: the costs above are of the activity counted."
        )
    if total is not None and math.isfinite(avoided) and avoided > 0 and math.isfinite(total.mean):
        lines.append(
            f"Change in total cost per admission avoided: {value('cost.x', total.mean, 0, sign=True)} ÷ "
            f"{number(avoided, 1)} = <b>{value('cost.x', total.mean / avoided, 0, sign=True)}</b> "
            "(a negative number is a saving)."
        )
    elif admissions is not None:
        lines.append("No cost per admission avoided: the scenario avoids no admissions on average.")
    parts.append(_p(" ".join(lines)))
    return _section("costs", "Investment and costs", *parts)


def _economics(rows: list[dict[str, str]]) -> list[str]:
    """The table of ``economics.csv`` (the same figures ``nhsim compare`` prints) and its
    verdict."""

    def cells(row: dict[str, str]) -> list[str]:
        mean, low, high = (float(row[k] or "nan") for k in ("mean", "ci_low", "ci_high"))
        bounded = row.get("bounded", "True") == "True"
        span = interval("cost.x", low, high, 0) if bounded else "unbounded"
        return [escape(row["description"].capitalize()), value("cost.x", mean, 0, sign=True), span]

    table = _table(
        ["A year", "Mean", "95% interval"],
        [cells(r) for r in rows],
        {1, 2},
        keys=[r["figure"] for r in rows],
    )
    verdict = escape(rows[0]["verdict"])
    note = (
        f"Verdict: <b>{verdict}</b> (cost-saving only when the net cost's interval lies wholly "
        "below 0). A cost per thing avoided is the net cost divided by what is avoided, with "
        "Fieller's interval for a ratio of paired means; it is unbounded when what is avoided "
        "cannot be told from 0."
    )
    return [table, _p(note)]


def _scenarios(folder: ResultsFolder) -> str:
    sc, cf = folder.names()
    if folder.is_comparison:
        a = scenario_rows(folder.scenarios["counterfactual"])
        b = dict(scenario_rows(folder.scenarios["scenario"]))
        keys = [k for k, _ in a] + [k for k in b if k not in dict(a)]
        da = dict(a)
        rows = [[k, da.get(k, "–"), b.get(k, "–")] for k in keys]
        changed = [{2} if r[1] != r[2] else set() for r in rows]
        table = _table(["", pretty(cf), pretty(sc)], rows, set(), changed=changed)
        note = _p(
            "Bold: where the scenario differs from the counterfactual. Yearly demand is the rate per 1,000 people times the population; the simulated arrivals are in the results.",
            "note",
        )
        return _section("scenario", "The scenarios", table, note)
    rows = [[k, v] for k, v in scenario_rows(folder.scenarios["scenario"])]
    return _section("scenario", "The scenario", _table(["", pretty(sc)], rows, set()))


def _figures(figures: list[Figure]) -> str:
    if not figures:
        return ""
    parts = []
    for caption, png in figures:
        data = base64.b64encode(png).decode("ascii")
        parts.append(
            f'<figure><img alt="{escape(caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>"
        )
    return _section("figures", "Figures", *parts)


def saturation_notes(folder: ResultsFolder) -> list[str]:
    """Services at least 95% occupied or busy on average, from ``summary.csv``."""
    notes = []
    for side, summary in folder.summaries.items():
        name = folder.scenarios[side].get("name", side)
        for metric, row in summary.items():
            if (
                (metric.endswith(".occupancy") or metric.endswith(".utilisation"))
                and math.isfinite(row.mean)
                and row.mean >= SATURATED
            ):
                service = pretty(metric.split(".")[0])
                what = "beds in use" if metric.endswith(".occupancy") else "clinicians busy"
                notes.append(
                    f"{pretty(str(name))}: {service} is at {number(100 * row.mean, 1)}% ({what}, on average). "
                    "It is close to full: patients queue or are turned away, and results move "
                    "with its capacity."
                )
    return notes


def _warnings(folder: ResultsFolder) -> str:
    if folder.warnings is not None:
        items = folder.warnings
        intro = "From warnings.json in the results folder:"
    else:
        items = saturation_notes(folder)
        intro = "Services at 95% or more of their capacity (from summary.csv):"
    if not items:
        return _section(
            "warnings",
            "Warnings",
            _p("None: no service is at 95% or more of its capacity on average."),
        )
    lis = "".join(f"<li>{escape(i)}</li>" for i in items)
    return _section("warnings", "Warnings", _p(intro), f'<ul class="warnings">{lis}</ul>')


def _assumptions() -> str:
    return _section("assumptions", "Assumptions and their sources", ASSUMPTIONS)


def _stress(folder: ResultsFolder) -> str:
    rows = [[escape(item), escape(text)] for item, text in checklist(folder)]
    return _section(
        "stress",
        "Reporting checklist (STRESS-DES)",
        _p(STRESS_INTRO, "note"),
        _table(["Item", "This study"], rows, set()),
    )


def render(folder: ResultsFolder, figures: list[Figure]) -> str:
    """The whole page."""
    sc, _ = folder.names()
    body = "".join(
        [
            _header(folder),
            _question(folder),
            _headline(folder),
            _costs(folder),
            _scenarios(folder),
            _others(folder),
            _figures(figures),
            _warnings(folder),
            _assumptions(),
            _stress(folder),
        ]
    )
    title = escape(f"nhsim: {pretty(sc)}")
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
