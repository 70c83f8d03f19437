"""The complete solution of both mini-projects, read by students once the course is over.

- ``reference.pairs``: project 1, digit-pair comparison with weight sharing and
  auxiliary losses (PyTorch ``nn``).
- ``reference.framework``: project 2, a deep-learning framework written with tensor
  operations only (no ``torch.nn``, no autograd).

Parts a student writes are framed by ``### BEGIN SOLUTION`` / ``### END SOLUTION``;
``exercises/`` is this package with those parts replaced by stubs. Imports inside the
package are relative, so the same files work under any package name.
"""
