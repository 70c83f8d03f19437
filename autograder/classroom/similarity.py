"""Pairs of students whose written code is unusually similar: winnowing over Python tokens.

Each student's ``.py`` files (``framework/``, ``pairs/``) are fingerprinted with the winnowing
algorithm of Schleimer, Wilkerson and Aiken ("Winnowing: local algorithms for document
fingerprinting", SIGMOD 2003), the algorithm behind MOSS:

1. the source becomes tokens (the stdlib ``tokenize``): comments, blank lines, line breaks
   and docstrings are dropped, every name becomes one token ``N`` except keywords and
   attributes (``.matmul``, ``.weight``: renaming those changes what the code does), every
   string becomes ``S``; what a formatter changes goes too (round brackets, a comma before a
   closing bracket, strings side by side, how a number is written); so renamed variables,
   changed comments and another layout give the same tokens;
2. the tokens are cut where each definition or module-level statement starts, every run of
   ``K`` tokens of a piece is hashed, and in every window of ``WINDOW`` consecutive hashes
   the smallest is kept: two files that share a run of ``K + WINDOW - 1`` tokens share a
   fingerprint, a run shorter than ``K`` tokens never counts, and reordering the functions
   makes no new run;
3. every hash of every run found in the kit's ``exercises/`` (what each student starts
   from: the code and docstrings given) is removed, so what remains is what the student wrote.

A pair's score is the share of the smaller written part (in fingerprints) that the other
holds too: 100% is a copy, however disguised by renaming, reordering functions, comments
or layout. Pairs sharing fewer than ``MIN_SHARED`` fingerprints are never flagged, so two
short answers to the same small task cannot be. The functions are matched by the
fingerprints they share, wherever each is, so a reordered or moved function is still shown
beside its source.

Measured on this kit (tests/test_similarity.py, where the figures are): independently
written correct solutions (the reference, and the scaffold completed by each of the kit's
equivalent solutions' rewritten functions) score 0.38 at most, 99% of their pairs 0.17 or
less; a disguised copy scores 0.97 to 1.0 with its source (0.76 and up for a source of one
or two short functions); ``THRESHOLD`` lies between. An equivalent built whole on the
reference (its untouched functions are the reference's) scores 0.88 to 1.0 with it: it is
a copy of most of it. 200 students take 11 to 14 s on 2 busy cores (benchmarks/similarity.py).

Why not a library: ``copydetect`` (MOSS-style winnowing over Pygments tokens, one
maintainer) compares file with file and gives character slices, where this report wants the
Python tokens' normalisation above and a match function by function across files; the
algorithm is short enough to own with the stdlib alone, and no network service is used.
"""

from __future__ import annotations

import ast
import contextlib
import io
import keyword
import tempfile
import tokenize
import zlib
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path

from ..judge.submission import PROJECTS
from . import intake

K = 12  # tokens per hashed run: shorter common runs are noise
WINDOW = 8  # hashes per window: a common run of K + WINDOW - 1 tokens is always found
THRESHOLD = 0.5  # a pair's score from which it is reported
MIN_SHARED = 15  # fingerprints a pair must share to be reported at all
MAX_FILE_BYTES = 2**20  # a larger .py file is no one's written answer: left out, so it cannot slow the report
KIT = Path(__file__).resolve().parents[2] / "exercises"
MODULE_LEVEL = "(module level)"
SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
STRUCTURE = {tokenize.NEWLINE: ";", tokenize.INDENT: "{", tokenize.DEDENT: "}"}
FSTRING_START = getattr(tokenize, "FSTRING_START", -1)  # Python 3.12 and later
FSTRING_END = getattr(tokenize, "FSTRING_END", -1)
STRING, ROUND, CLOSING = "S", ("(", ")"), (")", "]", "}")


@dataclass(frozen=True)
class Fingerprint:
    """A kept hash and the lines that hold the tokens it covers, in one file."""

    hash: int
    file: str
    lines: tuple[int, ...]


@dataclass(frozen=True)
class Unit:
    """A function or method (``Linear.backward``) of a file, or the file's module-level code."""

    file: str
    name: str
    first: int
    last: int


