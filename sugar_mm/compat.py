"""Compatibility fixes for the released OpenMMLab stack, in one place.

``sugar_mm/__init__.py`` imports this module first, before anything imports ``mmaction.models``. Each fix names
the upstream bug, *detects* it (never assumes it from a version number) and is a no-op where the bug is absent.
:func:`applied_fixes` reports which fixes are active; ``tests/test_compat.py`` demonstrates each one.

1. ``mmaction2==1.2.0``'s wheel lacks ``mmaction/models/localizers/drn`` while
   ``mmaction/models/localizers/__init__.py`` imports ``.drn.drn.DRN``, so ``import mmaction.models`` raises
   ``ModuleNotFoundError``. Fix: register a placeholder module whose ``DRN`` raises a clear ``ImportError`` when
   built (the same pattern mmaction uses for its optional multimodal models).
2. With ``transformers`` installed, mmaction sets ``WITH_MULTIMODAL`` and imports its VindLU package, which needs
   symbols that transformers 5 removed (``apply_chunking_to_forward``, ``find_pruneable_heads_and_indices``, ...).
   Fix: when those imports would fail, switch mmaction to its own no-multimodal branch (placeholders that
   explain what is missing).
3. mmengine's ``load_from_local`` calls ``torch.load`` without ``weights_only``; since torch 2.6 that means
   ``weights_only=True``, which rejects mmengine's own checkpoints (``HistoryBuffer``, numpy arrays in the message
   hub), so ``--resume`` and ``load_from`` fail. Fix, without turning every load into an arbitrary-code pickle:

   * a checkpoint inside a *trusted* directory is fully unpickled. The run's own ``work_dir`` is trusted while a
     :class:`mmengine.runner.Runner` loads a checkpoint (resume and ``load_from`` both go through
     ``Runner.load_checkpoint``); more directories can be added with :func:`trust_checkpoint_dir`, or all
     checkpoints with ``SUGAR_MM_TRUST_CHECKPOINTS=1`` (the tools' ``--trust-checkpoint``);
   * anything else is loaded ``weights_only=True`` with a narrow allow-list (:data:`SAFE_CHECKPOINT_GLOBALS`:
     mmengine's ``HistoryBuffer`` and numpy array/scalar reconstruction);
   * when a foreign checkpoint needs more, :class:`UntrustedCheckpointError` says what to do.
4. mmengine's ``init_dist`` (pytorch launcher) calls ``torch.cuda.set_device`` even on CPU-only torch. Fix: with
   no CUDA device, initialise the process group with ``gloo`` and skip ``set_device``; configs keep
   ``backend='nccl'`` for GPU users.
5. ``Runner.wrap_model`` passes ``device_ids=[LOCAL_RANK]``, which ``DistributedDataParallel`` rejects for CPU
   modules, and ``broadcast_buffers``, which torch 2.13 deprecates. Fix: ``MMDistributedDataParallel`` drops
   ``device_ids`` for CPU modules and passes ``broadcast_buffers`` on as ``forward_sync_buffers`` when torch
   knows that argument. (Unlike ``broadcast_buffers=False``, ``forward_sync_buffers=False`` still syncs buffers
   once at construction, which only makes the ranks' initial buffers identical.)
6. Known warning noise is silenced precisely (by message and module, never a blanket filter): mmcv-lite's
   "Fail to import MultiScaleDeformableAttention" warning, setuptools' ``pkg_resources`` deprecation warning
   raised by mmengine, torch's ``torch.jit`` deprecation warnings triggered by mmengine/mmaction imports, and
   transformers' deprecation of ``is_gradient_checkpointing``, which peft 0.21 still reads.
"""
from __future__ import annotations

import ast
import contextlib
import functools
import importlib
import importlib.util
import inspect
import os
import os.path as osp
import sys
import threading
import types
import warnings
from typing import Iterator, List

__all__ = [
    'apply_all', 'applied_fixes', 'trust_checkpoint_dir', 'trusted_checkpoint_dir', 'is_trusted_checkpoint',
    'UntrustedCheckpointError', 'SAFE_CHECKPOINT_GLOBALS', 'load_checkpoint_file'
]

