"""Build the lecture decks as self-contained HTML: ``python slides/build.py --help``.

Each deck is a Markdown file in ``slides/decks/`` whose slides are separated by a line
``---``; its first heading is its title. The build writes one HTML file per deck, and
``index.html``, into ``slides/_build/``. Everything a deck shows is inside its file: the
style and the navigation script inlined, figures as ``data:`` URIs, mathematics as
MathML (rendered by the browser, no script or font to fetch), so it opens offline.

Beyond Markdown, a deck may use:

- ``$...$`` and ``$$...$$``: LaTeX mathematics, converted to MathML at build time.
- ``{{ name arguments }}``: a directive that reads the experiments' output from the
  results folder (``slides/results/`` by default); ``DIRECTIVES`` lists them.
- ``<!-- class: NAME -->`` as a slide's first line: CSS classes for that slide.

Figures and numbers come from the reference's experiments. ``--rerun`` runs them all
again into ``slides/results/``; ``--quick`` runs them with few rounds and epochs into
``slides/_build/quick-results/`` and builds a draft from there.
"""

from __future__ import annotations

import argparse
import base64
import html
import inspect
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import markdown
from latex2mathml.converter import convert as latex_to_mathml

SLIDES = Path(__file__).resolve().parent
ROOT = SLIDES.parent
DECKS = ("pairs", "framework", "instructors")  # in the order of the index
DECK_SOURCES = SLIDES / "decks"
ENGINE = SLIDES / "engine"
RESULTS = SLIDES / "results"
OUT = SLIDES / "_build"
BUILD_INFO = "build-info.json"  # written next to the results by --rerun and --quick
OPTIONAL = {"framework/speed.json"}  # a slide says how to measure it when it is absent
MARKDOWN_EXTENSIONS = ["fenced_code", "tables", "md_in_html", "attr_list", "sane_lists"]

# slides/build.py runs as a script: make the kit's packages importable for the
# directives that read its configuration and for the quick framework runs.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class BuildError(Exception):
    """A deck cannot be built: an unknown directive, malformed mathematics, a bad argument."""


@dataclass
class Results:
    """The folder of experiment output that a build reads, and what it found missing."""

    folder: Path
    used: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)

    def path(self, name: str) -> Path | None:
        """Return the path of result ``name`` (relative to the folder), or None if absent."""
        self.used.add(name)
        path = self.folder / name
        if path.is_file():
            return path
        self.missing.add(name)
        return None

    def json(self, name: str) -> dict | None:
        """Return the parsed JSON file ``name``, or None if absent."""
        path = self.path(name)
        return None if path is None else json.loads(path.read_text())

    def info(self) -> dict:
        """Return how the results were produced (``build-info.json``), empty if unknown."""
        path = self.folder / BUILD_INFO
        return json.loads(path.read_text()) if path.is_file() else {}


# ---------------------------------------------------------------- formatting helpers


def missing(name: str, hint: str = "run python slides/build.py --rerun") -> str:
    """An inline marker for a result the folder lacks."""
    return f'<span class="missing">[missing: {html.escape(name)}; {html.escape(hint)}]</span>'


def percent(values: list[float]) -> list[float]:
    """Accuracies as percentages, whether they were given in [0, 1] or in percent."""
    return [100 * v for v in values] if max(values, default=0) <= 1 else list(values)


