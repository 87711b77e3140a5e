"""The library's user-facing errors (importable without PyTorch: the command line catches them)."""


class AncerInputError(ValueError):
    """A user-facing error: bad argument, missing file, unsupported option."""


class NonFiniteOutputError(AncerInputError):
    """The network answered NaN or infinite logits: broken weights, or a reduced precision that overflowed."""
