"""The kit's autograder: grade a solution (the reference, the exercises, or a student's copy).

Run ``python -m autograder --solution NAME_OR_PATH`` (or ``pytest autograder --solution
NAME_OR_PATH``) for a score per task. The checks in ``autograder.checks`` are plain
functions, called by the pytest tests here and by the nbgrader notebooks' test cells.
"""
