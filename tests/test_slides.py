"""The lecture decks: they build offline, and every slide renders in headless Chromium.

The browser test needs Playwright (``pip install playwright``) and Debian's ``chromium``
at /usr/bin/chromium; without them it is skipped, unless the environment variable CI is
set, where it fails. A screenshot of every slide lands in ``slides/_build/screenshots/``
(``DECK-NN.png``), to look at after changing a deck or the style.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
BUILD_SCRIPT = ROOT / "slides" / "build.py"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
NEXT_KEYS = ("ArrowRight", "Space", "PageDown")  # the walk through a deck cycles through these
PAIR_MODELS = ("baseline", "shared", "aux", "deep", "deep_aux", "deep_digits", "shared_digits")


def load_build() -> ModuleType:
    """Import slides/build.py, which is a script rather than a package module."""
    spec = importlib.util.spec_from_file_location("slides_build", BUILD_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def write_png(path: Path, text: str) -> None:
    """A small labelled figure, standing in for an experiment's plot."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3))
    figure.text(0.5, 0.5, f"fake: {text}", ha="center", va="center")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=60)


def write_fake_results(folder: Path, required: set[str], rounds: int = 3, epochs: int = 4) -> None:
    """Results in the documented formats, with made-up numbers, for every file in ``required``."""
    pairs = {
        name: {
            "parameters": 20_000 + 5_000 * number,
            "final_test_accuracy": [0.80 + 0.01 * number + 0.005 * r for r in range(rounds)],
            "seconds_per_round": [5.0 + number + 0.1 * r for r in range(rounds)],
            "test_accuracy_per_epoch": [
                [0.6 + 0.05 * e + 0.01 * number + 0.005 * r for e in range(epochs)] for r in range(rounds)
            ],
        }
        for number, name in enumerate(PAIR_MODELS)
    }
    contents = {
        "pairs/results.json": {"models": pairs},
        "framework/seeds.json": {
            "test_accuracy": [0.985, 0.99, 0.975],
            "train_accuracy": [0.995, 0.997, 0.99],
            "seconds": [30.0, 31.5, 29.0],
        },
        "framework/speed.json": {
            "batch_sizes": [50, 1000],
            "framework_seconds_per_epoch": [0.004, 0.001],
            "torch_seconds_per_epoch": [0.008, 0.0012],
            "ratio": [0.5, 0.83],
        },
    }
    for name in sorted(required | {"framework/speed.json"}):
        path = folder / name
        if name.endswith(".png"):
            write_png(path, name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(contents[name]))


