"""Every mutant of both projects: realistic mistakes the autograder must catch."""

from framework_mutants import FRAMEWORK
from pairs_mutants import PAIRS

MUTANTS = FRAMEWORK + PAIRS
