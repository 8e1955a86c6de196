"""sugar_mm: SUGAR (Ye et al., AAAI 2026) as an MMAction2 plugin.

Importing the package applies the compatibility fixes of :mod:`sugar_mm.compat` first, then registers every
component into sugar_mm's registries (:mod:`sugar_mm.registry`, children of mmaction's). Configs with
``default_scope='sugar_mm'`` and ``custom_imports=dict(imports=['sugar_mm'])`` mix sugar_mm's components with
mmaction's and MMEngine's; under ``default_scope='mmaction'``, sugar_mm's are ``type='sugar_mm.<Name>'``.
"""
from . import compat  # noqa: F401  (must stay first)
from .version import __version__

from . import registry  # noqa: F401,E402
from . import datasets  # noqa: F401,E402
from . import evaluation  # noqa: F401,E402
from . import models  # noqa: F401,E402
from . import engine  # noqa: F401,E402
from . import knowledge  # noqa: F401,E402

__all__ = ['__version__']