def build_decks(results: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    """Run ``python slides/build.py`` as a user would."""
    command = [sys.executable, str(BUILD_SCRIPT), "--results", str(results), "--out", str(out), *extra]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def build() -> ModuleType:
    """The build script as a module."""
    return load_build()


@pytest.fixture(scope="module")
def results(build: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """slides/results when it holds every result the decks read, else a fake results folder."""
    required = build.required_results()
    if all((build.RESULTS / name).is_file() for name in required):
        return build.RESULTS
    folder = tmp_path_factory.mktemp("fake-results")
    write_fake_results(folder, required)
    return folder


@pytest.fixture(scope="module")
def built(results: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The decks built from ``results`` into a temporary folder."""
    out = tmp_path_factory.mktemp("decks")
    completed = build_decks(results, out, "--strict")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return out


def render(build: ModuleType, source: str) -> list:
    """The slides of a deck written ``source``, built without results."""
    return build.render(source, build.Results(Path("/nonexistent")))


def test_mathematics_become_mathml(build: ModuleType) -> None:
    """Inline and display LaTeX become MathML; code and escaped dollars are left alone."""
    (slide,) = render(build, "Let $x_l = \\sigma(s_l)$, and\n\n$$\\delta_L = 1$$\n\n`$HOME` costs \\$5")
    assert '<span class="nobreak"><math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">' in slide.html
    assert "</math>,</span> and" in slide.html  # the comma stays on the formula's line
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in slide.html
    assert "<code>$HOME</code>" in slide.html and "&#36;5" in slide.html
    assert "<p><math" not in slide.html  # display maths is not wrapped in <p>


def test_slides_split_at_thematic_breaks_outside_code(build: ModuleType) -> None:
    """A line --- separates slides, except inside a fenced code block."""
    slides = render(build, "# A\n\n---\n\n## B\n\n```\n---\n```\n\n---\n\n## C\n")
    assert [slide.html.split("\n")[0] for slide in slides] == ["<h1>A</h1>", "<h2>B</h2>", "<h2>C</h2>"]
    assert "<pre><code>---\n</code></pre>" in slides[1].html


def test_classes_columns_and_directives(build: ModuleType) -> None:
    """A slide's class comment, a block's {.class}, ::: containers and {{ directives }} inline and alone."""
    source = (
        "<!-- class: dense wide -->\n## T\n\n{.caption}\nOver {{ rounds }}.\n\n"
        ":::: columns\n::: column\n{{ figure pairs/x.png An alt text }}\n:::\n::::\n"
    )
    (slide,) = render(build, source)
    assert slide.classes == ["dense", "wide"] and "<!--" not in slide.html
    assert '<p class="caption">Over <span class="missing">[missing: pairs/results.json' in slide.html
    assert '<div class="columns">\n<div class="column">\n<div class="figure-missing">' in slide.html
    assert build.deck_title("Intro\n\n# The `x` deck\n") == "The x deck"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ figures pairs/x.png }}", "unknown directive"),
        ("A\n\n---\n\n{{ compare baseline }}", "slide 2 \\(from line 5\\): .*wrong arguments"),
        ("$\\arg\\max_k p_k$", "unknown LaTeX command"),
    ],
)
def test_writing_mistakes_stop_the_build(build: ModuleType, source: str, message: str) -> None:
    """A misspelt directive, a directive's missing argument or unknown LaTeX stop the build with a reason."""
    with pytest.raises(build.BuildError, match=message):
        render(build, source)


def test_build_is_self_contained(built: Path, build: ModuleType) -> None:
    """Each deck is one HTML file with no external reference, no leftover LaTeX or directive."""
    for name in build.DECKS:
        page = (built / f"{name}.html").read_text(encoding="utf-8")
        assert all(source.startswith("data:") for source in re.findall(r'\bsrc="([^"]*)"', page)), name
        assert not re.search(r"https?://(?!www\.w3\.org/1998/Math/MathML)", page), name
        assert "{{" not in page and "[missing:" not in page, name
        assert not re.search(r"\$[^$\s][^$\n]*\$", re.sub(r"<(pre|code)>.*?</\1>", "", page, flags=re.S)), name
    assert (built / "index.html").is_file()


def test_missing_results_are_reported(tmp_path: Path) -> None:
    """Without results the build still writes every deck, says what is missing, and --strict fails."""
    completed = build_decks(tmp_path / "empty", tmp_path / "out")
    assert completed.returncode == 0, completed.stderr
    assert "missing" in completed.stdout and "pairs/results.json" in completed.stdout
    assert "[missing: pairs/results.json" in (tmp_path / "out" / "pairs.html").read_text(encoding="utf-8")
    assert build_decks(tmp_path / "empty", tmp_path / "out", "--strict").returncode == 1


def browser_or_skip():
    """Playwright's sync API, or a skip (a failure under CI) when the browser is not installed."""
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "Playwright is not installed: pip install playwright"
    if reason is None and not CHROMIUM.is_file():
        reason = f"Chromium is not installed at {CHROMIUM}: apt-get install chromium"
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so the browser test must run: {reason}")
        pytest.skip(reason)
    return sync_playwright


@pytest.mark.slow
def test_every_slide_renders_in_chromium(built: Path, build: ModuleType, tmp_path: Path) -> None:
    """Walk every deck with the keyboard: every slide shows content, nothing fails to load, nothing logs an error."""
    sync_playwright = browser_or_skip()
    screenshots = tmp_path / "screenshots"
    screenshots.mkdir()
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for name in [*build.DECKS, "index"]:
                page = browser.new_page(viewport={"width": 1280, "height": 720})
                page.on("console", lambda m, n=name: m.type == "error" and problems.append(f"{n}: console: {m.text}"))
                page.on("pageerror", lambda e, n=name: problems.append(f"{n}: page error: {e}"))
                page.on("requestfailed", lambda r, n=name: problems.append(f"{n}: failed load: {r.url}"))
                page.on(
                    "request",
                    lambda r, n=name: r.url.startswith(("data:", "file:")) or problems.append(f"{n}: request {r.url}"),
                )
                page.goto((built / f"{name}.html").as_uri())
                if name == "index":
                    assert page.locator(".decks li").count() == len(build.DECKS)
                else:
                    walk_deck(page, name, screenshots, problems)
                page.close()
        finally:
            browser.close()
    copy = build.OUT / "screenshots"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir(parents=True)
    for shot in screenshots.iterdir():
        shutil.copy(shot, copy / shot.name)
    assert not problems, "\n".join(problems)


def walk_deck(page, name: str, screenshots: Path, problems: list[str]) -> None:
    """Check and photograph every slide of the open deck, moving forward with the keyboard, then jump around."""
    count = page.locator(".slide").count()
    assert count >= 5, f"{name}: only {count} slides"
    for index in range(count):
        page.screenshot(path=str(screenshots / f"{name}-{index + 1:02d}.png"))
        slide = page.locator(".slide.active")
        assert slide.count() == 1, f"{name}: {slide.count()} active slides at step {index}"
        assert slide.get_attribute("id") == f"slide-{index + 1}", f"{name}: expected slide {index + 1}"
        assert page.evaluate("location.hash") == f"#slide-{index + 1}"
        box = slide.bounding_box()
        assert box and box["width"] > 600 and box["height"] > 300, f"{name}: slide {index + 1} is not visible"
        check_slide(slide, f"{name} slide {index + 1}", problems)
        page.keyboard.press(NEXT_KEYS[index % len(NEXT_KEYS)])
    assert page.evaluate("location.hash") == f"#slide-{count}", f"{name}: moved past the last slide"
    for key, expected in (("Home", 1), ("End", count), ("ArrowLeft", count - 1), ("PageUp", count - 2)):
        page.keyboard.press(key)
        assert page.locator(".slide.active").get_attribute("id") == f"slide-{expected}", f"{name}: {key}"
    page.goto(page.url.split("#")[0] + "#slide-3")
    assert page.locator(".slide.active").get_attribute("id") == "slide-3", f"{name}: #slide-3 in the address"
    if name == "framework":
        assert page.locator("math").count() >= 20, "the framework deck should show its derivation as MathML"


# What the deck's own fitting (slides.js) calls an overflow: a slide or column too short for its
# content, or a line too long for its block (text running into the margin is inside the slide's box).
OVERFLOWS = """slide => {
    const boxes = [slide, ...slide.querySelectorAll(".column")];
    const blocks = [...boxes, ...slide.querySelectorAll("pre, p, li, table, math[display=block]")];
    return [
        ...boxes.map(box => box.scrollHeight - box.clientHeight),
        ...blocks.map(block => block.scrollWidth - block.clientWidth),
    ].reduce((a, b) => Math.max(a, b), 0);
}"""
# How far down the slide its content reaches, as a fraction of its height (footer and label aside).
CONTENT_BOTTOM = """slide => {
    const top = slide.getBoundingClientRect().top, height = slide.getBoundingClientRect().height;
    const parts = Array.from(slide.children).filter(c => c.tagName !== "FOOTER" && !c.classList.contains("draft"));
    return Math.max(...parts.map(part => part.getBoundingClientRect().bottom - top)) / height;
}"""


def check_slide(slide, label: str, problems: list[str]) -> None:
    """A slide has text, its content fits and fills it, its images decoded and its mathematics has a size."""
    text = slide.inner_text().strip()
    if len(text) < 20:
        problems.append(f"{label}: almost empty ({text!r})")
    overflow = slide.evaluate(OVERFLOWS)
    if overflow > 1:
        problems.append(f"{label}: content overflows its slide, column or line by {overflow} px")
    if "title" not in (slide.get_attribute("class") or "") and slide.evaluate(CONTENT_BOTTOM) < 2 / 3:
        problems.append(f"{label}: its content ends above the lower third of the slide, left empty")
    for image in slide.locator("img").all():
        if not image.evaluate("i => i.complete && i.naturalWidth > 0"):
            problems.append(f"{label}: an image did not decode")
        elif (image.bounding_box() or {"height": 0})["height"] < 120:
            problems.append(f"{label}: a figure is shown smaller than 120 px")
    for formula in slide.locator("math").all():
        if (formula.bounding_box() or {"width": 0})["width"] <= 0:
            problems.append(f"{label}: a formula has no size")
