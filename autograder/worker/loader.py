"""Import a submission's files one by one, and give probes the names they define.

A project folder (``framework/`` or ``pairs/``) becomes the package of the same name
without running its ``__init__.py``: each file is imported on its own (with the files it
imports), so a syntax error in one file costs only the tasks that import it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any, NamedTuple

WORKER = __name__.partition(".")[0]  # this package, as the sandbox names it
KIT_PACKAGES = ("reference", "autograder", "exercises", WORKER)


class KitImportBlocker(importlib.abc.MetaPathFinder):
    """Make the kit's own packages unimportable, as if they did not exist: graded code must be the
    student's (the scan says so where the source names one)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        top = fullname.partition(".")[0]
        if top in KIT_PACKAGES:
            raise ModuleNotFoundError(f"No module named {top!r}", name=top)


def block_kit_imports() -> None:
    """Install the blocker first on the import path."""
    sys.meta_path.insert(0, KitImportBlocker())


class KitTraces(NamedTuple):
    """What a probe's child forgets of the worker (``hide_kit``): its modules, and the import path
    without its folder. The zygote finds them once: searching every module's name in each child
    would write to every page that holds one, a copy of each page per child (9 ms a probe)."""

    modules: tuple[str, ...]
    path: tuple[str, ...]


def kit_traces() -> KitTraces:
    """In the zygote, once its children's own imports are loaded: the worker's modules and the import
    path without its folder; and the import system's caches emptied, which every child inherits."""
    folder = Path(__file__).resolve().parent.parent
    modules = tuple(name for name in sys.modules if name.partition(".")[0] == WORKER)
    path = tuple(entry for entry in sys.path if Path(entry or ".").resolve() != folder)
    importlib.invalidate_caches()
    return KitTraces(modules, path)


def hide_kit(traces: KitTraces) -> None:
    """In a probe's child, before the submission runs: forget the worker's own modules and its folder,
    so that importing them fails (the probes keep the objects they already hold)."""
    for name in traces.modules:
        sys.modules.pop(name, None)
    sys.path[:] = traces.path


def project_package(root: Path, project: str, run_init: bool = False) -> types.ModuleType:
    """Make ``root/project`` the package ``project``; its ``__init__.py`` runs only if ``run_init``."""
    if project in sys.modules:
        return sys.modules[project]
    folder = root / project
    init = folder / "__init__.py"
    spec = importlib.util.spec_from_file_location(project, init, submodule_search_locations=[str(folder)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[project] = package
    if run_init and init.is_file():
        spec.loader.exec_module(package)
    return package


def import_file(root: Path, project: str, stem: str) -> types.ModuleType:
    """Import ``root/project/stem.py`` as ``project.stem``."""
    project_package(root, project)
    return importlib.import_module(f"{project}.{stem}")


class Namespace:
    """The names a probe may use: those of the given files, looked up in order, then of the package.

    A name absent from every file raises ``AttributeError`` naming the files searched.
    """

    def __init__(self, project: str, modules: list[types.ModuleType]) -> None:
        self._project = project
        self._modules = modules

    def globals_of(self, name: str) -> dict[str, Any]:
        """The globals of the file that defines ``name``: where a probe may put the kit's parts."""
        for module in self._modules:
            if name in vars(module):
                return vars(module)
        raise AttributeError(f"{name} is not defined in {', '.join(module.__name__ for module in self._modules)}")

    def __getattr__(self, name: str) -> Any:
        for module in self._modules:
            if name in vars(module):
                return vars(module)[name]
        package = sys.modules.get(self._project)
        if package is not None and name in vars(package):
            return vars(package)[name]
        files = ", ".join(f"{self._project}/{module.__name__.rpartition('.')[2]}.py" for module in self._modules)
        raise AttributeError(f"{name} is not defined in {files or self._project}")


def load(root: Path, project: str, stems: list[str], run_init: bool = False) -> Namespace:
    """Import the files ``stems`` of ``root/project`` and return their namespace."""
    project_package(root, project, run_init)
    return Namespace(project, [import_file(root, project, stem) for stem in stems])
