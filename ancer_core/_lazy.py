"""Package namespaces that import their modules on first use (PEP 562), so that ``import ancer_core``
and the command line's ``--help`` do not load PyTorch, SciPy or statsmodels before they are needed."""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``exports`` maps each public name to the module
    (relative to the package, e.g. ``".noise"``) that defines it; a name that maps to itself with a dot
    (``"data": ".data"``) is a subpackage."""

    def __getattr__(name: str) -> object:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(exports[name], package)
        value = module if exports[name] == f".{name}" else getattr(module, name)
        globals_of(package)[name] = value  # later look-ups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(globals_of(package)) | set(exports))

    return __getattr__, __dir__


def globals_of(package: str) -> dict:
    return vars(importlib.import_module(package))
