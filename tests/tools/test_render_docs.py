"""The generated blocks of README.md / docs are what the shipped result files give (tools/experiments/render_docs.py)."""
import subprocess
import sys

from tests.integration.helpers import REPO


def test_shipped_docs_match_the_shipped_result_files():
    proc = subprocess.run([sys.executable, 'tools/experiments/render_docs.py', '--check'], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'stale: nothing' in proc.stdout
