"""Keep ``import analysis`` light.

freud imports :mod:`matplotlib.pyplot` at import time (``freud.box`` imports ``freud.plot`` for
its optional plotting helpers) whenever matplotlib is installed; that is a large part of the
start-up time of ``python -m analysis``, which never plots through freud; ``freud.diffraction``
imports matplotlib and scipy.ndimage as well, ``freud.msd`` imports scipy.fftpack (and with it
scipy.fft and scipy.special) and ``freud.data`` the CIF parser parsnip: together about half of
the import time of freud. Before freud is first imported,
:func:`defer_freud_plotting` registers stand-ins for these modules that import the real ones on
first use, so freud's plotting methods and diffraction classes keep working.
"""

from __future__ import annotations

import importlib
import sys
import types


class _DeferredModule(types.ModuleType):
    """Module stand-in that imports the real module on first attribute access."""

    def __getattr__(self, name: str):
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        real = importlib.import_module(self.__name__)
        parent, _, child = self.__name__.rpartition(".")
        setattr(sys.modules[parent], child, real)
        return getattr(real, name)


#: freud modules that import matplotlib, scipy.ndimage, scipy.fftpack or parsnip at import time
#: and that the analysis does not use.
DEFERRED = ("freud.plot", "freud.diffraction", "freud.msd", "freud.data")


def defer_freud_plotting() -> None:
    """Defer the import of :data:`DEFERRED` (and of matplotlib) until they are used."""
    if "freud" in sys.modules:
        return
    stubs = {}
    for name in DEFERRED:
        if name not in sys.modules:
            stubs[name] = sys.modules[name] = _DeferredModule(name)
    import freud

    for name, stub in stubs.items():
        child = name.rpartition(".")[2]
        if not isinstance(getattr(freud, child, None), types.ModuleType):
            setattr(freud, child, stub)
