#!/usr/bin/env bash
# Distributed training with torchrun: bash tools/dist_train.sh CONFIG NUM_PROCS [train.py flags]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT from the environment. On CPU-only machines the processes
# use the gloo backend (sugar_mm.compat); on GPUs the config's dist_cfg (nccl).
set -euo pipefail
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}
here="$(cd "$(dirname "$0")" && pwd)"

PYTHONPATH="$here/..":${PYTHONPATH:-} \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$here/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
