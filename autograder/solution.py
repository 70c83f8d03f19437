"""Find a solution by package name or path and import it under an isolated module name."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
from dataclasses import dataclass
from pathlib import Path

REFERENCE = "reference"
ISOLATED_PREFIX = "graded_solution_"


class SolutionError(Exception):
    """The solution cannot be found or imported; the message says how to fix it."""


@dataclass(frozen=True)
class Solution:
    """A solution to grade: what the user named, its folder, and its isolated package name."""

    label: str
    path: Path
    package: str
    is_reference: bool

    def import_project(self, project: str) -> types.ModuleType:
        """Import one project subpackage (``pairs`` or ``framework``) of the solution."""
        if self.package not in sys.modules:
            import_package(self.package, self.path)
        name = f"{self.package}.{project}"
        try:
            return importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:
                missing = f"{self.path / project} is missing: the solution has no {project} package"
                raise SolutionError(missing) from None
            raise
        # Other errors propagate: the plugin reports them against the student's file.


def locate(spec: str, root: Path) -> Solution:
    """Resolve ``spec``, a package importable from ``root`` or a directory, to a ``Solution``."""
    candidate = Path(spec).expanduser()
    if not candidate.is_absolute() and ("/" in spec or spec.startswith(".")):
        candidate = Path.cwd() / candidate
    if not candidate.is_dir() and spec.isidentifier():
        candidate = root / spec
    path = candidate.resolve()
    if not (path / "__init__.py").is_file():
        raise SolutionError(
            f"--solution {spec}: {path} is not a solution package. Name a package of the kit "
            f"('reference' or 'exercises') or a folder laid out like reference/ (with __init__.py, "
            f"pairs/ and framework/)."
        )
    label = spec if spec.isidentifier() else str(path)
    reference = importlib.util.find_spec(REFERENCE)
    is_reference = reference is not None and Path(reference.origin).parent.resolve() == path
    return Solution(label, path, ISOLATED_PREFIX + safe_name(label), is_reference)


def safe_name(label: str) -> str:
    """Turn a label into a valid module-name suffix."""
    return "".join(character if character.isalnum() else "_" for character in label).strip("_") or "solution"


def import_package(package: str, path: Path) -> types.ModuleType:
    """Import the folder ``path`` as the package ``package``; its relative imports follow."""
    spec = importlib.util.spec_from_file_location(package, path / "__init__.py", submodule_search_locations=[str(path)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[package] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[package]
        raise
    return module


class ReferenceBlocker(importlib.abc.MetaPathFinder):
    """Refuse ``import reference`` while a student's solution is graded."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == REFERENCE or fullname.startswith(REFERENCE + "."):
            raise ImportError(
                f"your solution imports '{fullname}', the kit's complete solution: graded code "
                f"must be your own. Remove that import.",
                name=fullname,
            )
        return None


def block_reference() -> list[tuple[str, types.ModuleType]]:
    """Install the blocker and hide imported ``reference`` modules; return what was hidden."""
    hidden = [(name, module) for name, module in sys.modules.items()
              if name == REFERENCE or name.startswith(REFERENCE + ".")]  # fmt: skip
    for name, _ in hidden:
        del sys.modules[name]
    sys.meta_path.insert(0, ReferenceBlocker())
    return hidden


def unblock_reference(hidden: list[tuple[str, types.ModuleType]]) -> None:
    """Remove the blocker and restore the hidden modules."""
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, ReferenceBlocker)]
    sys.modules.update(hidden)
