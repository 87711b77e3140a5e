"""The library's one user-facing error (importable without PyTorch: the command line catches it)."""


class AncerInputError(ValueError):
    """A user-facing error: bad argument, missing file, unsupported option."""