@dataclass
class Written:
    """What one student wrote: the fingerprints left once the kit's are removed, and the files' lines."""

    student: str
    fingerprints: list[Fingerprint]
    sources: dict[str, str]
    hashes: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        self.hashes = frozenset(fingerprint.hash for fingerprint in self.fingerprints)

    @cached_property
    def lines(self) -> dict[str, list[str]]:
        """Each file's lines, for the side-by-side view."""
        return {file: source.splitlines() for file, source in self.sources.items()}

    @cached_property
    def units(self) -> dict[str, list[Unit]]:
        """Each file's functions, found only for the students of a flagged pair."""
        return {file: units(source, file) for file, source in self.sources.items()}

    def unit_of(self, fingerprint: Fingerprint) -> Unit:
        """The innermost function holding the fingerprint's first line, else the module level."""
        holding = [unit for unit in self.units[fingerprint.file] if unit.first <= fingerprint.lines[0] <= unit.last]
        if holding:
            return min(holding, key=lambda unit: unit.last - unit.first)
        return Unit(fingerprint.file, MODULE_LEVEL, 1, len(self.lines[fingerprint.file]))


@dataclass(frozen=True)
class Match:
    """A function of each student that share fingerprints, and the lines of each that they cover."""

    first: Unit
    second: Unit
    shared: int
    first_lines: frozenset[int]
    second_lines: frozenset[int]


@dataclass(frozen=True)
class Pair:
    """Two students, the fingerprints they share, and the share of each one's written part that is."""

    first: Written
    second: Written
    shared: int
    score: float

    @property
    def shares(self) -> tuple[float, float]:
        """The share of each student's fingerprints that the other holds too."""
        return self.shared / max(1, len(self.first.hashes)), self.shared / max(1, len(self.second.hashes))

    def matches(self) -> list[Match]:
        """The functions that share fingerprints, each with its best-matching function, in the first's order."""
        common = self.first.hashes & self.second.hashes
        firsts = located(self.first, common)
        seconds = located(self.second, common)
        counts: dict[tuple[Unit, Unit], set[int]] = {}
        for value in common:
            counts.setdefault((firsts[value][0], seconds[value][0]), set()).add(value)
        best: dict[Unit, tuple[Unit, set[int]]] = {}
        for (mine, theirs), values in counts.items():
            if mine not in best or len(values) > len(best[mine][1]):
                best[mine] = (theirs, values)
        found = []
        for mine, (theirs, values) in sorted(best.items(), key=lambda item: (item[0].file, item[0].first)):
            found.append(
                Match(
                    mine,
                    theirs,
                    len(values),
                    frozenset(line for value in values for line in firsts[value][1]),
                    frozenset(line for value in values for line in seconds[value][1]),
                )
            )
        return found


def located(student: Written, hashes: frozenset[int]) -> dict[int, tuple[Unit, set[int]]]:
    """For each of ``hashes``: the function of its first occurrence and every line it covers there."""
    places: dict[int, tuple[Unit, set[int]]] = {}
    for fingerprint in student.fingerprints:
        if fingerprint.hash in hashes:
            unit = student.unit_of(fingerprint)
            kept = places.setdefault(fingerprint.hash, (unit, set()))
            if kept[0] == unit:
                kept[1].update(fingerprint.lines)
    return places


@dataclass(frozen=True)
class Similarity:
    """The outcome for a class: how many students were compared, and the pairs above the threshold."""

    compared: int
    pairs: list[Pair]
    threshold: float = THRESHOLD

    def groups(self) -> list[list[str]]:
        """The students linked by listed pairs, directly or through others (copies of one source
        are one group), each sorted; the largest groups first."""
        linked: dict[str, set[str]] = {}
        for pair in self.pairs:
            names = {pair.first.student, pair.second.student}
            for member in list(names):
                names |= linked.get(member, set())
            for member in names:
                linked[member] = names
        found = {frozenset(names) for names in linked.values()}
        return sorted((sorted(names) for names in found), key=lambda names: (-len(names), names))


