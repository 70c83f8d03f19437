"""``OUT/report.html``: what the class got wrong, in one self-contained page.

The page needs no network and no other file: its style is inline, its figures are PNGs
made with matplotlib and inlined as ``data:`` URIs. It shows the distribution of the
scores, the pass rate of every task and every check, the failure messages that most
students got (with how many got each), the students whose grading went wrong, the
slowest submissions, the gradebook (its task headers turned upright, so that every column
fits a 1280 px page), and the pairs of students whose written code is unusually similar,
side by side function by function (``similarity.py``). Rates are over the students who
handed in a submission (status other than ``not a submission``).
"""

from __future__ import annotations

import base64
import html
import io
import re
import statistics
from collections import Counter, defaultdict
from pathlib import Path

from matplotlib.figure import Figure

from .. import manifest
from . import similarity
from .gradebook import Row, columns

TOP_FAILURES = 20
SLOWEST = 10
STUDENTS_SHOWN = 8
PAIRS_SHOWN = 30  # similar pairs shown side by side; the table lists every pair
LINES_SHOWN = 60  # lines of one function shown side by side
PROJECT_COLOURS = {"pairs": "#4c72b0", "framework": "#dd8452"}
FRAME = re.compile(r"^\s+\S+:\d+ in \S+:")  # a traceback line of the worker's message
SECONDS = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)? s\b")
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 80em; color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
.scroll { overflow-x: auto; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
pre { margin: 0; white-space: pre-wrap; font-size: 0.9em; }
figure { margin: 1em 0; } figure img { max-width: 100%; }
.status-graded { color: #2a7d2a; } .status-crashed, .status-timed-out { color: #b00; font-weight: bold; }
.status-not-a-submission { color: #888; }
td span { white-space: nowrap; }
.summary li { margin: 0.2em 0; }
table.compact th, table.compact td { padding: 0.2em 0.35em; }
th.upright { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; vertical-align: bottom; }
table.side { table-layout: fixed; width: 100%; }
table.side pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.8em; }
mark { background: #ffe08a; }
details { margin: 0.6em 0; } summary { cursor: pointer; }
"""


def failure_key(message: str) -> str:
    """A failure message without what varies from student to student: values obtained, frames, times."""
    lines = [
        line for line in message.splitlines() if not line.lstrip().startswith("obtained:") and not FRAME.match(line)
    ]
    return SECONDS.sub("N s", "\n".join(lines)).strip()


def frequent_failures(rows: list[Row]) -> list[tuple[str, list[str], list[str]]]:
    """(message, checks, students) for the failure messages most students got, most students first.

    One message is one line however many checks gave it (a stub that is not written fails
    every check that calls it with the same message).
    """
    checks: dict[str, dict[str, None]] = defaultdict(dict)
    students: dict[str, dict[str, None]] = defaultdict(dict)
    for row in rows:
        if row.submitted:
            for check, message in row.failures.items():
                key = failure_key(message)
                checks[key][check] = None
                students[key][row.student] = None
    ranked = sorted(students, key=lambda key: (-len(students[key]), key))
    return [(key, list(checks[key]), list(students[key])) for key in ranked[:TOP_FAILURES]]


def png(figure: Figure, alt: str) -> str:
    """A figure as an ``<img>`` with its PNG inlined."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"></figure>'


def histogram(rows: list[Row]) -> Figure:
    """The distribution of the submitted students' totals, in percent of the maximum."""
    figure = Figure(figsize=(8, 3.2))
    axes = figure.add_subplot()
    scores = [row.percent for row in rows if row.submitted]
    axes.hist(scores, bins=range(0, 105, 5), color="#4c72b0", edgecolor="white")
    if scores:
        median = statistics.median(scores)
        axes.axvline(median, color="#222", linestyle="--", linewidth=1)
        side = "right" if median > 60 else "left"
        axes.text(median, axes.get_ylim()[1] * 0.95, f" median {median:.0f}% ", va="top", ha=side)
    axes.set(xlim=(0, 100), xlabel="score (% of the maximum)", ylabel="students", title="Scores")
    axes.yaxis.get_major_locator().set_params(integer=True)
    return figure


def task_rates(rows: list[Row]) -> dict[str, tuple[float, float]]:
    """Each graded task's (share of students with all its points, mean share of its points)."""
    submitted = [row for row in rows if row.submitted]
    rates = {}
    for task in columns(rows):
        possible = sum(check.points for check in manifest.CHECKS if check.task == task)
        shares = [row.tasks.get(task, 0.0) / possible for row in submitted] if possible else []
        rates[task] = (
            sum(share == 1 for share in shares) / len(shares) if shares else 0.0,
            sum(shares) / len(shares) if shares else 0.0,
        )
    return rates


def check_rates(rows: list[Row]) -> dict[str, float]:
    """Each graded check's pass rate."""
    submitted = [row for row in rows if row.submitted]
    graded = [check.name for check in manifest.CHECKS if any(check.name in row.checks for row in rows)]
    return {
        name: sum(row.checks.get(name, False) for row in submitted) / len(submitted) if submitted else 0.0
        for name in graded
    }


def task_figure(rates: dict[str, tuple[float, float]]) -> Figure:
    """Per task: the share of students with all its points, and the mean share of its points."""
    figure = Figure(figsize=(8, 3.6))
    axes = figure.add_subplot()
    names = list(rates)
    places = range(len(names))
    axes.bar([x - 0.2 for x in places], [100 * rates[name][0] for name in names], 0.4, label="all points")
    axes.bar([x + 0.2 for x in places], [100 * rates[name][1] for name in names], 0.4, label="mean share of points")
    axes.set_xticks(list(places), names, rotation=40, ha="right")
    axes.set(ylim=(0, 100), ylabel="% of students")
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize="small", frameon=False)
    return figure


def check_figure(rates: dict[str, float]) -> Figure:
    """Every check's pass rate, one bar each, coloured by project."""
    names = list(rates)
    figure = Figure(figsize=(8, 0.8 + 0.19 * len(names)))
    axes = figure.add_subplot()
    colours = [PROJECT_COLOURS[manifest.TASKS_BY_NAME[manifest.CHECKS_BY_NAME[name].task].project] for name in names]
    axes.barh(range(len(names)), [100 * rates[name] for name in names], color=colours)
    axes.set_yticks(range(len(names)), names, fontsize=7)
    axes.invert_yaxis()
    axes.set(xlim=(0, 100), xlabel="% of students who pass", title="Checks (blue: pairs, orange: framework)")
    axes.margins(y=0.01)
    return figure


def status_class(status: str) -> str:
    """The CSS class of a status."""
    return "status-" + status.replace(" ", "-")


def table(
    header: list[str], body: list[list[str]], numeric: set[int] = frozenset(), upright: set[int] = frozenset()
) -> str:
    """An HTML table; cells are already escaped HTML.

    The ``upright`` headers read upwards and make the table compact: a column is as narrow as its numbers.
    """
    head = "".join(
        f'<th class="upright">{html.escape(name)}</th>' if i in upright else f"<th>{html.escape(name)}</th>"
        for i, name in enumerate(header)
    )
    lines = [
        "<tr>"
        + "".join(
            f'<td class="number">{cell}</td>' if i in numeric else f"<td>{cell}</td>" for i, cell in enumerate(line)
        )
        + "</tr>"
        for line in body
    ]
    opening = '<table class="compact">' if upright else "<table>"
    return f'<div class="scroll">{opening}<thead><tr>{head}</tr></thead><tbody>{"".join(lines)}</tbody></table></div>'


def names(students: list[str]) -> str:
    """The first few names, escaped, and how many more."""
    shown = ", ".join(html.escape(name) for name in students[:STUDENTS_SHOWN])
    return shown + (f" and {len(students) - STUDENTS_SHOWN} more" if len(students) > STUDENTS_SHOWN else "")


def summary(rows: list[Row]) -> str:
    """The class in a few lines: statuses, mean and median, full marks."""
    counts = Counter(row.status for row in rows)
    scores = [row.percent for row in rows if row.submitted]
    items = [f"{len(rows)} students: " + ", ".join(f"{counts[status]} {status}" for status in sorted(counts))]
    if scores:
        full = sum(score == 100 for score in scores)
        items.append(
            f"score of those who handed in a submission: mean {statistics.mean(scores):.1f}%, "
            f"median {statistics.median(scores):.1f}%; {full} with every point"
        )
    maxima = sorted({row.max_score for row in rows})
    items.append(f"maximum: {' / '.join(f'{value:g}' for value in maxima)} points")
    return '<ul class="summary">' + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>"


def render(rows: list[Row], title: str = "Class report", similar: similarity.Similarity | None = None) -> str:
    """The whole page; the similar pairs' section says how to get it when ``similar`` is None."""
    tasks, checks = task_rates(rows), check_rates(rows)
    parts = [f"<h1>{html.escape(title)}</h1>", summary(rows)]
    parts += ["<h2>Scores</h2>", png(histogram(rows), "histogram of the scores")]
    parts += ["<h2>Pass rate per task</h2>", png(task_figure(tasks), "pass rate per task")]
    parts.append(
        table(
            ["task", "students with all points", "mean share of points"],
            [[html.escape(task), f"{100 * full:.0f}%", f"{100 * mean:.0f}%"] for task, (full, mean) in tasks.items()],
            {1, 2},
        )
    )
    parts += ["<h2>Pass rate per check</h2>", png(check_figure(checks), "pass rate per check")]
    failures = frequent_failures(rows)
    parts.append("<h2>Most frequent failures</h2>")
    parts.append(
        table(
            ["students", "message", "checks", "who"],
            [
                [str(len(who)), f"<pre>{html.escape(message)}</pre>", names(where), names(who)]
                for message, where, who in failures
            ],
            {0},
        )
        if failures
        else "<p>No check failed.</p>"
    )
    troubled = [row for row in rows if row.status != "graded"]
    parts.append("<h2>Gradings that went wrong</h2>")
    parts.append(
        table(
            ["student", "status", "what happened"],
            [
                [
                    html.escape(row.student),
                    f'<span class="{status_class(row.status)}">{row.status}</span>',
                    f"<pre>{html.escape(trouble(row))}</pre>",
                ]
                for row in troubled
            ],
        )
        if troubled
        else "<p>Every submission was graded to the end.</p>"
    )
    slowest = sorted(rows, key=lambda row: -row.seconds)[:SLOWEST]
    parts.append("<h2>Slowest submissions</h2>")
    parts.append(
        table(
            ["student", "seconds", "status", "score"],
            [
                [html.escape(row.student), f"{row.seconds:.1f}", row.status, f"{row.total:g} / {row.max_score:g}"]
                for row in slowest
            ],
            {1, 3},
        )
    )
    header = ["student", *columns(rows), "total", "max_score", "status", "seconds"]
    body = [
        [
            html.escape(row.student),
            *(f"{row.tasks.get(task, 0):g}" for task in columns(rows)),
            f"{row.total:g}",
            f"{row.max_score:g}",
            f'<span class="{status_class(row.status)}">{row.status}</span>',
            f"{row.seconds:.1f}",
        ]
        for row in rows
    ]
    numeric = set(range(1, len(header) - 2)) | {len(header) - 1}
    parts += ["<h2>Gradebook</h2>", table(header, body, numeric, set(range(1, len(header))))]
    parts += ["<h2>Similar submissions</h2>", similar_section(similar)]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body>\n</html>\n"
    )


def trouble(row: Row) -> str:
    """What went wrong for a student: the kit's error, or the notes and the first failure that says so."""
    if row.kit_error:
        return row.notes or row.kit_error
    wanted = {"timed out": "took longer than", "crashed": "the process running your code"}.get(row.status)
    for message in [row.notes, *row.failures.values()]:
        if wanted is None or wanted in message:
            return message
    return row.notes


def similar_section(similar: similarity.Similarity | None) -> str:
    """What the score means, every pair above the threshold, and the first pairs side by side."""
    if similar is None:
        return (
            "<p>Not compared: the submissions folder was not given. "
            "<code>merge OUT --submissions SUBMISSIONS</code> compares the students' code.</p>"
        )
    meaning = (
        f"<p>{similar.compared} students compared. A pair's score is the share of the smaller of the two "
        f"written parts that the other hand-in holds too, in fingerprints (runs of "
        f"{similarity.K + similarity.WINDOW - 1} tokens kept by winnowing), once the kit's code and docstrings "
        f"are removed and names, comments and layout are made the same. 100% is a copy however disguised; "
        f"independent correct solutions of this kit score below 40%. Pairs from {similar.threshold:.0%} that "
        f"share {similarity.MIN_SHARED} fingerprints or more are listed: a score asks for a look at the code, "
        f"it is not a verdict.</p>"
    )
    if not similar.pairs:
        return meaning + "<p>No pair of students is unusually similar.</p>"
    rows = [
        [
            html.escape(pair.first.student),
            html.escape(pair.second.student),
            f"{pair.score:.0%}",
            str(pair.shared),
            f"{pair.shares[0]:.0%} / {pair.shares[1]:.0%}",
        ]
        for pair in similar.pairs
    ]
    groups = "".join(f"<li>{html.escape(', '.join(names))}</li>" for names in similar.groups())
    grouped = f"<p>Students linked by these pairs, directly or through one another:</p><ul>{groups}</ul>"
    listed = table(["student", "student", "score", "fingerprints in common", "share of each"], rows, {2, 3, 4})
    shown = "".join(side_by_side(pair, i == 0) for i, pair in enumerate(similar.pairs[:PAIRS_SHOWN]))
    more = len(similar.pairs) - PAIRS_SHOWN
    rest = f"<p>The {more} other pairs are in the table above.</p>" if more > 0 else ""
    return meaning + listed + grouped + shown + rest


def side_by_side(pair: similarity.Pair, opened: bool) -> str:
    """A pair's matching functions, one table each: the first student's left, the other's right."""
    blocks = []
    for match in pair.matches():
        left = code(pair.first, match.first, match.first_lines)
        right = code(pair.second, match.second, match.second_lines)
        blocks.append(
            '<table class="side"><thead><tr>'
            f"<th>{html.escape(pair.first.student)}: {html.escape(match.first.file)}, "
            f"{html.escape(match.first.name)}</th>"
            f"<th>{html.escape(pair.second.student)}: {html.escape(match.second.file)}, "
            f"{html.escape(match.second.name)} ({fingerprints(match.shared)} in common)</th>"
            f"</tr></thead><tbody><tr><td>{left}</td><td>{right}</td></tr></tbody></table>"
        )
    summary = (
        f"{html.escape(pair.first.student)} and {html.escape(pair.second.student)}: {pair.score:.0%} "
        f"({len(blocks)} functions with code in common)"
    )
    return f"<details{' open' if opened else ''}><summary>{summary}</summary>{''.join(blocks)}</details>"


def fingerprints(count: int) -> str:
    """``1 fingerprint``, ``2 fingerprints``."""
    return f"{count} fingerprint{'' if count == 1 else 's'}"


def code(student: similarity.Written, unit: similarity.Unit, marked: frozenset[int]) -> str:
    """A function's lines, numbered, the matching ones marked; module-level code shows its matching lines only."""
    text = student.lines[unit.file]
    numbers = (sorted(marked) if unit.name == similarity.MODULE_LEVEL else list(range(unit.first, unit.last + 1)))[
        :LINES_SHOWN
    ]
    lines = []
    for number in numbers:
        line = f"{number:4d}  {html.escape(text[number - 1]) if number <= len(text) else ''}"
        lines.append(f"<mark>{line}</mark>" if number in marked else line)
    return "<pre>" + "\n".join(lines) + "</pre>"


def write_report(
    rows: list[Row], path: Path, title: str = "Class report", similar: similarity.Similarity | None = None
) -> None:
    """Write ``report.html``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(rows, title, similar), encoding="utf-8")