_APPLIED: List[str] = []


def applied_fixes() -> List[str]:
    """Names of the fixes that were needed (and applied) in this process."""
    return list(_APPLIED)


# ----------------------------------------------------------------------------------------------------------
# 6. warning noise (installed first so that the imports below stay quiet)
# ----------------------------------------------------------------------------------------------------------
#: (message regex, category, module regex or '') of each known, harmless warning.
KNOWN_WARNINGS = (
    # mmcv-lite has no compiled ops; skeleton models do not use MultiScaleDeformableAttention
    (r'Fail to import ``MultiScaleDeformableAttention``', UserWarning, r'mmcv\.cnn\.bricks\.transformer'),
    # setuptools' pkg_resources, imported by mmengine for `mmaction::` base configs
    (r'pkg_resources is deprecated as an API', UserWarning, ''),
    # torch.jit deprecations triggered by mmengine/mmaction imports
    (r'`torch\.jit\.\w+` is deprecated', DeprecationWarning, ''),
    # peft 0.21 still calls transformers' renamed `is_gradient_checkpointing` property
    (r'`is_gradient_checkpointing` is deprecated', FutureWarning, r'transformers\.modeling_utils'),
)


def _silence_known_warnings() -> None:
    for message, category, module in KNOWN_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category, module=module)
    _APPLIED.append('known-warnings')


def pytest_filterwarnings() -> List[str]:
    """:data:`KNOWN_WARNINGS` as pytest ``filterwarnings`` lines (pytest resets filters around each test)."""
    return [f'ignore:{m}:{c.__name__}:{mod}' if mod else f'ignore:{m}:{c.__name__}' for m, c, mod in KNOWN_WARNINGS]


# ----------------------------------------------------------------------------------------------------------
# 1. missing mmaction/models/localizers/drn
# ----------------------------------------------------------------------------------------------------------
def _mmaction_dir() -> str:
    spec = importlib.util.find_spec('mmaction')
    if spec is None or not spec.submodule_search_locations:
        raise ImportError('mmaction2 is not installed; run `bash tools/setup_env.sh` (see README).')
    return list(spec.submodule_search_locations)[0]


def _fix_missing_drn() -> None:
    drn_dir = osp.join(_mmaction_dir(), 'models', 'localizers', 'drn')
    if osp.isfile(osp.join(drn_dir, 'drn.py')) or 'mmaction.models.localizers.drn' in sys.modules:
        return  # upstream wheel is complete (or another fix is already in place)

    def _build_placeholder(*args, **kwargs):
        raise ImportError('DRN is not available: the mmaction2 1.2.0 wheel ships without '
                          'mmaction/models/localizers/drn. Install mmaction2 from source to use DRN.')

    class DRN:  # noqa: D401 - placeholder class, same name as upstream's
        """Placeholder for mmaction's DRN localizer, missing from the mmaction2 1.2.0 wheel."""

        def __init__(self, *args, **kwargs):
            _build_placeholder()

    pkg = types.ModuleType('mmaction.models.localizers.drn')
    pkg.__path__ = []  # a package, so that `.drn.drn` resolves
    pkg.__doc__ = 'Placeholder installed by sugar_mm.compat (mmaction2 wheel lacks this package).'
    mod = types.ModuleType('mmaction.models.localizers.drn.drn')
    mod.DRN = DRN
    pkg.drn = mod
    pkg.DRN = DRN
    sys.modules[pkg.__name__] = pkg
    sys.modules[mod.__name__] = mod

    from mmaction.registry import MODELS
    if 'DRN' not in MODELS.module_dict:
        MODELS.register_module(name='DRN', module=DRN)
    _APPLIED.append('mmaction-missing-drn')


