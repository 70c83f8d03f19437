"""Source inspection: find uses of autograd and of PyTorch's ready-made layers and optimisers."""

from __future__ import annotations

import ast

FORBIDDEN_MODULES = ("torch.nn", "torch.autograd", "torch.optim", "torch.func")
FORBIDDEN_ATTRIBUTES = (
    "requires_grad", "requires_grad_", "retain_grad", "grad_fn", "enable_grad", "set_grad_enabled", "inference_mode",
)  # fmt: skip


def forbidden_uses(source: str, filename: str) -> list[str]:
    """Return 'file:line: what' for every use of torch.nn, autograd, torch.optim or torch.func."""
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as error:
        return [f"{filename}:{error.lineno}: syntax error ({error.msg})"]
    findings: dict[int, str] = {}  # one finding per line: the outermost name on it
    for node in ast.walk(tree):
        used = None
        if isinstance(node, ast.Import):
            used = next((alias.name for alias in node.names if is_forbidden(alias.name)), None)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
            used = next((name for name in [node.module, *names] if is_forbidden(name)), None)
        elif isinstance(node, ast.Attribute):
            dotted = dotted_name(node)
            if dotted and is_forbidden(dotted):
                used = dotted
            elif node.attr in FORBIDDEN_ATTRIBUTES:
                used = node.attr
        elif isinstance(node, ast.keyword) and node.arg in FORBIDDEN_ATTRIBUTES:
            used = f"{node.arg}="
        if used:
            findings.setdefault(node.lineno, used)
    return [f"{filename}:{line}: {used}" for line, used in sorted(findings.items())]


def is_forbidden(name: str) -> bool:
    """Whether a dotted name is, or lies inside, a forbidden module."""
    return any(name == module or name.startswith(module + ".") for module in FORBIDDEN_MODULES)


def dotted_name(node: ast.AST) -> str | None:
    """Return 'a.b.c' for an attribute chain on a plain name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])
