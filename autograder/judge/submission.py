"""Find a submission, recognise its layout, and copy the files the worker will run.

A submission is a folder laid out like ``exercises/``: a ``framework/`` folder, a
``pairs/`` folder, or both. The copy holds its regular ``.py`` files only: no links (which
could point into the kit), no bytecode (which Python would prefer to the source), no
extension modules, nothing above a size limit. Comments and docstrings are left out of the
copy (``strip``), line for line, so that the scan's cap on embedded data (``scan.py``)
counts every byte a graded file could read back from its own source, and every message
still points at the student's line.
"""

from __future__ import annotations

import ast
import io
import os
import tokenize
from dataclasses import dataclass
from pathlib import Path

from .scan import PARSING

KIT = Path(__file__).resolve().parents[2]
PROJECTS = ("pairs", "framework")
KIT_SOLUTIONS = ("reference", "exercises")
MAX_FILE_BYTES = 1 << 20
MAX_TOTAL_BYTES = 1 << 20  # the reference has 0.12 MiB: room for any solution, none for a dataset
MAX_FILES = 500
SIGNATURES = {
    "framework": ("module.py", "linear.py", "activations.py", "optim.py"),
    "pairs": ("models.py", "mnist.py", "layers.py"),
}


class SubmissionError(Exception):
    """The folder named is not a submission; the message says which folder to pass."""


@dataclass(frozen=True)
class Submission:
    """A submission to grade: how the user named it, its folder, and the projects it holds."""

    label: str
    path: Path
    projects: tuple[str, ...]


def locate(spec: str | os.PathLike) -> Submission:
    """Resolve ``spec``: ``reference``, ``exercises``, or the path of a folder laid out like exercises/.

    Raises:
        SubmissionError: the folder does not exist, is a project folder itself, or holds no project.
    """
    text = str(spec)
    candidate = Path(text).expanduser()
    if text in KIT_SOLUTIONS and not candidate.is_dir():
        candidate = KIT / text
    path = candidate.resolve()
    if not path.is_dir():
        raise SubmissionError(
            f"--solution {text}: {path} is not a folder. Pass 'reference', 'exercises' or the "
            f"path of a folder laid out like exercises/ (with framework/ and/or pairs/ in it)."
        )
    for project, files in SIGNATURES.items():
        if sum((path / name).is_file() for name in files) >= 2 and not (path / project).is_dir():
            raise SubmissionError(
                f"--solution {text}: {path} looks like the {project}/ folder of a solution, not a solution. "
                f"Pass the folder that holds it: --solution {path.parent}"
            )
    projects = tuple(project for project in PROJECTS if (path / project).is_dir())
    if not projects:
        raise SubmissionError(
            f"--solution {text}: {path} holds neither pairs/ nor framework/. Pass a folder laid out like exercises/."
        )
    label = text if text in KIT_SOLUTIONS else str(path)
    return Submission(label, path, projects)


def docstring_starts(tree: ast.Module) -> set[tuple[int, int]]:
    """Where each bare string statement begins (line, byte column): docstrings, and strings that
    are statements of their own, which do nothing when the code runs."""
    values = [node.value for node in ast.walk(tree) if isinstance(node, ast.Expr)]
    return {
        (value.lineno, value.col_offset)
        for value in values
        if isinstance(value, ast.Constant) and isinstance(value.value, str | bytes)
    }


def emptied(token: str) -> str:
    """A string token with its text taken out and its line breaks kept (prefix and quotes unchanged)."""
    prefix = token[: len(token) - len(token.lstrip("rRbBuUfF"))]
    body = token[len(prefix) :]
    quote = body[:3] if body[:3] in ('"""', "'''") else body[0]
    breaks = body.count("\n")
    return prefix + quote + ("\n" * breaks if len(quote) == 3 else "\\\n" * breaks) + quote


def strip(source: bytes) -> bytes:
    """``source`` without its comments and docstrings, every line where it was.

    A file that is not UTF-8 or does not parse loses only the comments that come before the
    point where Python stops reading it; the scan reports it.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        text = source.decode(encoding)
    except (SyntaxError, UnicodeDecodeError):
        return source
    if encoding not in ("utf-8", "utf-8-sig"):
        return source
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as Python reads it
    try:
        with PARSING:
            starts = docstring_starts(ast.parse(text))
    except (SyntaxError, ValueError):
        starts = set()
    lines = io.StringIO(text).readlines()
    edits: list[tuple[tuple[int, int], tuple[int, int], str]] = []
    statement: tuple[int, int] | None = None  # the start of the bare string statement being read
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            row, column = token.start
            if token.type == tokenize.COMMENT:
                edits.append((token.start, token.end, ""))
            elif token.type == tokenize.STRING:
                at = (row, len(lines[row - 1][:column].encode(encoding.removesuffix("-sig"))))
                if at in starts:
                    statement = at
                if statement is not None:
                    edits.append((token.start, token.end, emptied(token.string)))
            elif token.type != tokenize.NL:
                statement = None
    except (tokenize.TokenError, SyntaxError):
        pass  # the file does not parse: the scan says so
    for (start_row, start_column), (end_row, end_column), new in reversed(edits):
        head = lines[start_row - 1][:start_column]
        tail = lines[end_row - 1][end_column:]
        lines[start_row - 1 : end_row] = io.StringIO(head + new + tail).readlines() or [""]
    return "".join(lines).encode(encoding)


def copy_sources(submission: Submission, destination: Path) -> list[str]:
    """Copy every regular ``.py`` file of the submission's projects into ``destination``.

    Returns notes for the student about what was left out (links, large files).
    """
    notes: list[str] = []
    count = total = 0
    for project in submission.projects:
        source = submission.path / project
        if source.is_symlink():
            notes.append(f"{project}/ is a symbolic link: it is not graded (copy the folder itself)")
            continue
        for folder, subfolders, files in os.walk(source, followlinks=False):
            here = Path(folder)
            for name in list(subfolders):
                if name == "__pycache__" or name.startswith(".") or (here / name).is_symlink():
                    if (here / name).is_symlink():
                        notes.append(f"{(here / name).relative_to(submission.path)}/ is a symbolic link: not graded")
                    subfolders.remove(name)
            for name in sorted(files):
                path = here / name
                relative = path.relative_to(submission.path)
                if not name.endswith(".py"):
                    continue
                if path.is_symlink() or not path.is_file():
                    notes.append(f"{relative.as_posix()} is a symbolic link: it is not graded (copy the file itself)")
                    continue
                size = path.stat().st_size
                if size > MAX_FILE_BYTES or count >= MAX_FILES or total + size > MAX_TOTAL_BYTES:
                    notes.append(
                        f"{relative.as_posix()} is left out: a file may have {MAX_FILE_BYTES >> 20} MiB, a "
                        f"submission {MAX_TOTAL_BYTES >> 20} MiB and {MAX_FILES} files"
                    )
                    continue
                target = destination / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(strip(path.read_bytes()))
                target.chmod(0o444)
                count, total = count + 1, total + size
        (destination / project).mkdir(parents=True, exist_ok=True)
    return notes