# ----------------------------------------------------------------------------------------------------------
# 2. mmaction's VindLU package under transformers 5
# ----------------------------------------------------------------------------------------------------------
def _vindlu_external_imports() -> List[tuple]:
    """``(module, name)`` pairs that mmaction's VindLU files import at import time from outside mmaction."""
    vindlu = osp.join(_mmaction_dir(), 'models', 'multimodal', 'vindlu')
    pairs = []
    if not osp.isdir(vindlu):
        return pairs
    for fname in sorted(os.listdir(vindlu)):
        if not fname.endswith('.py'):
            continue
        with open(osp.join(vindlu, fname), encoding='utf-8') as f:
            tree = ast.parse(f.read())
        for node in tree.body:  # top-level imports only: those run at import time
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and \
                    node.module.split('.')[0] in ('transformers', 'timm'):
                pairs.extend((node.module, a.name) for a in node.names)
            elif isinstance(node, ast.Import):
                pairs.extend((a.name, None) for a in node.names if a.name.split('.')[0] in ('transformers', 'timm'))
    return pairs


@functools.lru_cache(maxsize=None)
def _top_level_names(path: str) -> frozenset:
    """Names a plain module file defines or imports at top level (read from its source, not imported)."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read())
    names = set()
    for node in ast.walk(tree):  # walk: names defined under `if TYPE_CHECKING`/try blocks count too
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split('.')[0] for a in node.names)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return frozenset(names)


def vindlu_missing_imports(first_only: bool = False) -> List[str]:
    """The VindLU imports that fail in this environment (empty when VindLU would import).

    Plain modules are checked by reading their source (cheap: importing ``transformers.modeling_utils`` costs
    seconds); lazily-populated packages are imported.
    """
    missing = []
    # shallow modules first: finding `transformers.x` is cheap, `transformers.models.beit` imports all models
    for module, name in sorted(_vindlu_external_imports(), key=lambda p: p[0].count('.')):
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            missing.append(module)
        elif name is not None and spec.origin and spec.origin.endswith('.py') and \
                not spec.submodule_search_locations:
            if name not in _top_level_names(spec.origin):
                missing.append(f'{module}.{name}')
        elif name is not None:
            try:
                if not hasattr(importlib.import_module(module), name):
                    missing.append(f'{module}.{name}')
            except Exception:
                missing.append(module)
        if missing and first_only:
            break
    return missing


def _fix_multimodal_branch() -> None:
    import mmaction.utils.dependency as dependency
    if not dependency.WITH_MULTIMODAL or 'mmaction.models.multimodal' in sys.modules:
        return
    missing = vindlu_missing_imports(first_only=True)
    if not missing:
        return  # VindLU imports fine here: leave mmaction's choice alone
    dependency.WITH_MULTIMODAL = False
    _APPLIED.append('mmaction-multimodal-off')


# ----------------------------------------------------------------------------------------------------------
# 3. checkpoint loading under torch>=2.6 weights_only
# ----------------------------------------------------------------------------------------------------------
class UntrustedCheckpointError(RuntimeError):
    """A checkpoint from outside the trusted directories needs more than weights-only unpickling."""


_TRUST = threading.local()
_TRUSTED_DIRS: List[str] = []


def _history_buffer_getattr(obj, name):
    """The ``getattr`` a weights-only load may call: only ``getattr(HistoryBuffer, <its public method>)``.

    A ``HistoryBuffer`` pickles its ``_statistics_methods`` (``HistoryBuffer.min``, ...), which pickle protocol 2
    (``torch.save``'s default) stores as ``getattr(HistoryBuffer, 'min')``; a general ``getattr`` would let a
    checkpoint reach arbitrary attributes, so any other call is refused.
    """
    import pickle
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and isinstance(name, str) and not name.startswith('_') and \
            inspect.isfunction(vars(HistoryBuffer).get(name)):
        return vars(HistoryBuffer)[name]
    raise pickle.UnpicklingError(f'Unsupported global: getattr({getattr(obj, "__name__", type(obj).__name__)}, '
                                 f'{name!r}) is outside the weights-only allow-list')


def _safe_globals() -> list:
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer
    out = [HistoryBuffer, np.ndarray, np.dtype, (_history_buffer_getattr, 'builtins.getattr')]
    try:  # numpy >= 1.25 / 2.x
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    out += [_reconstruct, scalar]
    out += [type(np.dtype(t)) for t in ('float64', 'float32', 'float16', 'int64', 'int32', 'int8', 'uint8',
                                         'bool')]
    return out


#: Extra globals a weights-only load accepts (mmengine message-hub buffers, numpy arrays and scalars).
SAFE_CHECKPOINT_GLOBALS = None  # filled lazily (imports numpy/mmengine)


def trust_checkpoint_dir(path: str) -> None:
    """Trust checkpoints under ``path`` for the rest of the process (full unpickling)."""
    path = osp.realpath(osp.expanduser(path))
    if path not in _TRUSTED_DIRS:
        _TRUSTED_DIRS.append(path)


@contextlib.contextmanager
def trusted_checkpoint_dir(path: str) -> Iterator[None]:
    """Trust checkpoints under ``path`` inside the ``with`` block only."""
    stack = getattr(_TRUST, 'stack', None)
    if stack is None:
        stack = _TRUST.stack = []
    stack.append(osp.realpath(osp.expanduser(path)))
    try:
        yield
    finally:
        stack.pop()


def is_trusted_checkpoint(filename: str) -> bool:
    """Whether ``filename`` may be fully unpickled (see the module docstring, fix 3)."""
    if os.environ.get('SUGAR_MM_TRUST_CHECKPOINTS', '') in ('1', 'true', 'True', 'yes'):
        return True
    real = osp.realpath(osp.expanduser(filename))
    for d in list(_TRUSTED_DIRS) + list(getattr(_TRUST, 'stack', []) or []):
        if real == d or real.startswith(d.rstrip(os.sep) + os.sep):
            return True
    return False


def load_checkpoint_file(filename: str, map_location=None):
    """``torch.load`` with the trust policy of fix 3. Used by mmengine's local loader once patched."""
    import torch
    global SAFE_CHECKPOINT_GLOBALS
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    if is_trusted_checkpoint(filename):
        return torch.load(filename, map_location=map_location, weights_only=False)
    if SAFE_CHECKPOINT_GLOBALS is None:
        SAFE_CHECKPOINT_GLOBALS = _safe_globals()
    try:
        with torch.serialization.safe_globals(SAFE_CHECKPOINT_GLOBALS):
            return torch.load(filename, map_location=map_location, weights_only=True)
    except Exception as e:  # torch raises UnpicklingError (or RuntimeError wrapping it)
        if 'weights_only' not in str(e) and 'Unsupported global' not in str(e):
            raise
        detail = next((line.strip() for line in str(e).splitlines() if 'Unsupported global' in line),
                      str(e).splitlines()[0])
        raise UntrustedCheckpointError(
            f'{filename} was loaded weights-only because it is not inside this run\'s work_dir, and it holds '
            f'objects outside the allow-list ({detail[:200]}). Unpickling it can run arbitrary code. If you '
            'trust the file, pass --trust-checkpoint to the tool (or set SUGAR_MM_TRUST_CHECKPOINTS=1, or call '
            'sugar_mm.compat.trust_checkpoint_dir(<its folder>)).') from e


def mmengine_checkpoints_fail_to_load() -> bool:
    """Detect the bug: does mmengine's own local loader reject a checkpoint holding a ``HistoryBuffer``?

    Writes a tiny message-hub-like checkpoint to a temporary file and loads it with mmengine's
    ``load_from_local`` (which calls ``torch.load`` with torch's default ``weights_only``).
    """
    import tempfile
    import torch
    from mmengine.logging.history_buffer import HistoryBuffer
    from mmengine.runner import checkpoint as ckpt_mod
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'probe.pth')
        torch.save({'message_hub': {'log_scalars': {'loss': HistoryBuffer([1.0], [1])}}}, path)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            try:
                ckpt_mod.load_from_local(path, map_location='cpu')
            except Exception:
                return True
    return False