def tokens(source: str) -> list[tuple[str, int]]:
    """The normalised tokens of Python source, each with its line (see the module's docstring).

    What a formatter (black, ruff format, ``ast.unparse``) changes is left out too: round
    brackets, a comma before a closing bracket, strings written next to each other.
    """
    found: list[tuple[str, int]] = []
    raw: list[tokenize.TokenInfo] = []
    with contextlib.suppress(tokenize.TokenError, IndentationError, SyntaxError):  # what came before counts
        raw.extend(tokenize.generate_tokens(io.StringIO(source).readline))
    inside = 0  # depth in an f-string, which Python 3.12 and later cut into tokens
    for index, token in enumerate(raw):
        ends_docstring = token.type == tokenize.NEWLINE and index and docstring(raw, index - 1)
        if token.type in SKIPPED or inside or ends_docstring or docstring(raw, index):
            inside += (token.type == FSTRING_START) - (token.type == FSTRING_END)
            continue
        inside += token.type == FSTRING_START
        text = normalised(raw, index)
        if text in CLOSING and found and found[-1][0] == ",":
            found.pop()
        if text in ROUND or (text == STRING and found and found[-1][0] == STRING):
            continue
        found.append((text, token.start[0]))
    return found


def normalised(raw: list[tokenize.TokenInfo], index: int) -> str:
    """The text that stands for a token: a name is ``N`` unless it is a keyword or an attribute, a string ``S``."""
    token = raw[index]
    if token.type in STRUCTURE:
        return STRUCTURE[token.type]
    if token.type == tokenize.NAME and not keyword.iskeyword(token.string):
        return token.string if index and raw[index - 1].string == "." else "N"
    if token.type in (tokenize.STRING, FSTRING_START):
        return STRING
    if token.type == tokenize.NUMBER:
        return number(token.string)
    return token.string


def number(text: str) -> str:
    """A number's literal written one way: ``1e-3`` and ``0.001`` are one, ``1_000`` and ``1000`` too."""
    plain = text.replace("_", "")
    with contextlib.suppress(ValueError):
        return repr(int(plain, 0))
    with contextlib.suppress(ValueError):
        return repr(float(plain))
    return text


def docstring(raw: list[tokenize.TokenInfo], index: int) -> bool:
    """Whether the token at ``index`` is a string standing alone as a statement (a docstring)."""
    if raw[index].type != tokenize.STRING:
        return False
    before, after = index - 1, index + 1
    while before >= 0 and raw[before].type in SKIPPED:
        before -= 1
    while after < len(raw) and raw[after].type in SKIPPED:
        after += 1
    starts = before < 0 or raw[before].type in STRUCTURE
    return starts and (after == len(raw) or raw[after].type == tokenize.NEWLINE)


