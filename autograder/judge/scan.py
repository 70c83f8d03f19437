"""The source scan: what a graded file may import, name and reach.

The scan reads the judge's copy of a submission (the very files the worker runs) and
finds, per file and line, every use the grading does not allow:

- **Reflection**, in both projects: ``eval``, ``exec``, ``compile``, ``__import__``,
  ``globals``, ``vars`` and the like; ``getattr``/``setattr``/``delattr``/``hasattr``
  except with a literal attribute name; dunder attributes beyond a short list
  (``__init__``, ``__class__``, ``__name__``, operator methods...); frame and code
  attributes; modules used as values (so that no alias escapes the rules below); relative
  imports that leave the project; star imports.
- **Imports, project 2** (``framework/``), an allowlist: the framework's own modules,
  ``torch`` and its harmless submodules (``linalg``, ``special``, ``fft``, ``random``), ``math``,
  a short list of harmless standard modules and ``tqdm``. Everything else is refused,
  ``torch.nn``, ``torch.autograd``, ``torch.optim``, ``torch.func``, ``functorch``,
  ``torch._C`` and ``torch.ops`` among them; so are ``requires_grad``, ``enable_grad``,
  ``set_grad_enabled`` with anything but a literal ``False``, ``inference_mode`` with
  anything but nothing or ``True``, and ``torch.load`` without ``weights_only=True``.
  ``torch.no_grad()`` and ``torch.set_grad_enabled(False)`` are allowed: the course's
  handout asks for them. Autograd has other doors, closed too: a tensor's ``.grad``,
  ``.is_leaf`` and the like (the framework's own gradients are ``weight_grad`` and
  ``bias_grad``); an assignment to an attribute of a torch object (``torch.x = ...``, or
  ``m.mode = False`` where ``m = torch.inference_mode()``); a ``**`` mapping passed to a torch
  function, or built with computed keys (``{"requires" + "_grad": True}``), since it hides the
  keywords it passes (forwarding ``**kwargs`` to one's own classes stays allowed); and
  ``.backward(`` with autograd's keywords (``gradient=``, ``retain_graph=``...: the
  framework's ``backward`` takes a gradient, the loss's nothing).
- **Imports, project 1** (``pairs/``), a denylist: the reflective modules (``sys``,
  ``inspect``, ``importlib``, ``gc``, ``builtins``, ``ctypes``, ``pickle``...).

- **The kit itself**, in both projects: graded code must be the student's own, so an import
  (``import``, ``from ... import``, or a loader called with a literal name) of a module of
  the kit (``worker``, ``autograder``, ``reference``, ``exercises``, or any top-level file or
  folder of the kit) is a finding.
- **Embedded data**, in both projects: a graded file has no room for trained weights (a
  model that brings trained features adapts to any relabelling from the training labels it
  is given, and a useful digit classifier fits in 2 KB). The judge's copy has no comments or
  docstrings (``submission.strip``), and the scan caps what is left: each literal, the
  literals of a file, and those of the whole project (helper files cannot share out what
  one file may not hold). Since any file can read another's source, a finding on embedded
  data costs every task of its project.

An attribute chain that starts at an imported name is resolved against the real module
here, step by step, so ``os.sys`` or ``torch.sys`` is seen for what it is: every module on
the way must be allowed, every name public, and a module's names may be restricted
(``os`` offers paths and the environment, not ``system``). The standard library's modules, the
packages the rules are about (``EAGER_PACKAGES``: torch, numpy, tqdm) and a lowercase name
imported from any other package are resolved at the import; another package itself, or a
capitalised name imported from it (a class), only where a rule needs the object (``Deferred``):
a chain from it, a value passed on, a module called, a call with the keywords the rules read,
and a class that turns out to be a module is judged at its import. So a file that only calls
``MNIST(...)`` or ``Figure(...)`` costs the judge no import of torchvision or matplotlib (2
CPU-s), and the findings never depend on what the judge had imported before, nor on where the
Python installation lives.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import io
import site
import sys
import sysconfig
import threading
import tokenize
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

# One parse at a time: Python 3.11's parser can fail when two threads parse while the
# garbage collector runs finalizers (CPython issue 106905), and a class grading scans in threads.
PARSING = threading.Lock()
REFLECTION_NAMES = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "__import__",
        "globals",
        "locals",
        "vars",
        "breakpoint",
        "__builtins__",
        "__loader__",
        "__spec__",
        "get_type_hints",
        "ForwardRef",
    }
)
NAME_TAKING = frozenset({"getattr", "setattr", "delattr", "hasattr"})
TYPE_CHECKING_TESTS = ("TYPE_CHECKING", "typing.TYPE_CHECKING")
NEVER_IMPORTED = frozenset({"antigravity", "this", "idlelib", "turtle", "turtledemo", "tkinter", "webbrowser"})
EAGER_PACKAGES = frozenset({"torch", "numpy", "tqdm"})  # resolved at the import, as the standard library is:
# torch's and numpy's loaders and grad modes are named by the rules, tqdm is the framework's other package
SENSITIVE_KEYWORDS = frozenset({"weights_only", "allow_pickle", "mode"})  # the keywords check_callable reads
KIT = Path(__file__).resolve().parents[2]
ALLOWED_DUNDER_NAMES = frozenset(
    {"__name__", "__file__", "__doc__", "__all__", "__class__", "__qualname__", "__module__", "__version__"}
)
ALLOWED_DUNDER_ATTRIBUTES = frozenset(
    {
        "__init__",
        "__class__",
        "__name__",
        "__qualname__",
        "__doc__",
        "__module__",
        "__len__",
        "__getitem__",
        "__setitem__",
        "__delitem__",
        "__iter__",
        "__next__",
        "__contains__",
        "__call__",
        "__repr__",
        "__str__",
        "__enter__",
        "__exit__",
        "__eq__",
        "__ne__",
        "__lt__",
        "__le__",
        "__gt__",
        "__ge__",
        "__hash__",
        "__bool__",
        "__add__",
        "__sub__",
        "__mul__",
        "__matmul__",
        "__truediv__",
        "__neg__",
        "__post_init__",
    }
)
FRAME_ATTRIBUTES = frozenset(
    {
        "f_back",
        "f_globals",
        "f_locals",
        "f_builtins",
        "f_code",
        "f_trace",
        "tb_frame",
        "tb_next",
        "gi_frame",
        "gi_code",
        "cr_frame",
        "cr_code",
        "ag_frame",
        "ag_code",
        "co_code",
        "co_consts",
        "get_type_hints",
        "ForwardRef",
    }
)
AUTOGRAD_ATTRIBUTES = frozenset(
    {
        "requires_grad",
        "requires_grad_",
        "retain_grad",
        "retains_grad",
        "grad_fn",
        "register_hook",
        "enable_grad",
        "vmap",
    }
)
# Attributes of a tensor that only autograd fills; as names they stay free (``for parameter, grad in ...``).
GRADIENT_ATTRIBUTES = frozenset({"grad", "is_leaf", "register_post_accumulate_grad_hook", "_grad", "_grad_fn"})
BACKWARD_KEYWORDS = frozenset({"gradient", "retain_graph", "create_graph", "inputs"})  # torch.Tensor.backward's
LOADERS = frozenset({"__import__", "import_module", "find_spec", "find_loader", "load_module"})  # take a module name
# The kit's own modules, as graded code could name them: the worker's package (the sandbox's
# /grader/worker) and every top-level file or folder of the kit.
KIT_MODULES = frozenset(
    {
        "worker",
        *(
            entry.stem
            for entry in KIT.iterdir()
            if (entry.suffix == ".py" and entry.is_file()) or (entry.is_dir() and entry.name.isidentifier())
        ),
    }
)
# Caps on embedded data, in UTF-8 bytes of literal values (a number counts the characters of its
# repr), docstrings and bare string statements left out (the copy empties them). Measured by
# `pytest tests/test_scan.py -k margin -s` over reference/, exercises/ and every equivalent of
# tests/equivalents: the longest literal has 250 bytes (a message of framework/training.py), the most a
# file holds is 1,145 (pairs/mnist.py, a scaffold students do not edit; the files they write hold at
# most 683, pairs/models.py), the most a project holds is 4,910 (exercises' framework/, its stub
# messages included; the reference's 4,370 and 4,475). A 196x10 linear digit classifier at 8 bits
# needs 1,960 bytes: it no longer fits in one file, and the whole project has room for little more.
MAX_LITERAL_BYTES = 512
MAX_FILE_DATA_BYTES = 1536
MAX_PROJECT_DATA_BYTES = 6144
DATA_FIX = (
    f"graded code holds at most {MAX_LITERAL_BYTES} bytes per literal, {MAX_FILE_DATA_BYTES:,} per file and "
    f"{MAX_PROJECT_DATA_BYTES:,} per project, no room for trained weights or data: compute the values in code "
    "or shorten the text"
)
AUTOGRAD_HINT = "the framework computes its gradients itself, without autograd"
FRAMEWORK_MODULES = frozenset(
    {
        "torch",
        "torch.linalg",
        "torch.special",
        "torch.fft",
        "torch.random",
        "torch.types",
        "math",
        "__future__",
        "typing",
        "dataclasses",
        "collections",
        "collections.abc",
        "functools",
        "itertools",
        "time",
        "warnings",
        "enum",
        "abc",
        "numbers",
        "statistics",
        "os",
        "os.path",
        "posixpath",
        "pathlib",
        "tqdm",
        "tqdm.auto",
        "tqdm.std",
        "tqdm.autonotebook",
        "copy",
        "random",
        "json",
    }
)
DENIED_MODULES = frozenset(
    {
        "sys",
        "inspect",
        "importlib",
        "gc",
        "builtins",
        "ctypes",
        "traceback",
        "pickle",
        "marshal",
        "dill",
        "cloudpickle",
        "subprocess",
        "multiprocessing",
        "code",
        "codeop",
        "runpy",
        "pdb",
        "bdb",
        "faulthandler",
        "tracemalloc",
        "site",
        "_thread",
        "threading",
        "signal",
        "operator",
        "string",
        "shelve",
        "copyreg",
        "antigravity",
        "pydoc",
        "imp",
        "posix",
        "nt",
        "zipimport",
        "pkgutil",
        "this",
        "torch.hub",
        "torch.package",
        "torch.utils.cpp_extension",
        "torch.multiprocessing",
        "torch.serialization",
        "torch.library",
        "torch.ops",
    }
)
MODULE_NAMES = {"os": frozenset({"PathLike", "fspath", "path", "environ", "getenv", "sep", "linesep", "curdir"})}
FRAMEWORK_HINT = (
    "the framework may import only its own modules (from .module import ...), torch without torch.nn, "
    "torch.autograd, torch.optim or torch.func, math, and a few harmless standard modules"
)


@dataclass(frozen=True)
class Finding:
    """One use the grading does not allow: file (relative to the submission), line, and what and why."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Policy:
    """The rules of one project: an allowlist of modules (framework) or a denylist (pairs)."""

    project: str
    allowed: frozenset[str] | None
    denied: frozenset[str]
    autograd: bool  # whether autograd is forbidden (project 2)


