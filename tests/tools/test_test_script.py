"""tools/test.py: what it sets up before torch is imported."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROBE = ("import importlib.util, os, sys; sys.argv = ['test.py']; "
         "spec = importlib.util.spec_from_file_location('sugar_test_tool', 'tools/test.py'); "
         "spec.loader.exec_module(importlib.util.module_from_spec(spec)); "
         "print('ALLOC=' + str(os.environ.get('PYTORCH_ALLOC_CONF')) + "
         "'|CUDA_ALLOC=' + str(os.environ.get('PYTORCH_CUDA_ALLOC_CONF')))")


def probe(**env):
    base = {k: v for k, v in os.environ.items() if k not in ('PYTORCH_ALLOC_CONF', 'PYTORCH_CUDA_ALLOC_CONF')}
    base.update(env)
    out = subprocess.run([sys.executable, '-c', PROBE], cwd=ROOT, env=base, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize('env, expected', [
    ({}, 'ALLOC=expandable_segments:True|CUDA_ALLOC=None'),
    ({'PYTORCH_CUDA_ALLOC_CONF': 'max_split_size_mb:64'}, 'ALLOC=None|CUDA_ALLOC=max_split_size_mb:64'),
])
def test_expandable_segments_by_default_and_explicit_settings_win(env, expected):
    assert probe(**env) == expected
