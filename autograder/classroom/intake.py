"""Turn one entry of a class's submissions folder into a folder the judge can grade.

An entry is a student's folder (laid out like ``exercises/``: ``framework/`` and/or
``pairs/``, or holding the course's notebooks), a ``.zip`` of such a folder, or a single
notebook (``.ipynb``). The student's name is the entry's name without ``.zip`` or
``.ipynb``, made distinct from every other student's (``student_names``). A zip is
extracted by this module, never by ``zipfile.extractall``: an entry that would leave the
extraction folder, a link, or an absurd size refuses the whole zip, for that student only.
A submission wrapped in folders (``alice/solution/framework``) is found below them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..judge.submission import PROJECTS, Submission, SubmissionError, locate
from . import from_notebooks

MAX_ZIP_MEMBERS = 2000
MAX_MEMBER_BYTES = 64 * 2**20
MAX_ZIP_BYTES = 256 * 2**20
MAX_RATIO = 200  # uncompressed / compressed, for members above a mebibyte: a zip bomb
MAX_WRAPPING = 3  # folders around the submission (alice.zip: alice/solution/framework)
IGNORED = ("__MACOSX", "__pycache__", ".ipynb_checkpoints")
SUFFIXES = (".zip", ".ipynb")
RESERVED = ("gradebook.csv", "report.html")


class NotASubmission(Exception):
    """The entry cannot be graded; the message says why, for the student and the instructor."""


@dataclass(frozen=True)
class Entry:
    """One student's entry: the name the gradebook uses, the path in the submissions folder, and a
    note when the name is not the entry's plain name (another entry claims that name too)."""

    student: str
    path: Path
    note: str = ""

    @property
    def kind(self) -> str:
        """``folder``, ``zip``, ``notebook`` or ``other``."""
        if self.path.is_dir() and not self.path.is_symlink():
            return "folder"
        suffix = self.path.suffix.lower()
        if self.path.is_file() and not self.path.is_symlink() and suffix in SUFFIXES:
            return "zip" if suffix == ".zip" else "notebook"
        return "other"


def entries(submissions: Path) -> list[Entry]:
    """Every student of a submissions folder, sorted by name; hidden entries are left out."""
    paths = {path.name: path for path in submissions.iterdir() if not path.name.startswith(".")}
    named = student_names(list(paths))
    found = [Entry(named[name][0], path, named[name][1]) for name, path in paths.items()]
    return sorted(found, key=lambda entry: entry.student)


def student_names(names: list[str]) -> dict[str, tuple[str, str]]:
    """The student name of each entry name, and a note where it is not the entry's plain name.

    An entry's plain name is its name without ``.zip`` or ``.ipynb`` (``bob.zip``: ``bob``).
    Names are compared ignoring case, as some file systems do. An entry keeps its plain name
    unless another entry's plain name or whole name is the same, or the class's own files use
    it (``gradebook.csv``, ``report.html``); then it is named by its whole name (``bob.zip``,
    ``bob.ipynb``, ``bob.zip.zip``), and whole names that still meet get a number
    (``Bob.zip~1``, ``bob.zip~2``). So every entry has a name, and a folder, of its own.
    """
    plain = {name: student_name(Path(name)) for name in names}
    claims: dict[str, list[str]] = {}  # a name, ignoring case -> the entries whose plain or whole name it is
    for name in names:
        for claimed in {plain[name].casefold(), name.casefold()}:
            claims.setdefault(claimed, []).append(name)
    reserved = {file.casefold() for file in RESERVED}
    chosen = {}
    for name in names:
        alone = claims[plain[name].casefold()] == [name] and plain[name].casefold() not in reserved
        chosen[name] = plain[name] if alone else name
    groups: dict[str, list[str]] = {}
    for name in sorted(names):
        groups.setdefault(chosen[name].casefold(), []).append(name)
    taken = set(groups) | reserved
    for key, group in groups.items():
        if len(group) > 1 or key in reserved:
            for name in group:
                number = 1
                while f"{name}~{number}".casefold() in taken:
                    number += 1
                chosen[name] = f"{name}~{number}"
                taken.add(chosen[name].casefold())
    return {name: (chosen[name], naming_note(name, plain[name], chosen[name], claims)) for name in names}


def naming_note(name: str, plain: str, student: str, claims: dict[str, list[str]]) -> str:
    """What the run says about the entry ``name`` when its plain name is not its alone; else empty."""
    sharing = claims[plain.casefold()]
    if len(sharing) > 1:
        return (
            f"the entries {', '.join(sorted(sharing))} would all be named {plain!r} (ignoring case): "
            f"this one, {name}, is graded as {student!r}; give each student's entry a name of its own"
        )
    if student != plain:
        return f"the entry {name} is graded as {student!r}: {plain!r} is the name of a file of the class's results"
    return ""


def student_name(path: Path) -> str:
    """The entry's plain name: its name without ``.zip`` or ``.ipynb``."""
    suffix = path.suffix.lower()
    return path.name[: -len(suffix)] if suffix in SUFFIXES and len(path.name) > len(suffix) else path.name


def content_hash(entry: Entry) -> str:
    """A SHA-256 of everything the entry holds: names, links' targets and bytes, in a fixed order."""
    digest = hashlib.sha256()
    if entry.path.is_dir() and not entry.path.is_symlink():
        for folder, subfolders, files in os.walk(entry.path, followlinks=False):
            subfolders[:] = sorted(name for name in subfolders if name not in IGNORED)
            for name in sorted(files + [name for name in subfolders if Path(folder, name).is_symlink()]):
                path = Path(folder, name)
                relative = path.relative_to(entry.path).as_posix()
                if path.is_symlink():
                    digest.update(f"link {relative} {os.readlink(path)}\n".encode())
                elif path.is_file():
                    digest.update(f"file {relative} {path.stat().st_size}\n".encode())
                    hash_file(digest, path)
    elif entry.path.is_file() and not entry.path.is_symlink():
        digest.update(f"file {entry.path.name}\n".encode())
        hash_file(digest, entry.path)
    else:
        digest.update(f"other {entry.path.name}\n".encode())
    return digest.hexdigest()