def spread(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def mean_std(values: list[float], digits: int = 1, unit: str = "") -> str:
    """Format ``values`` as 'mean ± std' followed by ``unit``."""
    mean, std = spread(values)
    return f"{mean:.{digits}f}\u00a0±\u00a0{std:.{digits}f}{unit}"  # no-break spaces: never split


def table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    """An HTML table; columns from ``numeric_from`` on are right-aligned numbers."""
    head = "".join(f'<th class="{"num" if i >= numeric_from else ""}">{c}</th>' for i, c in enumerate(header))
    body = "".join(
        "<tr>"
        + "".join(f'<td class="{"num" if i >= numeric_from else ""}">{c}</td>' for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f'<table class="results"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


# ---------------------------------------------------------------- directives
# Each takes the Results and the directive's words and returns HTML.

PAIRS_JSON = "pairs/results.json"
SEEDS_JSON = "framework/seeds.json"
SPEED_JSON = "framework/speed.json"


def figure(results: Results, name: str, *alt: str) -> str:
    """``{{ figure FOLDER/FILE.png [alt text] }}``: a PNG from the results, inlined."""
    path = results.path(name)
    if path is None:
        return f'<div class="figure-missing">{missing(name)}</div>'
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    text = html.escape(" ".join(alt) or name, quote=True)
    return f'<figure class="result"><img src="data:image/png;base64,{data}" alt="{text}"></figure>'


def pair_models(results: Results) -> dict | None:
    """The ``models`` of the project 1 JSON, or None when absent."""
    data = results.json(PAIRS_JSON)
    return None if data is None else data["models"]


def pair_model(results: Results, name: str) -> dict | None:
    """One model's entry of the project 1 JSON, or None when absent."""
    models = pair_models(results)
    if models is not None and name not in models:
        results.missing.add(f"{PAIRS_JSON}: {name}")
        return None
    return None if models is None else models[name]


def rounds(results: Results) -> str:
    """``{{ rounds }}``: 'R rounds', the number of rounds of the project 1 results."""
    models = pair_models(results)
    if not models:
        return missing(PAIRS_JSON)
    count = max(len(model["final_test_accuracy"]) for model in models.values())
    return f"{count} round{'s' if count != 1 else ''}"


def epochs(results: Results) -> str:
    """``{{ epochs }}``: 'E epochs', the length of a round of the project 1 results."""
    models = pair_models(results)
    if not models:
        return missing(PAIRS_JSON)
    count = max(len(curve) for model in models.values() for curve in model["test_accuracy_per_epoch"])
    return f"{count} epochs"


def accuracy(results: Results, name: str) -> str:
    """``{{ accuracy MODEL }}``: final test accuracy of a pair model, mean ± std in %."""
    model = pair_model(results, name)
    if model is None:
        return missing(f"{PAIRS_JSON}: {name}")
    return mean_std(percent(model["final_test_accuracy"]), 1, "\u00a0%")


def seconds(results: Results, name: str) -> str:
    """``{{ seconds MODEL }}``: seconds per round of a pair model, mean ± std."""
    model = pair_model(results, name)
    if model is None:
        return missing(f"{PAIRS_JSON}: {name}")
    return mean_std(model["seconds_per_round"], 1, "\u00a0s")


def parameters(results: Results, name: str) -> str:
    """``{{ parameters MODEL }}``: the number of parameters of a pair model."""
    model = pair_model(results, name)
    return missing(f"{PAIRS_JSON}: {name}") if model is None else f"{model['parameters']:,}"


def compare(results: Results, first: str, second: str) -> str:
    """``{{ compare A B }}``: B's mean final accuracy minus A's, with its standard error."""
    a, b = pair_model(results, first), pair_model(results, second)
    if a is None or b is None:
        return missing(f"{PAIRS_JSON}: {first}, {second}")
    (mean_a, std_a), n_a = spread(percent(a["final_test_accuracy"])), len(a["final_test_accuracy"])
    (mean_b, std_b), n_b = spread(percent(b["final_test_accuracy"])), len(b["final_test_accuracy"])
    error = math.sqrt(std_a**2 / n_a + std_b**2 / n_b)
    ratio = f", {abs(mean_b - mean_a) / error:.1f} standard errors" if error > 0 else ""
    return (
        f'<span class="compare"><code>{second}</code> &minus; <code>{first}</code>: '
        f"<strong>{mean_b - mean_a:+.1f} points</strong> (standard error {error:.1f}{ratio})</span>"
    )


def pairs_table(results: Results) -> str:
    """``{{ pairs-table }}``: every pair model's parameters, final accuracy and time per round."""
    models = pair_models(results)
    if not models:
        return missing(PAIRS_JSON)
    rows = [
        [f"<code>{name}</code>", f"{model['parameters']:,}", mean_std(percent(model["final_test_accuracy"]), 1),
         mean_std(model["seconds_per_round"], 1)]
        for name, model in models.items()
    ]  # fmt: skip
    return table(["model", "parameters", "test accuracy (%)", "seconds per round"], rows)


def selection_table(results: Results) -> str:
    """``{{ selection-table }}``: accuracy at the last epoch against the best epoch picked on the test set."""
    models = pair_models(results)
    if not models:
        return missing(PAIRS_JSON)
    rows = []
    for name, model in models.items():
        last = percent([curve[-1] for curve in model["test_accuracy_per_epoch"]])
        best = percent([max(curve) for curve in model["test_accuracy_per_epoch"]])
        gap = statistics.mean(best) - statistics.mean(last)
        rows.append([f"<code>{name}</code>", mean_std(last, 1), mean_std(best, 1), f"+{gap:.1f}"])
    return table(["model", "last epoch (%)", "best epoch on test (%)", "optimism (points)"], rows)


def seeds_table(results: Results) -> str:
    """``{{ seeds-table }}``: project 2's accuracies and training time over seeds."""
    data = results.json(SEEDS_JSON)
    if data is None:
        return missing(SEEDS_JSON)
    test, train = percent(data["test_accuracy"]), percent(data["train_accuracy"])
    rows = [
        ["test accuracy (%)", mean_std(test, 2), f"{min(test):.1f}", f"{max(test):.1f}"],
        ["train accuracy (%)", mean_std(train, 2), f"{min(train):.1f}", f"{max(train):.1f}"],
        ["seconds per training", mean_std(data["seconds"], 1), f"{min(data['seconds']):.1f}",
         f"{max(data['seconds']):.1f}"],
    ]  # fmt: skip
    count = len(data["test_accuracy"])
    return table([f"over {count} seed{'s' if count != 1 else ''}", "mean ± std", "min", "max"], rows)


def speed(results: Results) -> str:
    """``{{ speed }}``: seconds per epoch of the framework against autograd, with bars."""
    data = results.json(SPEED_JSON)
    if data is None:
        return (
            '<p class="note">No measurement in this build. Run '
            f"<code>python benchmarks/framework_vs_torch.py --json slides/results/{SPEED_JSON}</code> "
            "and build again.</p>"
        )
    longest = max(data["framework_seconds_per_epoch"] + data["torch_seconds_per_epoch"])
    rows = []
    for batch, ours, theirs, ratio in zip(
        data["batch_sizes"],
        data["framework_seconds_per_epoch"],
        data["torch_seconds_per_epoch"],
        data["ratio"],
        strict=True,
    ):
        bars = "".join(
            f'<span class="bar {kind}" style="width:{100 * value / longest:.1f}%"></span>'
            for kind, value in (("ours", ours), ("theirs", theirs))
        )
        rows.append([str(batch), f"{1000 * ours:.1f}", f"{1000 * theirs:.1f}", f"{ratio:.2f}",
                     f'<div class="bars">{bars}</div>'])  # fmt: skip
    note = ", ".join(f"{key.replace('_', ' ')} {data[key]}" for key in ("torch_version", "threads") if key in data)
    caption = (
        '<p class="caption">Median milliseconds per epoch; ratio = framework / autograd, below 1 when the '
        f'framework is faster. Bars: <span class="key ours">framework</span> <span class="key theirs">autograd</span>'
        f"{f'; {note}' if note else ''}.</p>"
    )
    header = ["batch", "framework (ms)", "autograd (ms)", "ratio", ""]
    return table(header, rows) + caption


def recipe(results: Results) -> str:
    """``{{ recipe }}``: project 2's training recipe, read from the reference."""
    from reference.framework import experiment

    phases = ", then ".join(f"{phase.epochs} epochs at learning rate {phase.lr:g}" for phase in experiment.RECIPE)
    return f"{phases}; batches of {experiment.BATCH_SIZE}, momentum {experiment.MOMENTUM:g}"


def tasks(results: Results) -> str:
    """``{{ tasks }}``: the autograder's graded tasks, read from the autograder."""
    from autograder.tasks import TASKS

    rows = [[f"<code>{task.name}</code>", task.project, html.escape(task.description)] for task in TASKS]
    return table(["task (-m)", "project", "what it checks"], rows, numeric_from=3)


DIRECTIVES: dict[str, Callable[..., str]] = {
    "figure": figure,
    "rounds": rounds,
    "epochs": epochs,
    "accuracy": accuracy,
    "seconds": seconds,
    "parameters": parameters,
    "compare": compare,
    "pairs-table": pairs_table,
    "selection-table": selection_table,
    "seeds-table": seeds_table,
    "speed": speed,
    "recipe": recipe,
    "tasks": tasks,
}


# ---------------------------------------------------------------- slides


# What Markdown must not see: code (left as it is), mathematics and directives. The
# latter two are swapped for placeholders, converted, and put back after Markdown.
SPECIAL = re.compile(
    r"(?P<fence>^```.*?^```[ \t]*$)"
    r"|(?P<code>`[^`\n]+`)"
    r"|\$\$(?P<display>.+?)\$\$"
    r"|(?<![\\$\w])\$(?P<inline>[^\s$](?:[^$\n]*?[^\s\\$])?)\$(?P<after>[.,;:!?)]*)"
    r"|\{\{(?P<directive>.+?)\}\}",
    re.MULTILINE | re.DOTALL,
)
PLACEHOLDER = "\ue000{}\ue001"  # private-use characters, which Markdown leaves alone
SLIDE_CLASS = re.compile(r"\A\s*<!--\s*class:\s*(?P<classes>[\w\s-]+?)\s*-->\s*")


def mathml(tex: str, display: bool) -> str:
    """Convert LaTeX ``tex`` to a MathML element (block-level when ``display``)."""
    try:
        element = latex_to_mathml(tex.strip(), display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises many exception types
        raise BuildError(f"cannot convert the mathematics {tex!r}: {error}") from error
    unknown = re.search(r">(\\[A-Za-z]+)<", element)  # a command latex2mathml does not know, left as text
    if unknown:
        raise BuildError(f"unknown LaTeX command {unknown[1]} in {tex!r}")
    return element


def directive(text: str, results: Results) -> str:
    """Run the directive written ``{{ text }}``."""
    name, *arguments = text.split()
    if name not in DIRECTIVES:
        raise BuildError(f"unknown directive {{{{ {text.strip()} }}}}; known: {', '.join(DIRECTIVES)}")
    function = DIRECTIVES[name]
    try:
        inspect.signature(function).bind(results, *arguments)
    except TypeError:
        raise BuildError(f"{{{{ {text.strip()} }}}}: wrong arguments; {function.__doc__.splitlines()[0]}") from None
    try:
        return function(results, *arguments)
    except (KeyError, TypeError, ValueError) as error:  # a results file in another format than documented
        raise BuildError(
            f"{{{{ {text.strip()} }}}}: a results file is not in the documented format: {error!r}"
        ) from error


def render_slide(source: str, results: Results) -> tuple[str, str]:
    """Return the HTML of one slide's Markdown ``source`` and its extra CSS classes."""
    classes = ""
    match = SLIDE_CLASS.match(source)
    if match:
        classes, source = match["classes"], source[match.end() :]
    parts: list[str] = []

    def protect(match: re.Match) -> str:
        if match["fence"] or match["code"]:
            return match[0]
        if match["display"] is not None:
            parts.append(mathml(match["display"], display=True))
        elif match["inline"] is not None:  # kept on one line with the punctuation after it
            parts.append(f'<span class="nobreak">{mathml(match["inline"], display=False)}{match["after"]}</span>')
        else:
            parts.append(directive(match["directive"], results))
        return PLACEHOLDER.format(len(parts) - 1)

    text = SPECIAL.sub(protect, source).replace(r"\$", "&#36;")
    body = markdown.markdown(text, extensions=MARKDOWN_EXTENSIONS)
    for index, part in enumerate(parts):
        token = PLACEHOLDER.format(index)
        body = body.replace(f"<p>{token}</p>", part).replace(token, part)
    return body, classes


@dataclass
class Deck:
    """A built deck: its name, title, and the HTML of each slide."""

    name: str
    title: str
    slides: list[str]


def split_slides(source: str) -> list[str]:
    """Split a deck's Markdown at lines that are exactly ``---``, outside fenced code."""
    slides, current, fenced = [], [], False
    for line in source.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        if line.strip() == "---" and not fenced:
            slides.append("\n".join(current))
            current = []
        else:
            current.append(line)
    slides.append("\n".join(current))
    return [slide for slide in slides if slide.strip()]


def build_deck(name: str, results: Results, draft: str = "") -> Deck:
    """Render deck ``name`` from ``slides/decks/NAME.md`` with ``results``."""
    sources = split_slides((DECK_SOURCES / f"{name}.md").read_text(encoding="utf-8"))
    heading = re.search(r"^#\s+(.+)$", sources[0], re.MULTILINE)
    title = re.sub(r"[*_`$]", "", heading[1]).strip() if heading else name
    slides = []
    for number, source in enumerate(sources, start=1):
        try:
            body, classes = render_slide(source, results)
        except BuildError as error:
            raise BuildError(f"slides/decks/{name}.md, slide {number}: {error}") from None
        if number == 1:
            classes = f"title {classes}"
        badge = f'<div class="draft">{html.escape(draft)}</div>' if draft else ""
        footer = f"<footer><span>{html.escape(title)}</span><span>{number} / {len(sources)}</span></footer>"
        slides.append(
            f'<section class="slide {classes.strip()}" id="slide-{number}" aria-label="slide {number}">\n'
            f"{body}\n{badge}{footer}\n</section>"
        )
    return Deck(name, title, slides)


def fill(template: str, **values: str) -> str:
    """Replace each ``{{NAME}}`` of an engine template by its value."""
    for key, value in values.items():
        template = template.replace(f"{{{{{key}}}}}", value)
    return template


def draft_label(results: Results) -> str:
    """The label a draft build shows on every slide; empty for full results."""
    info = results.info()
    if not info.get("quick"):
        return ""
    return (
        f"Draft: {info['pair_rounds']} rounds of {info['pair_epochs']} epochs, "
        f"{info['framework_seeds']} seeds of {info['framework_epochs']} epochs"
    )


def build(results_folder: Path, out: Path) -> tuple[list[Deck], set[str]]:
    """Write every deck and the index into ``out``; return the decks and the missing results."""
    results = Results(results_folder)
    draft = draft_label(results)
    style = (ENGINE / "slides.css").read_text(encoding="utf-8")
    script = (ENGINE / "slides.js").read_text(encoding="utf-8")
    out.mkdir(parents=True, exist_ok=True)
    decks = [build_deck(name, results, draft) for name in DECKS]
    for deck in decks:
        page = fill(
            (ENGINE / "deck.html").read_text(encoding="utf-8"),
            TITLE=html.escape(deck.title), STYLE=style, SCRIPT=script, SLIDES="\n".join(deck.slides),
        )  # fmt: skip
        (out / f"{deck.name}.html").write_text(page, encoding="utf-8")
    items = "\n".join(
        f'<li><a href="{deck.name}.html">{html.escape(deck.title)}</a> <span>{len(deck.slides)} slides</span></li>'
        for deck in decks
    )
    source = f"draft results from {results_folder.name}/" if draft else "the experiments' results"
    index = fill((ENGINE / "index.html").read_text(encoding="utf-8"), STYLE=style, DECKS=items, SOURCE=source)
    (out / "index.html").write_text(index, encoding="utf-8")
    results.missing -= OPTIONAL
    required = sorted(results.missing)
    if required:
        print(f"warning: {len(required)} result(s) missing from {results_folder}: {', '.join(required)}")
        print("         their slides say so; run python slides/build.py --rerun (or --quick) to produce them")
    return decks, results.missing


def required_results() -> set[str]:
    """The result files (relative to a results folder) that the decks read, optional ones excepted."""
    results = Results(Path("/nonexistent"))
    for name in DECKS:
        build_deck(name, results)
    return results.used - OPTIONAL


# ---------------------------------------------------------------- experiments


def run(command: list[str]) -> bool:
    """Run one experiment command from the kit's root; return whether it succeeded."""
    print("$", " ".join(command), flush=True)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    completed = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": path}, check=False)
    if completed.returncode != 0:
        print(f"error: the command above failed (exit status {completed.returncode})", file=sys.stderr)
    return completed.returncode == 0


def run_experiments(folder: Path, quick: bool, rounds: int, epochs: int) -> bool:
    """Run the reference's experiments into ``folder``; return whether all succeeded.

    Full runs use the kit's own commands; ``quick`` runs fewer rounds, epochs, seeds
    and benchmark repeats. ``build-info.json`` records the sizes for the slides.
    """
    from reference.framework.experiment import RECIPE, shortened

    pairs, framework = folder / "pairs", folder / "framework"
    pairs.mkdir(parents=True, exist_ok=True)
    framework.mkdir(parents=True, exist_ok=True)
    python = sys.executable
    seeds, fraction = (3, 1 / 6) if quick else (10, 1.0)
    ok = [
        run([python, "-m", "reference.pairs", "--models", "all", "--rounds", str(rounds), "--epochs", str(epochs),
             "--out", str(pairs), "--json", str(pairs / "results.json")]),
        run([python, "-m", "reference.pairs.plots", str(pairs / "samples.png")]),
        run([python, "-m", "reference.framework.plots", str(framework / "disk.png")]),
    ]  # fmt: skip
    framework_cli = [python, "-m", "reference.framework", "--epoch-fraction", str(fraction)]
    ok.append(run([*framework_cli, "--plot", str(framework / "training.png")]))
    ok.append(run([*framework_cli, "--seeds", str(seeds), "--json", str(framework / "seeds.json")]))
    benchmark = ROOT / "benchmarks" / "framework_vs_torch.py"
    if benchmark.is_file():
        sizes = ["--repeats", "1", "--epochs", "3"] if quick else []
        ok.append(run([python, str(benchmark), *sizes, "--json", str(framework / "speed.json")]))
    info = {"quick": quick, "pair_rounds": rounds, "pair_epochs": epochs, "framework_seeds": seeds,
            "framework_epochs": sum(phase.epochs for phase in shortened(RECIPE, fraction))}  # fmt: skip
    (folder / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n")
    return all(ok)


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the experiments if asked, build the decks; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python slides/build.py", description="Build the lecture decks as self-contained HTML files."
    )
    parser.add_argument("--results", type=Path, metavar="DIR", help="experiment output to build from "
                        "(default: slides/results, or OUT/quick-results with --quick)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=OUT, metavar="DIR", help="where to write the decks "
                        "(default: slides/_build)")  # fmt: skip
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--rerun", action="store_true", help="run the reference's experiments again (full "
                       "rounds) into the results folder first; takes tens of minutes")  # fmt: skip
    modes.add_argument("--quick", action="store_true", help="run the experiments with few rounds and epochs "
                       "into OUT/quick-results and build a draft from them; a few minutes")  # fmt: skip
    parser.add_argument("--rounds", type=int, metavar="R", help="rounds of project 1 for --rerun (default: 10) "
                        "or --quick (default: 2)")  # fmt: skip
    parser.add_argument("--epochs", type=int, metavar="E", help="epochs per round of project 1 for --rerun "
                        "(default: 25) or --quick (default: 5)")  # fmt: skip
    parser.add_argument("--strict", action="store_true", help="fail when a result the decks show is missing")
    args = parser.parse_args(argv)
    if (args.rounds or args.epochs) and not (args.rerun or args.quick):
        parser.error("--rounds and --epochs go with --rerun or --quick")
    results = args.results or (args.out / "quick-results" if args.quick else RESULTS)
    start = time.perf_counter()
    experiments_ok = True
    if args.rerun or args.quick:
        if args.quick and results.exists():
            shutil.rmtree(results)
        rounds = args.rounds or (2 if args.quick else 10)
        epochs = args.epochs or (5 if args.quick else 25)
        experiments_ok = run_experiments(results, args.quick, rounds, epochs)
        print(f"experiments took {time.perf_counter() - start:.0f} s")
    build_start = time.perf_counter()
    try:
        decks, absent = build(results, args.out)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for deck in decks:
        print(f"wrote {args.out / deck.name}.html: {len(deck.slides)} slides")
    print(f"wrote {args.out / 'index.html'}; built in {time.perf_counter() - build_start:.1f} s")
    if not experiments_ok:
        print("error: some experiments failed (see above); their slides say what is missing", file=sys.stderr)
        return 1
    if args.strict and absent:
        print("error: --strict: results are missing (see the warning above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