FRAMEWORK = Policy("framework", FRAMEWORK_MODULES, frozenset(), autograd=True)
PAIRS = Policy("pairs", None, DENIED_MODULES, autograd=False)
POLICIES = {"framework": FRAMEWORK, "pairs": PAIRS}


@dataclass
class FileScan:
    """What the scan learnt of one file: its findings, a syntax error, and the project files it imports."""

    findings: list[Finding] = field(default_factory=list)
    syntax_error: str | None = None
    imports: set[str] = field(default_factory=set)  # module paths: "linear", "sub/helpers"
    package_names: set[str] = field(default_factory=set)  # "from . import X": a module, or a name of __init__.py
    data: list[tuple[int, int]] = field(default_factory=list)  # (line, bytes) of each literal, docstrings aside
    data_findings: list[Finding] = field(default_factory=list)  # findings that cost the whole project

    @property
    def data_bytes(self) -> int:
        """The bytes of all the file's literals."""
        return sum(size for _, size in self.data)


def module_allowed(name: str, policy: Policy) -> bool:
    """Whether ``policy`` lets graded code import or reach the module ``name``."""
    if any(part.startswith("_") and part != "__future__" for part in name.split(".")):
        return False
    if policy.allowed is not None:
        return name in policy.allowed
    return not any(name == denied or name.startswith(denied + ".") for denied in policy.denied)


