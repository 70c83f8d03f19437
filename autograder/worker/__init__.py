"""The worker: the only part of the kit that a submission's code runs beside.

It is mounted read-only in the sandbox as the package ``worker`` (and is
``autograder.worker`` for the judge, which uses its codec and trusted parts). Its
modules import nothing of the judge.
"""
