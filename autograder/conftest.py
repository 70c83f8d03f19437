"""Load the grading plugin for ``pytest autograder``."""

pytest_plugins = ["autograder.plugin"]