def loader_of(module: str, name: str) -> Any:
    """``module.name`` if the module is installed here (numpy's loader, say), else None."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def installed(name: str) -> bool:
    """Whether the top-level module ``name`` is part of the Python installation (the standard
    library or site-packages, a virtual environment inside the kit included), never a file of
    the working folder, the kit or a submission."""
    return installed_top_level(name.partition(".")[0], KIT)


def eager(name: str) -> bool:
    """Whether an import of module ``name`` is resolved at once (else ``Deferred``)."""
    top = name.partition(".")[0]
    return top in sys.stdlib_module_names or top in EAGER_PACKAGES


@functools.cache
def installed_top_level(top: str, kit: Path) -> bool:
    """``installed`` for a top-level module, once per name (a scan asks at every import)."""
    if top in NEVER_IMPORTED:
        return False
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return False
    if spec and spec.origin in ("built-in", "frozen"):
        return True
    locations = [spec.origin] if spec and spec.origin is not None else []
    locations += list(spec.submodule_search_locations or []) if spec else []
    roots = [Path(path).resolve() for path in {*sysconfig.get_paths().values(), *site.getsitepackages()}]
    environment = Path(sys.prefix).resolve()
    return bool(locations) and all(
        any(path.is_relative_to(root) for root in roots)
        and (not path.is_relative_to(kit) or path.is_relative_to(environment))
        for path in (Path(location).resolve() for location in locations)
    )


def annotations_of(node: ast.AST) -> list[ast.expr]:
    """The type annotations that ``node`` holds itself: a function's return and arguments', an annotated
    assignment's."""
    if isinstance(node, ast.AnnAssign):
        return [node.annotation]
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return []
    arguments = node.args
    every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
    return [annotation for annotation in [node.returns, *(a.annotation for a in every if a)] if annotation]


class Deferred(NamedTuple):
    """What an import binds from a package that is not ``eager``, until a rule needs it: the module,
    the name imported from it (None: the module itself), and the import (where a name that turns
    out to be a module is judged)."""

    module: str
    name: str | None
    node: ast.AST


def deferred(module: str, name: str | None) -> bool:
    """Whether an import of ``module`` (or of its ``name``) waits until a rule needs the object: a
    package that is not ``eager``, the module itself or a capitalised name (a class, by convention);
    a lowercase name, which may be a module, is judged at the import as before."""
    return not eager(module) and (name is None or name[:1].isupper())