def _fix_checkpoint_loading() -> None:
    from mmengine.runner import Runner, checkpoint as ckpt_mod
    if getattr(ckpt_mod.load_from_local, '_sugar_mm_policy', False) or not mmengine_checkpoints_fail_to_load():
        return

    def load_from_local(filename, map_location):
        """Load a local checkpoint with sugar_mm's trust policy (see ``sugar_mm.compat``, fix 3)."""
        return load_checkpoint_file(filename, map_location)

    load_from_local._sugar_mm_policy = True
    ckpt_mod.CheckpointLoader.register_scheme(prefixes='', loader=load_from_local, force=True)
    ckpt_mod.load_from_local = load_from_local

    original = Runner.load_checkpoint

    @functools.wraps(original)
    def load_checkpoint(self, filename, *args, **kwargs):
        with trusted_checkpoint_dir(self.work_dir):
            return original(self, filename, *args, **kwargs)

    Runner.load_checkpoint = load_checkpoint
    _APPLIED.append('mmengine-checkpoint-weights-only')


# ----------------------------------------------------------------------------------------------------------
# 4. init_dist on CPU-only machines
# ----------------------------------------------------------------------------------------------------------
def _code_without_docstring(fn) -> str:
    import textwrap
    node = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
    if node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant):
        node.body = node.body[1:]
    return ast.unparse(node)


