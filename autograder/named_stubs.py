"""nbgrader's release with the exercises' stubs: each names its task and the function to write.

nbgrader's ``ClearSolutions`` replaces every solution region by one fixed text per
language (``raise NotImplementedError()``). ``NamedStubs`` replaces the regions of the
kit's solution cells as ``exercises/`` does, with ``exercises.strip_solutions``: the
released notebook says ``raise NotImplementedError("task linear: write Linear.forward")``
where the ``.py`` exercise says it. ``nbgrader_config.py`` puts it in ``ClearSolutions``'s
place in ``nbgrader generate_assignment``.
"""

from __future__ import annotations

from typing import Any

from nbformat.notebooknode import NotebookNode
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import ClearSolutions

from .exercises import strip_solutions
from .notebooks import has_solution, solution_cell_file


class NamedStubs(ClearSolutions):
    """``ClearSolutions`` whose stubs in the kit's solution cells are those of the ``.py`` exercises."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        """Clear the solutions of a notebook, named ``<project>.ipynb`` as ``build-notebooks`` names it."""
        self.project = resources["nbgrader"]["notebook"]
        return super().preprocess(nb, resources)

    def _replace_solution_region(self, cell: NotebookNode, language: str) -> bool:
        """Stub the regions of a generated solution cell as its reference file's; others as nbgrader does."""
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or grade_id is None or not has_solution(cell.source):
            return super()._replace_solution_region(cell, language)
        cell.source = strip_solutions(cell.source, solution_cell_file(self.project, grade_id))
        return True


def release_preprocessors() -> list[type]:
    """``nbgrader generate_assignment``'s preprocessors, with ``NamedStubs`` in place of ``ClearSolutions``."""
    default = GenerateAssignment.class_traits()["preprocessors"].default()
    return [NamedStubs if preprocessor is ClearSolutions else preprocessor for preprocessor in default]
