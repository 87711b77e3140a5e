"""torch.fx tracing that leaves other threads alone.

To build the int8 network, ``prepare_fx`` traces the model with ``torch.fx``. While it traces, the tracer
replaces ``nn.Module.__call__`` and ``nn.Module.__getattr__`` *for the whole process*: a model called at that
moment by another thread (the app's server runs one thread per page) goes through the tracer's bookkeeping
and fails with ``NameError: module is not installed as a submodule``. :func:`install` makes the tracer
trace only the thread that started it; in every other thread a module call runs as usual and an attribute
is itself, never a proxy. The tracer's own thread traces exactly as before.
"""

from __future__ import annotations

import threading

_LOCK = threading.Lock()


def install() -> None:
    """Make ``torch.fx.Tracer`` thread-aware (once per process; the patched methods keep their signatures)."""
    from torch.fx import Tracer

    with _LOCK:
        if getattr(Tracer, "_ancer_thread_aware", False):
            return
        trace, call_module, getattr_ = Tracer.trace, Tracer.call_module, Tracer.getattr

        def traced_by_me(tracer) -> bool:
            return getattr(tracer, "_ancer_thread", threading.get_ident()) == threading.get_ident()

        def thread_trace(self, *args, **kwargs):
            self._ancer_thread = threading.get_ident()
            return trace(self, *args, **kwargs)

        def thread_call_module(self, m, forward, args, kwargs):
            if not traced_by_me(self):
                return forward(*args, **kwargs)  # another thread's model: the original __call__
            return call_module(self, m, forward, args, kwargs)

        def thread_getattr(self, attr, attr_val, parameter_proxy_cache):
            if not traced_by_me(self):
                return attr_val
            return getattr_(self, attr, attr_val, parameter_proxy_cache)

        Tracer.trace, Tracer.call_module, Tracer.getattr = thread_trace, thread_call_module, thread_getattr
        Tracer._ancer_thread_aware = True
