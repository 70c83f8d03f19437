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
from typing import Any

KIT_PACKAGES = ("reference", "autograder", "exercises")


class KitImportBlocker(importlib.abc.MetaPathFinder):
    """Refuse imports of the kit's own packages: graded code must be the student's."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        top = fullname.partition(".")[0]
        if top in KIT_PACKAGES:
            raise ImportError(
                f"your solution imports '{fullname}', a package of the kit "
                f"({'the complete solution' if top == 'reference' else 'not your code'}): "
                f"graded code must be your own. Remove that import.",
                name=fullname,
            )


def block_kit_imports() -> None:
    """Install the blocker first on the import path."""
    sys.meta_path.insert(0, KitImportBlocker())


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
