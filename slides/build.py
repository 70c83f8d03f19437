"""Build the lecture decks as self-contained HTML: ``python slides/build.py --help``.

Each deck is a Markdown file in ``slides/decks/``, parsed by markdown-it-py; a thematic
break (a line ``---``) starts a new slide, and the deck's first heading is its title. The
pages are filled from the Jinja2 templates in ``slides/engine/`` and written, with
``index.html``, into ``slides/_build/``. Everything a deck shows is inside its file: the
style and the navigation script inlined, figures as ``data:`` URIs, mathematics as MathML
(rendered by the browser, no script or font to fetch), so it opens offline.

Beyond CommonMark and its tables, a deck may use:

- ``$...$`` and ``$$...$$``: LaTeX mathematics (mdit-py-plugins' dollarmath), converted to
  MathML by latex2mathml at build time.
- ``{{ name arguments }}``: a directive that reads the experiments' output from the
  results folder (``slides/results/`` by default); ``DIRECTIVES`` lists them.
- ``<!-- class: NAME -->`` as a slide's first line: CSS classes for that slide.
- ``{.NAME}`` on the line before a block: a CSS class for that block (``caption``, ``note``...).
- ``::: NAME`` ... ``:::`` around blocks: a ``<div class="NAME">``, for ``columns`` (of
  ``column`` blocks) and ``box``.

``--rerun`` and ``--quick`` first run ``slides/experiments.py``, which runs the reference's
experiments; the build itself only reads their output.
"""

from __future__ import annotations

import argparse
import base64
import html
import inspect
import itertools
import json
import math
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.substitution import substitution_plugin

SLIDES = Path(__file__).resolve().parent
ROOT = SLIDES.parent
DECKS = ("pairs", "framework", "instructors")  # in the order of the index
DECK_SOURCES = SLIDES / "decks"
ENGINE = SLIDES / "engine"
RESULTS = SLIDES / "results"
OUT = SLIDES / "_build"
EXPERIMENTS = SLIDES / "experiments.py"
BUILD_INFO = "build-info.json"  # written next to the results by slides/experiments.py
OPTIONAL = {"framework/speed.json"}  # a slide says how to measure it when it is absent
CONTAINERS = ("columns", "column", "box")  # ::: NAME blocks
SLIDE_CLASS = re.compile(r"<!--\s*class:\s*(?P<classes>[\w\s-]+?)\s*-->")