# What an annotation that only names types is made of (``Figure``, ``list[Figure] | None``, each name Load).
PLAIN_TYPE_NODES = (
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Constant,
    ast.Tuple,
    ast.List,
    ast.BinOp,
    ast.BitOr,
    ast.Load,
)


def plain_type(annotation: ast.expr) -> bool:
    """Whether an annotation only names types (``Figure``, ``list[Figure] | None``): nothing in it runs."""
    return all(isinstance(node, PLAIN_TYPE_NODES) for node in ast.walk(annotation))


def resolve_module(name: str, policy: Policy) -> Any:
    """The module ``name`` as the judge's Python has it, or None when it cannot be known safely.

    The judge imports only modules of the Python installation (never one that a
    submission's folder could provide) and only modules the policy allows. Whether a module
    resolves never depends on what the judge happens to have imported (a class report's
    matplotlib, say): the same file gets the same findings in every grading.
    """
    if not module_allowed(name, policy) or not installed(name):
        return None
    if name in sys.modules:
        return sys.modules[name]
    try:
        return importlib.import_module(name)
    except Exception:
        return None


class Scanner(ast.NodeVisitor):
    """Collect the findings of one file's syntax tree."""

    def __init__(self, policy: Policy, path: str, package: list[str]) -> None:
        self.policy, self.path, self.package = policy, path, package
        self.result = FileScan()
        self.bindings: dict[str, Any] = {}  # name bound by an import -> the object it names (None: unknown)
        self.parents: dict[ast.AST, ast.AST] = {}
        self.origins: dict[str, str] = {}  # name bound by an import -> the module it comes from, as written
        self.torch_names: set[str] = set()  # names the file binds to a torch object (m = torch.inference_mode())
        self.annotations: set[ast.AST] = set()  # the nodes of type annotations, which name but never use

    def find(self, node: ast.AST, message: str) -> None:
        """Record a finding at ``node``'s line (once per line and message)."""
        finding = Finding(self.path, getattr(node, "lineno", 0), message)
        if finding not in self.result.findings:
            self.result.findings.append(finding)

    def scan(self, tree: ast.Module) -> FileScan:
        """Scan a whole module."""
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
        for node in ast.walk(tree):  # bindings first: a name may be used above its import in a function
            if isinstance(node, ast.Import | ast.ImportFrom):
                self.bind(node)
            for annotation in filter(plain_type, annotations_of(node)):
                self.annotations.update(ast.walk(annotation))
        if self.policy.autograd:
            self.torch_names = self.names_from_torch(tree)
        self.visit(tree)
        return self.result

    def from_torch(self, expression: ast.AST | None) -> bool:
        """Whether ``expression`` (``torch.x``, ``torch.f(...)[0].y``, ``m.y`` with ``m`` from torch)
        starts at torch: a torch module, an object of torch's, or a name bound to one."""
        while isinstance(expression, ast.Attribute | ast.Call | ast.Subscript):
            expression = expression.func if isinstance(expression, ast.Call) else expression.value
        if not isinstance(expression, ast.Name):
            return False
        origin = self.origins.get(expression.id, "")
        return expression.id in self.torch_names or origin.partition(".")[0] == "torch"

    def names_from_torch(self, tree: ast.Module) -> set[str]:
        """The names the file binds (anywhere, by assignment or ``with ... as``) to a value from torch."""
        sources: list[tuple[ast.AST, ast.AST]] = []  # (target, value)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                sources += [pair for target in node.targets for pair in assigned(target, node.value)]
            elif isinstance(node, ast.AnnAssign | ast.NamedExpr) and node.value is not None:
                sources.append((node.target, node.value))
            elif isinstance(node, ast.withitem) and node.optional_vars is not None:
                sources.append((node.optional_vars, node.context_expr))
        names: set[str] = set()
        while True:
            self.torch_names = names
            found = {name for target, value in sources if self.from_torch(value) for name in bound_names(target)}
            if found <= names:
                return names
            names = names | found

    # Imports ---------------------------------------------------------------------------------

    def bind(self, node: ast.Import | ast.ImportFrom) -> None:
        """Remember what each imported name refers to."""
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name if alias.asname else alias.name.partition(".")[0]
                self.bindings[alias.asname or top] = self.imported(node, top if not alias.asname else alias.name, None)
                self.origins[alias.asname or top] = alias.name
        elif node.level == 0 and node.module:
            for alias in node.names:
                self.bindings[alias.asname or alias.name] = self.imported(node, node.module, alias.name)
                self.origins[alias.asname or alias.name] = node.module

    def imported(self, node: ast.AST, module: str, name: str | None) -> Any:
        """The object an import binds (module ``module``, or its attribute ``name``): resolved now,
        or ``Deferred``."""
        if deferred(module, name):
            return Deferred(module, name, node)
        resolved = resolve_module(module, self.policy)
        return resolved if name is None or resolved is None else getattr(resolved, name, None)

    def resolved(self, name: str) -> Any:
        """The object bound to ``name`` by an import (None: unknown), a ``Deferred`` one resolved now: a
        name imported from a package that turns out to be a module is judged at its import."""
        value = self.bindings.get(name)
        if isinstance(value, Deferred):
            module = resolve_module(value.module, self.policy)
            found = module if value.name is None or module is None else getattr(module, value.name, None)
            if value.name is not None and isinstance(found, types.ModuleType):
                self.check_module(value.node, found.__name__, f"{value.module}.{value.name}")
            self.bindings[name] = value = found
        return value

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not self.of_the_kit(node, alias.name):
                self.check_module(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if any(alias.name == "*" for alias in node.names):
            self.find(node, "a star import (import every name explicitly)")
        if node.level:
            self.relative_import(node)
            return
        if self.of_the_kit(node, node.module or ""):
            return
        self.check_module(node, node.module or "")
        module = None
        for alias in node.names:
            self.check_name(node, alias.name)
            if deferred(node.module or "", alias.name):
                continue  # a class of another package: judged where a rule needs it (``resolved``)
            module = module or resolve_module(node.module or "", self.policy)
            value = getattr(module, alias.name, None) if module else None
            if isinstance(value, types.ModuleType):
                self.check_module(node, value.__name__, f"{node.module}.{alias.name}")
            elif module is not None:
                self.check_member(node, module, alias.name, uses=False)

    def of_the_kit(self, node: ast.AST, name: str) -> bool:
        """A finding, and True, if the module ``name`` is the kit's own."""
        if name.partition(".")[0] not in KIT_MODULES:
            return False
        self.find(
            node,
            f"{name}: a module of the grading kit; graded code must be the student's own, "
            "and the kit's modules cannot be imported from it: write this code yourself",
        )
        return True

    def check_module(self, node: ast.AST, name: str, shown: str | None = None) -> None:
        """A finding if the module may not be used."""
        if module_allowed(name, self.policy):
            return
        if self.policy.allowed is not None:
            self.find(node, f"{shown or name}: {FRAMEWORK_HINT}")
        else:
            self.find(node, f"{shown or name}: graded code may not use reflective modules such as {name.split('.')[0]}")

    def relative_import(self, node: ast.ImportFrom) -> None:
        """Record the project file a relative import reads; refuse one that leaves the project."""
        if node.level > 1 + len(self.package):
            written = f"from {'.' * node.level}{node.module or ''} import ..."
            self.find(node, f"a relative import that leaves {self.policy.project}/ ({written})")
            return
        if self.type_checking_only(node):
            return  # never runs: only type checkers read it
        base = self.package[: len(self.package) - (node.level - 1)]
        if node.module:
            self.result.imports.add("/".join([*base, *node.module.split(".")]))
        else:
            self.result.package_names.update("/".join([*base, alias.name]) for alias in node.names)

    def type_checking_only(self, node: ast.AST) -> bool:
        """Whether ``node`` lies in the body of an ``if TYPE_CHECKING:`` block."""
        child, parent = node, self.parents.get(node)
        while parent is not None:
            test = getattr(parent, "test", None)
            if isinstance(parent, ast.If) and child in parent.body and ast.unparse(test) in TYPE_CHECKING_TESTS:
                return True
            child, parent = parent, self.parents.get(parent)
        return False

    # Names and attributes --------------------------------------------------------------------

    def check_name(self, node: ast.AST, name: str) -> None:
        """A finding for a reflective or forbidden name."""
        if name in REFLECTION_NAMES or (
            name.startswith("__") and name.endswith("__") and name not in ALLOWED_DUNDER_NAMES
        ):
            self.find(node, f"{name}: graded code may not use reflection")
        elif self.policy.autograd and name in AUTOGRAD_ATTRIBUTES:
            self.find(node, f"{name}: the framework computes its gradients itself, without autograd")

    def check_attribute(self, node: ast.AST, name: str) -> None:
        """A finding for an attribute name that no graded code may read or write."""
        dunder = name.startswith("__") and name.endswith("__")
        if (dunder and name not in ALLOWED_DUNDER_ATTRIBUTES) or name in FRAME_ATTRIBUTES:
            self.find(node, f".{name}: graded code may not use reflection")
        elif self.policy.autograd and name in AUTOGRAD_ATTRIBUTES | GRADIENT_ATTRIBUTES:
            self.find(node, f".{name}: {AUTOGRAD_HINT}")

    def check_member(self, node: ast.AST, owner: Any, name: str, uses: bool = True) -> Any:
        """Resolve ``owner.name`` for a known module or class; a finding if it is not allowed.

        With ``uses``, ``node`` is where the value is used, and the framework's rules on
        grad-mode functions apply to it (an import is checked where its names are used).
        """
        if isinstance(owner, types.ModuleType):
            label = f"{owner.__name__}.{name}"
            if name.startswith("_"):
                self.find(node, f"{label}: a private name")
                return None
            allowed = MODULE_NAMES.get(owner.__name__)
            if allowed is not None and name not in allowed:
                self.find(node, f"{label}: {owner.__name__} offers graded code only {', '.join(sorted(allowed))}")
                return None
        elif isinstance(owner, type) and name.startswith("_") and not name.startswith("__"):
            self.find(node, f"{owner.__name__}.{name}: a private name")
            return None
        try:
            value = getattr(owner, name)
        except Exception:
            return None
        if isinstance(value, types.ModuleType) and not module_allowed(value.__name__, self.policy):
            self.check_module(node, value.__name__, f"{getattr(owner, '__name__', '?')}.{name}")
            return None
        if uses:
            self.check_callable(node, value)
        return value

    def check_callable(self, node: ast.AST, value: Any) -> None:
        """The rules on loaders that could run a file's code (both projects) and, for the framework,
        on torch's grad-mode functions: each judged at the call that uses it."""
        import torch

        call = self.parents.get(node)
        called = isinstance(call, ast.Call) and call.func is node
        arguments = call.args if called else None
        keywords = {keyword.arg: keyword.value for keyword in call.keywords} if called else {}
        special = value is torch.load or (
            self.policy.autograd and value in (torch.set_grad_enabled, torch.inference_mode)
        )
        unpacked = called and (None in keywords or any(isinstance(argument, ast.Starred) for argument in arguments))
        if special and unpacked:
            self.find(
                node, f"{getattr(value, '__name__', 'this call')}: write its arguments out (no * or ** unpacking)"
            )
            return

        def literal(expression: ast.AST | None) -> Any:
            return expression.value if isinstance(expression, ast.Constant) else "not a literal"

        if value is torch.load and "weights_only" in keywords and literal(keywords["weights_only"]) is not True:
            self.find(node, "torch.load: only with weights_only=True, which refuses files that run code")
        numpy_load = loader_of("numpy", "load")
        pickles = "allow_pickle" in keywords and literal(keywords["allow_pickle"]) is not False
        if numpy_load is not None and value is numpy_load and pickles:
            self.find(node, "numpy.load: never with allow_pickle, which runs code from the file")
        if not self.policy.autograd:
            return
        mode = keywords.get("mode", arguments[0] if arguments else None) if called else None
        extra = len(arguments or ()) + len(keywords) > 1 if called else True
        if value is torch.set_grad_enabled and (not called or extra or literal(mode) is not False):
            self.find(node, "torch.set_grad_enabled: allowed only as set_grad_enabled(False)")
        elif value is torch.inference_mode and (
            not called or extra or (mode is not None and literal(mode) is not True)
        ):
            self.find(node, "torch.inference_mode: allowed only as inference_mode() (autograd off)")
        elif value is getattr(torch, "vmap", None) or value is torch.enable_grad:
            self.find(node, "the framework computes its gradients itself, without autograd")

    def chain(self, node: ast.Attribute) -> tuple[str | None, list[ast.Attribute]]:
        """The root name of an attribute chain and its Attribute nodes, innermost first."""
        steps = []
        while isinstance(node, ast.Attribute):
            steps.append(node)
            node = node.value
        return (node.id if isinstance(node, ast.Name) else None), list(reversed(steps))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.check_attribute(node, node.attr)
        parent = self.parents.get(node)
        if isinstance(parent, ast.Attribute) and parent.value is node:
            self.generic_visit(node)
            return  # the outermost attribute of a chain resolves the whole chain
        root, steps = self.chain(node)
        value = self.resolved(root) if root is not None else None
        for step in steps:
            if value is None:
                break
            value = self.check_member(step, value, step.attr)
        if isinstance(value, types.ModuleType):
            self.find(node, f"{value.__name__} used as a value: use it only as {value.__name__}.name")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self.check_name(node, node.id)
        parent = self.parents.get(node)
        bound = self.bindings.get(node.id)
        chained = isinstance(parent, ast.Attribute) and parent.value is node  # visit_Attribute resolves it
        if isinstance(bound, Deferred) and not chained and node not in self.annotations:
            called = isinstance(parent, ast.Call) and parent.func is node
            if bound.name is None or not called or self.sensitive(parent):  # a module, a value passed on, or
                bound = self.resolved(node.id)  # a call whose keywords the rules read
        if isinstance(bound, types.ModuleType) and not chained:
            self.find(node, f"the module {node.id} used as a value: use it only as {node.id}.name")
        if node.id in NAME_TAKING and not (isinstance(parent, ast.Call) and parent.func is node):
            self.find(node, f"{node.id} passed as a value: call it directly with a literal attribute name")
        if bound is not None and not isinstance(bound, types.ModuleType | Deferred):
            self.check_callable(node, bound)

    @staticmethod
    def sensitive(call: ast.Call) -> bool:
        """Whether ``check_callable`` could find something in ``call``: a keyword it reads, or unpacking."""
        return any(keyword.arg is None or keyword.arg in SENSITIVE_KEYWORDS for keyword in call.keywords) or any(
            isinstance(argument, ast.Starred) for argument in call.args
        )

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in NAME_TAKING:
            name = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                self.find(node, f"{node.func.id} with a computed attribute name: write the name out")
            else:
                self.check_attribute(node, name.value)
                target = node.args[0]
                owner = self.resolved(target.id) if isinstance(target, ast.Name) else None
                if owner is not None:
                    self.check_member(node, owner, name.value)
                if node.func.id in ("setattr", "delattr"):
                    self.check_target(node, target, name.value)
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        first = node.args[0] if node.args else None
        if called in LOADERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
            self.of_the_kit(node, first.value)
        if self.policy.autograd:
            self.check_autograd_call(node, called)
        self.generic_visit(node)

    def check_autograd_call(self, node: ast.Call, called: str | None) -> None:
        """The framework's rules on a call's keywords: none of autograd's, no ``**`` into torch, no
        ``**`` mapping with computed keys, and ``.backward(`` without autograd's keywords."""
        for keyword in node.keywords:
            if keyword.arg in AUTOGRAD_ATTRIBUTES:
                self.find(node, f"{keyword.arg}=: {AUTOGRAD_HINT}")
            elif keyword.arg is None and self.from_torch(node.func):
                self.find(node, f"** passed to {ast.unparse(node.func)}: write out the keywords a torch call takes")
            elif keyword.arg is None and computed_keys(keyword.value):
                self.find(node, "a ** mapping with computed keys: write the keywords out (name=value)")
        if called == "backward":
            used = [f"{keyword.arg}=" if keyword.arg else "**" for keyword in node.keywords]
            used = [text for text in used if text.removesuffix("=") in BACKWARD_KEYWORDS | {"**"}]
            if used:
                self.find(
                    node,
                    f".backward({'..., '.join(used)}...): autograd's backward; the framework's backward takes "
                    f"the gradient of its output (the loss's takes nothing), and {AUTOGRAD_HINT}",
                )

    def check_target(self, node: ast.AST, owner: ast.AST, name: str) -> None:
        """A finding if graded code of the framework sets or deletes an attribute of a torch object."""
        if self.policy.autograd and self.from_torch(owner):
            self.find(
                node,
                f"{ast.unparse(owner)}.{name} assigned: the framework may not change torch's objects or "
                "modules (keep your own values in your own variables)",
            )

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self.check_targets(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.check_targets(node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.check_targets(node.target)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self.check_targets(target)
        self.generic_visit(node)

    def check_targets(self, target: ast.AST) -> None:
        """``check_target`` for every attribute that an assignment or ``del`` writes."""
        for part in ast.walk(target):
            if isinstance(part, ast.Attribute) and isinstance(part.ctx, ast.Store | ast.Del):
                self.check_target(part, part.value, part.attr)

    def visit_Constant(self, node: ast.Constant) -> None:
        if self.policy.autograd and node.value in AUTOGRAD_ATTRIBUTES:
            self.find(node, f"'{node.value}': the framework computes its gradients itself, without autograd")

    def visit_MatchClass(self, node: ast.MatchClass) -> None:
        for name in node.kwd_attrs:
            self.check_attribute(node, name)
        self.generic_visit(node)


def assigned(target: ast.AST, value: ast.AST) -> list[tuple[ast.AST, ast.AST]]:
    """(target, value) pairs of an assignment, element by element where both sides are displays of one length."""
    displays = isinstance(target, ast.Tuple | ast.List) and isinstance(value, ast.Tuple | ast.List)
    if displays and len(target.elts) == len(value.elts) and not any(isinstance(e, ast.Starred) for e in target.elts):
        return [pair for part, item in zip(target.elts, value.elts, strict=True) for pair in assigned(part, item)]
    return [(target, value)]


def bound_names(target: ast.AST) -> list[str]:
    """The names an assignment target binds: ``x``, ``x, (y, *z)``; none for ``x.a`` or ``x[0]``."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return bound_names(target.value)
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in bound_names(element)]
    return []


def computed_keys(mapping: ast.AST) -> bool:
    """Whether a ``**`` mapping is built with keys that are not plain string literals (a dict
    display or comprehension with computed keys, ``dict(pairs)``): it hides the keywords it passes."""
    if isinstance(mapping, ast.Dict):
        return not all(isinstance(key, ast.Constant) and isinstance(key.value, str) for key in mapping.keys)
    if isinstance(mapping, ast.Call) and isinstance(mapping.func, ast.Name) and mapping.func.id == "dict":
        return bool(mapping.args) or any(keyword.arg is None for keyword in mapping.keywords)
    return isinstance(mapping, ast.DictComp)


def literal_bytes(value: object) -> int:
    """What a literal holds: the UTF-8 bytes of a string, the length of bytes, the characters of a number."""
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, bytes):
        return len(value)
    return len(repr(value))


def embedded_data(tree: ast.Module) -> list[tuple[int, int]]:
    """(line, bytes) of every literal of a module but its bare string statements (docstrings),
    which the judge's copy empties; a string split in pieces (f-strings, implicit joins) counts whole."""
    nodes = list(ast.walk(tree))
    bare = {
        id(node.value)
        for node in nodes
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str | bytes)
    }
    pieces = {
        id(part) for node in nodes if isinstance(node, ast.JoinedStr) for part in ast.walk(node) if part is not node
    }
    data = []
    for node in nodes:
        if id(node) in bare | pieces:
            continue
        if isinstance(node, ast.Constant):
            data.append((node.lineno, literal_bytes(node.value)))
        elif isinstance(node, ast.JoinedStr):
            texts = [part.value for part in ast.walk(node) if isinstance(part, ast.Constant)]
            data.append((node.lineno, sum(map(literal_bytes, texts))))
    return data


def heaviest_line(data: list[tuple[int, int]]) -> int:
    """The line whose literals hold the most bytes."""
    lines: dict[int, int] = {}
    for line, size in data:
        lines[line] = lines.get(line, 0) + size
    return max(lines, key=lambda line: lines[line])


def data_findings(path: str, data: list[tuple[int, int]]) -> list[Finding]:
    """The findings on a file's embedded data: each literal over its cap, and the file's total."""
    findings = [
        Finding(path, line, f"a literal of {size:,} bytes: {DATA_FIX}")
        for line, size in data
        if size > MAX_LITERAL_BYTES
    ]
    total = sum(size for _, size in data)
    if total > MAX_FILE_DATA_BYTES:
        line = heaviest_line(data)
        findings.append(Finding(path, line, f"the file's literals hold {total:,} bytes (the largest here): {DATA_FIX}"))
    return findings


def scan_source(source: str | bytes, path: str, policy: Policy) -> FileScan:
    """Scan one file's source; ``path`` is relative to the submission (``framework/linear.py``).

    Bytes are read as Python reads them, by their coding cookie; a graded file must be UTF-8.
    """
    package = list(Path(path).parts[1:-1])  # the subpackages inside the project that hold the file
    if isinstance(source, bytes):
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(source).readline)
        except SyntaxError as error:
            return FileScan(syntax_error=str(error))
        if encoding not in ("utf-8", "utf-8-sig"):
            return FileScan([Finding(path, 1, f"declares the encoding {encoding}: write graded files in UTF-8")])
    try:
        with PARSING:
            tree = ast.parse(source, path)
    except SyntaxError as error:
        return FileScan(syntax_error=f"line {error.lineno}: {error.msg}")
    except ValueError as error:  # null bytes
        return FileScan(syntax_error=str(error))
    result = Scanner(policy, path, package).scan(tree)
    result.data = embedded_data(tree)
    result.data_findings = data_findings(path, result.data)
    result.findings += result.data_findings
    return result


@dataclass
class ProjectScan:
    """The scan of one project folder of the copy: each file's scan, by path inside the project."""

    project: str
    files: dict[str, FileScan]

    def module_path(self, name: str) -> str | None:
        """The file a module name inside the project stands for (``linear`` -> ``linear.py``)."""
        for candidate in (f"{name}/__init__.py", f"{name}.py"):  # Python prefers the package
            if candidate in self.files:
                return candidate
        return None

    def closure(self, files: tuple[str, ...]) -> list[str]:
        """``files`` and every project file they import, directly or not (existing files only).

        ``from . import X`` stands for the module ``X`` when there is one, else for a name
        of the package's ``__init__.py``.
        """
        seen: list[str] = []
        pending = [self.module_path(file.removesuffix(".py")) or file for file in files]
        while pending:
            path = pending.pop()
            if path in seen or path not in self.files:
                continue
            seen.append(path)
            scanned = self.files[path]
            for name in scanned.imports:
                target = self.module_path(name)
                if target:
                    pending.append(target)
                    pending.extend(init for init in self.parent_inits(name) if init in self.files)
            for name in scanned.package_names:
                target = self.module_path(name)
                package, _, _ = name.rpartition("/")
                pending.append(target or (f"{package}/__init__.py" if package else "__init__.py"))
        return seen

    @staticmethod
    def parent_inits(name: str) -> list[str]:
        """The ``__init__.py`` of every subpackage on the way to module ``name`` (Python runs them)."""
        parts = name.split("/")[:-1]
        return [f"{'/'.join(parts[: depth + 1])}/__init__.py" for depth in range(len(parts))]


def scan_project(folder: Path, project: str) -> ProjectScan:
    """Scan every ``.py`` file under a project folder of the copy.

    Any file can read the source of another, so the findings on embedded data are every file's:
    the project's total, and each file's own.
    """
    policy = POLICIES[project]
    files = {}
    for path in sorted(path for path in folder.rglob("*.py") if path.is_file()):
        relative = path.relative_to(folder).as_posix()
        files[relative] = scan_source(path.read_bytes(), f"{project}/{relative}", policy)
    shared = [finding for scanned in files.values() for finding in scanned.data_findings]
    total = sum(scanned.data_bytes for scanned in files.values())
    if total > MAX_PROJECT_DATA_BYTES:
        largest = max(files, key=lambda file: files[file].data_bytes)
        line = heaviest_line(files[largest].data)
        message = f"the literals of {project}/ hold {total:,} bytes, this file the most: {DATA_FIX}"
        shared.append(Finding(f"{project}/{largest}", line, message))
    for scanned in files.values():
        scanned.findings += [finding for finding in shared if finding not in scanned.findings]
    return ProjectScan(project, files)
