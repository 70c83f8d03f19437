"""The exercises of both mini-projects: the kit's packages with the parts you write left out.

- ``pairs``: project 1, digit-pair comparison with weight sharing and auxiliary losses
  (PyTorch ``nn``).
- ``framework``: project 2, a deep-learning framework written with tensor operations
  only (no ``torch.nn``, no autograd).

Each part you write raises ``NotImplementedError`` until you do; README.md lists them,
task by task. Imports inside the package are relative, so a copy of this folder works
under any name: ``python -m autograder start DIR`` makes one for you.
"""