def hash_file(digest: hashlib._Hash, path: Path) -> None:
    """Feed a file's bytes to ``digest``."""
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)


def prepare(entry: Entry, scratch: Path) -> tuple[Submission, list[str]]:
    """The submission to grade for ``entry`` (extracted or rebuilt under ``scratch``) and notes about it.

    Raises:
        NotASubmission: the entry is not a folder, zip or notebook, its zip is refused, or
            it holds neither a project folder nor a notebook of the course.
    """
    kind = entry.kind
    if kind == "other":
        raise NotASubmission(
            f"{entry.path.name} is neither a folder, a .zip nor a notebook (.ipynb): "
            f"hand in a folder laid out like exercises/ (with framework/ and/or pairs/), or a zip of it"
        )
    if kind == "notebook":
        return rebuilt(entry.student, [entry.path], scratch)
    folder = entry.path
    if kind == "zip":
        folder = scratch / "unzipped"
        extract(entry.path, folder)
    return find(entry.student, folder, scratch)


def find(student: str, folder: Path, scratch: Path) -> tuple[Submission, list[str]]:
    """The submission in ``folder``: its project folders, else its notebooks, looking inside wrapping folders."""
    root = folder
    for _ in range(MAX_WRAPPING + 1):
        if any(has_python(root / project) for project in PROJECTS):
            try:
                located = locate(root)
            except SubmissionError as error:
                raise NotASubmission(str(error)) from None
            return Submission(student, located.path, located.projects), []
        notebooks = from_notebooks.find_notebooks(root)
        if notebooks:
            return rebuilt(student, notebooks, scratch)
        inside = [
            path
            for path in root.iterdir()
            if path.is_dir() and not path.is_symlink() and not path.name.startswith(".") and path.name not in IGNORED
        ]
        if len(inside) != 1:
            break
        root = inside[0]
    raise NotASubmission(
        "this hand-in holds neither framework/ nor pairs/ with .py files in them, nor a notebook of the course "
        "(framework.ipynb, pairs.ipynb): hand in a folder laid out like exercises/, or a zip of it"
    )


def has_python(folder: Path) -> bool:
    """Whether ``folder`` is a real folder with at least one ``.py`` file in it."""
    return folder.is_dir() and not folder.is_symlink() and any(folder.glob("*.py"))


def rebuilt(student: str, notebooks: list[Path], scratch: Path) -> tuple[Submission, list[str]]:
    """A submission folder rebuilt from notebooks: the scaffold's files with the notebooks' solution cells."""
    target = scratch / "from-notebooks"
    try:
        projects, notes = from_notebooks.rebuild(notebooks, target)
    except from_notebooks.NotebookError as error:
        raise NotASubmission(str(error)) from None
    return Submission(student, target, projects), notes


def extract(archive: Path, destination: Path) -> None:
    """Extract ``archive`` into ``destination``, refusing the whole zip for any unsafe member.

    Raises:
        NotASubmission: not a zip, too many members, a member with an absolute path, a
            ``..``, a link or a device, a member too large or compressed absurdly well.
    """
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            check_members(archive.name, members)
            destination.mkdir(parents=True)
            root = destination.resolve()
            for member in members:
                if member.is_dir():
                    continue
                target = (root / member.filename).resolve()
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    copy_member(zipped, member, target)
                except OSError as error:
                    raise NotASubmission(
                        f"{archive.name} is refused: its entry {member.filename!r} cannot be written "
                        f"({error.strerror or error}; a name used twice?)"
                    ) from None
                except ValueError as error:
                    raise NotASubmission(f"{archive.name} is refused: its entry {member.filename!r} {error}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as error:
        shutil.rmtree(destination, ignore_errors=True)
        raise NotASubmission(f"{archive.name} cannot be read as a zip ({error}): zip your folder again") from None


def check_members(name: str, members: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip whose members are unsafe: the message names the first such member."""
    if len(members) > MAX_ZIP_MEMBERS:
        raise NotASubmission(f"{name} has {len(members)} entries (at most {MAX_ZIP_MEMBERS}): zip only your folder")
    total = 0
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        mode = member.external_attr >> 16
        refusal = None
        if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
            refusal = "would be written outside the folder it is extracted to"
        elif stat.S_ISLNK(mode):
            refusal = "is a symbolic link"
        elif stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):  # no type bits: a file
            refusal = "is neither a file nor a folder"
        elif member.file_size > MAX_MEMBER_BYTES:
            refusal = f"is {member.file_size / 2**20:.0f} MiB (at most {MAX_MEMBER_BYTES >> 20} MiB a file)"
        elif member.file_size > 2**20 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            refusal = "is compressed more than any source file can be"
        if refusal:
            raise NotASubmission(f"{name} is refused: its entry {member.filename!r} {refusal}")
        total += member.file_size
    if total > MAX_ZIP_BYTES:
        raise NotASubmission(f"{name} is refused: it extracts to {total >> 20} MiB (at most {MAX_ZIP_BYTES >> 20} MiB)")


def copy_member(zipped: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path) -> None:
    """Write one member, stopping at its declared size (a lying header cannot write more)."""
    written = 0
    with zipped.open(member) as source, open(target, "xb") as sink:
        while chunk := source.read(1 << 20):
            written += len(chunk)
            if written > member.file_size:
                raise ValueError("holds more than its header says")
            sink.write(chunk)