def segments(found: list[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    """The tokens cut where a definition (``def``, ``class``, a decorator) or a module-level statement starts.

    No run of tokens then spans two definitions, so reordering the functions of a file
    makes no run that the kit or the source does not have.
    """
    cut: list[list[tuple[str, int]]] = [[]]
    depth = 0
    for index, token in enumerate(found):
        starts = index == 0 or found[index - 1][0] in STRUCTURE.values()
        if starts and (depth == 0 or token[0] in ("def", "class", "@")):
            cut.append([])
        depth += (token[0] == "{") - (token[0] == "}")
        cut[-1].append(token)
    return [segment for segment in cut if len(segment) >= K]


@cache
def token_id(text: str) -> int:
    """A number standing for a token's text, the same in every run (unlike ``hash`` of a string)."""
    return zlib.crc32(text.encode())


def grams(segment: list[tuple[str, int]]) -> list[tuple[int, tuple[int, ...]]]:
    """The hash of every run of K tokens of a segment, with the lines that hold the run's tokens.

    A tuple of ints hashes the same in every process, so the fingerprints do too.
    """
    ids = [token_id(text) for text, _ in segment]
    lines = [
        0 if text in ("{", "}") else line for text, line in segment
    ]  # an indent or dedent stands on another's line
    return [
        (hash(tuple(ids[i : i + K])), tuple(sorted(set(lines[i : i + K]) - {0}))) for i in range(len(segment) - K + 1)
    ]


@lru_cache(maxsize=4096)
def winnow(found: tuple[tuple[str, int], ...], file: str) -> tuple[Fingerprint, ...]:
    """The fingerprints of a file's tokens: in each segment, the smallest hash of every WINDOW runs of K tokens.

    Cached: files that differ in comments or layout only are fingerprinted once.
    """
    kept: list[Fingerprint] = []
    for segment in segments(list(found)):
        hashed = grams(segment)
        values = [value for value, _ in hashed]
        chosen = -1
        for start in range(max(1, len(hashed) - WINDOW + 1)):
            window = values[start : start + WINDOW]
            smallest = start + len(window) - 1 - window[::-1].index(min(window))  # the rightmost smallest
            if smallest != chosen:
                chosen = smallest
                value, lines = hashed[smallest]
                kept.append(Fingerprint(value, file, lines))
    return tuple(kept)


@lru_cache(maxsize=4096)
def fingerprints_of(source: str, file: str) -> tuple[Fingerprint, ...]:
    """``winnow``, once per distinct file: most students hand in many of the kit's files unchanged."""
    return winnow(tuple(tokens(source)), file)


@lru_cache(maxsize=4)
def kit_hashes(kit: Path = KIT) -> frozenset[int]:
    """Every hash of every run of K tokens in the kit's files: what every student is given."""
    return frozenset(
        value
        for path in python_files(kit)
        for segment in segments(tokens(path.read_text(encoding="utf-8", errors="replace")))
        for value, _ in grams(segment)
    )


def python_files(folder: Path) -> list[Path]:
    """The ``.py`` files of the projects in ``folder``, in a fixed order (none above ``MAX_FILE_BYTES``)."""
    return sorted(
        path
        for project in PROJECTS
        for path in (folder / project).rglob("*.py")
        if "__pycache__" not in path.parts
        and path.is_file()
        and not path.is_symlink()
        and path.stat().st_size <= MAX_FILE_BYTES
    )


def units(source: str, file: str) -> list[Unit]:
    """The functions and methods of ``source`` with their lines; none when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    first = min([child.lineno, *(decorator.lineno for decorator in child.decorator_list)])
                    found.append(Unit(file, name, first, child.end_lineno or child.lineno))
                visit(child, name + ".")

    visit(tree, "")
    return found


def written(student: str, folder: Path, kit: Path = KIT) -> Written:
    """What ``student`` wrote in ``folder`` (laid out like exercises/): its fingerprints less the kit's."""
    given = kit_hashes(kit)
    fingerprints, sources = [], {}
    for path in python_files(folder):
        file = path.relative_to(folder).as_posix()
        sources[file] = path.read_text(encoding="utf-8", errors="replace")
        fingerprints += [print_ for print_ in fingerprints_of(sources[file], file) if print_.hash not in given]
    return Written(student, fingerprints, sources)


def compare(students: list[Written], threshold: float = THRESHOLD) -> Similarity:
    """Every pair whose score reaches ``threshold``, sharing MIN_SHARED fingerprints at least, highest first."""
    pairs = []
    for i, first in enumerate(students):
        for second in students[i + 1 :]:
            shared = len(first.hashes & second.hashes)
            if shared >= MIN_SHARED:
                score = shared / min(len(first.hashes), len(second.hashes))
                if score >= threshold:
                    pairs.append(Pair(first, second, shared, score))
    pairs.sort(key=lambda pair: (-pair.score, -pair.shared, pair.first.student, pair.second.student))
    return Similarity(len(students), pairs, threshold)


def of_folders(folders: dict[str, Path], kit: Path = KIT, threshold: float = THRESHOLD) -> Similarity:
    """Compare the students' folders (name -> a folder laid out like exercises/)."""
    return compare([written(student, folder, kit) for student, folder in folders.items()], threshold)


def of_entries(entries: list[intake.Entry], kit: Path = KIT, threshold: float = THRESHOLD) -> Similarity:
    """Compare the students of a submissions folder: zips extracted and notebooks rebuilt as for grading."""
    students = []
    for entry in entries:
        with tempfile.TemporaryDirectory(prefix="autograder-similarity-") as scratch:
            try:
                submission, _ = intake.prepare(entry, Path(scratch))
            except intake.NotASubmission:
                continue
            students.append(written(entry.student, submission.path, kit))
    return compare(students, threshold)