def _fix_init_dist_cpu() -> None:
    import torch
    from mmengine.dist import utils as dist_utils
    if torch.cuda.is_available():
        return  # upstream path is right when there is a GPU
    if 'cuda.is_available' in _code_without_docstring(dist_utils._init_dist_pytorch):
        return  # upstream already handles CPU-only torch
    original = dist_utils._init_dist_pytorch

    @functools.wraps(original)
    def _init_dist_pytorch(backend, init_backend='torch', **kwargs):
        if torch.cuda.is_available():
            return original(backend, init_backend=init_backend, **kwargs)
        import torch.distributed as torch_dist
        if init_backend != 'torch':
            raise ValueError(f'init_backend={init_backend!r} needs CUDA; on CPU only "torch" (gloo) works')
        kwargs.setdefault('rank', int(os.environ['RANK']))
        kwargs.setdefault('world_size', int(os.environ['WORLD_SIZE']))
        torch_dist.init_process_group(backend='gloo', **kwargs)

    dist_utils._init_dist_pytorch = _init_dist_pytorch
    _APPLIED.append('mmengine-init-dist-cpu')


# ----------------------------------------------------------------------------------------------------------
# 5. DistributedDataParallel arguments for CPU modules / torch 2.13
# ----------------------------------------------------------------------------------------------------------
def _fix_ddp_arguments() -> None:
    from torch.nn.parallel import DistributedDataParallel
    from mmengine.model.wrappers import MMDistributedDataParallel
    if getattr(MMDistributedDataParallel.__init__, '_sugar_mm_patched', False):
        return
    ddp_params = inspect.signature(DistributedDataParallel.__init__).parameters
    rename_broadcast = 'forward_sync_buffers' in ddp_params
    original = MMDistributedDataParallel.__init__

    @functools.wraps(original)
    def __init__(self, module, detect_anomalous_params: bool = False, **kwargs):
        params = list(module.parameters())
        on_cpu = bool(params) and all(p.device.type == 'cpu' for p in params)
        if on_cpu and kwargs.get('device_ids') is not None:
            kwargs['device_ids'] = None
            kwargs['output_device'] = None
        if rename_broadcast and 'broadcast_buffers' in kwargs and 'forward_sync_buffers' not in kwargs:
            kwargs['forward_sync_buffers'] = kwargs.pop('broadcast_buffers')
        original(self, module=module, detect_anomalous_params=detect_anomalous_params, **kwargs)

    __init__._sugar_mm_patched = True
    MMDistributedDataParallel.__init__ = __init__
    _APPLIED.append('ddp-cpu-device-ids' + ('+forward-sync-buffers' if rename_broadcast else ''))


def apply_all() -> None:
    """Apply every needed fix once (idempotent). Called on ``import sugar_mm``."""
    if getattr(apply_all, '_done', False):
        return
    _silence_known_warnings()
    _fix_missing_drn()
    _fix_multimodal_branch()
    _fix_checkpoint_loading()
    _fix_init_dist_cpu()
    _fix_ddp_arguments()
    apply_all._done = True


apply_all()