# slides/build.py runs as a script: make the kit's packages importable for the
# directives that read its configuration.
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
    ratio = f", {abs(mean_b - mean_a) / error:.1f}\u00a0standard errors" if error > 0 else ""
    return (
        f'<span class="compare"><span class="nobreak"><code>{second}</code> &minus; <code>{first}</code>:</span> '
        f"<strong>{mean_b - mean_a:+.1f}&nbsp;points</strong> (standard error {error:.1f}{ratio})</span>"
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
    from autograder.manifest import TASKS

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


# ---------------------------------------------------------------- Markdown


def mathml(tex: str, display: bool) -> str:
    """Convert LaTeX ``tex`` to a MathML element (block-level when ``display``)."""
    try:
        element = latex_to_mathml(tex.strip(), display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises many exception types
        raise BuildError(f"cannot convert the mathematics {tex!r}: {error}") from error
    unknown = re.search(r">(\\[A-Za-z]+)<", element)  # a command latex2mathml does not know, left as text
    if unknown:
        raise BuildError(f"unknown LaTeX command {unknown[1]} in {tex!r}")
    # an operator name alone, such as $\operatorname{argmax}$ in a sentence, is a word: no operator spacing
    return re.sub(
        r"^(<math [^>]*><mrow>)<mo>(\w+)</mo>(</mrow></math>)$", r'\1<mo lspace="0" rspace="0">\2</mo>\3', element
    )


def run_directive(text: str, results: Results) -> str:
    """Run the directive written ``{{ text }}`` and return its HTML."""
    name, *arguments = text.split()
    if name not in DIRECTIVES:
        raise BuildError(f"unknown directive {{{{ {text} }}}}; known: {', '.join(DIRECTIVES)}")
    function = DIRECTIVES[name]
    try:
        inspect.signature(function).bind(results, *arguments)
    except TypeError:
        raise BuildError(f"{{{{ {text} }}}}: wrong arguments; {function.__doc__.splitlines()[0]}") from None
    try:
        return function(results, *arguments)
    except (KeyError, TypeError, ValueError) as error:  # a results file in another format than documented
        raise BuildError(f"{{{{ {text} }}}}: a results file is not in the documented format: {error!r}") from error


def punctuation_with_math(state: StateCore) -> None:
    """Move the punctuation right after inline mathematics into its token, so no line break separates them."""
    for block in state.tokens:
        for formula, after in itertools.pairwise(block.children or []):
            if formula.type == "math_inline" and after.type == "text":
                rest = after.content.lstrip(".,;:!?)")
                formula.meta["after"], after.content = after.content[: len(after.content) - len(rest)], rest


def render_rules() -> dict[str, Callable[[Sequence[Token], int, dict], str]]:
    """How the tokens that are not plain Markdown become HTML: mathematics, directives and text."""
    return {
        "math_inline": lambda tokens, i, env: (
            f'<span class="nobreak">{mathml(tokens[i].content, False)}{escapeHtml(tokens[i].meta.get("after", ""))}'
            "</span>"
        ),
        "math_block": lambda tokens, i, env: mathml(tokens[i].content, True) + "\n",
        "substitution_inline": lambda tokens, i, env: run_directive(tokens[i].content, env["results"]),
        "substitution_block": lambda tokens, i, env: run_directive(tokens[i].content, env["results"]) + "\n",
        # a dollar left in the text is written as an entity: a leftover $...$ in a page is an error
        "text": lambda tokens, i, env: escapeHtml(tokens[i].content).replace("$", "&#36;"),
    }


def markdown_parser() -> MarkdownIt:
    """CommonMark with raw HTML and tables, plus mathematics, directives, block classes and containers."""
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False)
    md.use(substitution_plugin)  # {{ ... }}: tokens substitution_inline and substitution_block
    md.use(attrs_block_plugin)
    for name in CONTAINERS:
        md.use(container_plugin, name)
    md.core.ruler.push("punctuation_with_math", punctuation_with_math)
    for name, rule in render_rules().items():
        md.add_render_rule(name, lambda self, tokens, i, options, env, rule=rule: rule(tokens, i, env))
    return md


MARKDOWN = markdown_parser()


# ---------------------------------------------------------------- decks


@dataclass
class Slide:
    """One slide: its HTML and its CSS classes."""

    html: str
    classes: list[str]


@dataclass
class Deck:
    """A built deck: its name, title and slides."""

    name: str
    title: str
    slides: list[Slide]


def split_slides(tokens: list[Token]) -> list[list[Token]]:
    """Split a deck's tokens at its top-level thematic breaks (``---``), dropping empty slides."""
    groups = itertools.groupby(tokens, lambda token: token.type == "hr" and token.level == 0)
    return [list(slide) for is_break, slide in groups if not is_break]


def render_slide(tokens: list[Token], results: Results) -> Slide:
    """Render one slide's tokens; a leading ``<!-- class: NAME -->`` gives its classes."""
    classes: list[str] = []
    if tokens[0].type == "html_block" and (match := SLIDE_CLASS.fullmatch(tokens[0].content.strip())):
        classes, tokens = match["classes"].split(), tokens[1:]
    return Slide(MARKDOWN.renderer.render(tokens, MARKDOWN.options, {"results": results}), classes)


def render(source: str, results: Results) -> list[Slide]:
    """Render a deck's Markdown ``source`` into slides; mistakes raise a BuildError naming the slide."""
    slides = []
    for number, tokens in enumerate(split_slides(MARKDOWN.parse(source)), start=1):
        try:
            slides.append(render_slide(tokens, results))
        except BuildError as error:
            line = tokens[0].map[0] + 1 if tokens[0].map else "?"
            raise BuildError(f"slide {number} (from line {line}): {error}") from None
    return slides


def deck_title(source: str) -> str:
    """The plain text of the deck's first heading."""
    tokens = MARKDOWN.parse(source)
    for heading, inline in itertools.pairwise(tokens):
        if heading.type == "heading_open":
            return "".join(child.content for child in inline.children or [] if child.type in ("text", "code_inline"))
    return ""


def build_deck(name: str, results: Results) -> Deck:
    """Render deck ``name`` from ``slides/decks/NAME.md`` with ``results``."""
    source = (DECK_SOURCES / f"{name}.md").read_text(encoding="utf-8")
    try:
        slides = render(source, results)
    except BuildError as error:
        raise BuildError(f"slides/decks/{name}.md, {error}") from None
    slides[0].classes.insert(0, "title")
    return Deck(name, deck_title(source) or name, slides)


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
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(ENGINE), autoescape=True, undefined=jinja2.StrictUndefined
    )
    page = {
        "style": (ENGINE / "slides.css").read_text(encoding="utf-8"),
        "script": (ENGINE / "slides.js").read_text(encoding="utf-8"),
        "draft": draft_label(results),
    }
    decks = [build_deck(name, results) for name in DECKS]
    out.mkdir(parents=True, exist_ok=True)
    for deck in decks:
        text = templates.get_template("deck.html").render(deck=deck, **page)
        (out / f"{deck.name}.html").write_text(text, encoding="utf-8")
    source = f"draft results from {results_folder.name}/" if page["draft"] else "the experiments' results"
    text = templates.get_template("index.html").render(decks=decks, source=source, **page)
    (out / "index.html").write_text(text, encoding="utf-8")
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
    modes.add_argument("--rerun", action="store_true", help="run slides/experiments.py (full sizes) into the "
                       "results folder first; takes tens of minutes")  # fmt: skip
    modes.add_argument("--quick", action="store_true", help="run slides/experiments.py --quick into "
                       "OUT/quick-results and build a draft from them; a few minutes")  # fmt: skip
    parser.add_argument("--rounds", type=int, metavar="R", help="rounds of project 1 for --rerun (default: 10) "
                        "or --quick (default: 2)")  # fmt: skip
    parser.add_argument("--epochs", type=int, metavar="E", help="epochs per round of project 1 for --rerun "
                        "(default: 25) or --quick (default: 5)")  # fmt: skip
    parser.add_argument("--strict", action="store_true", help="fail when a result the decks show is missing")
    args = parser.parse_args(argv)
    if (args.rounds or args.epochs) and not (args.rerun or args.quick):
        parser.error("--rounds and --epochs go with --rerun or --quick")
    results = args.results or (args.out / "quick-results" if args.quick else RESULTS)
    experiments_ok = True
    if args.rerun or args.quick:
        if args.quick and args.results is None and results.exists():
            shutil.rmtree(results)  # the build's own draft folder: a draft never shows an older draft's figures
        command = [sys.executable, str(EXPERIMENTS), "--out", str(results), *(["--quick"] if args.quick else [])]
        command += [*(["--rounds", str(args.rounds)] if args.rounds else [])]
        command += [*(["--epochs", str(args.epochs)] if args.epochs else [])]
        experiments_ok = subprocess.run(command, check=False).returncode == 0
    start = time.perf_counter()
    try:
        decks, absent = build(results, args.out)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for deck in decks:
        print(f"wrote {args.out / deck.name}.html: {len(deck.slides)} slides")
    print(f"wrote {args.out / 'index.html'}; built in {time.perf_counter() - start:.1f} s")
    if not experiments_ok:
        print("error: some experiments failed (see above); their slides say what is missing", file=sys.stderr)
        return 1
    if args.strict and absent:
        print("error: --strict: results are missing (see the warning above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
