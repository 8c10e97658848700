#!/usr/bin/env bash
# Start, or resume, the accurate reader's training run (MPNet-base + LoRA r16) in the background,
# at the lowest CPU priority so that foreground work keeps the cores it needs. The same command
# resumes a stopped run from runs/accurate/last.pt; `python -m training.progress runs/accurate`
# says where it stands.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p runs/accurate
if pgrep -f "training.train_reader .*--work runs/accurate" >/dev/null; then
    echo "already running: $(pgrep -f 'training.train_reader .*--work runs/accurate')"
    exit 0
fi
HF_HUB_OFFLINE=1 setsid nohup nice -n 19 .venv/bin/python -m training.train_reader \
    --data ../shared/data --base-model sentence-transformers/all-mpnet-base-v2 --lora-rank 16 \
    --answerable squad --limit 82000 --epochs 1 --batch-size 16 --lr 3e-4 --warmup 0.06 \
    --max-seq-len 256 --doc-stride 96 --negative-ratio 0.1 --hard-negative-ratio 0.3 \
    --validation-size 300 --distractors 0 --eval-every 300 --save-minutes 10 --log-every 20 \
    --bf16 --threads 2 --out runs/accurate/best --work runs/accurate \
    >>runs/accurate/train.log 2>&1 </dev/null &
run=$!
# setsid gives the run a scheduling group of its own (Linux autogroups), and nice acts only
# within a group: without this, the run takes half the CPU from the foreground, nice or not.
sleep 1
echo 19 >"/proc/$run/autogroup" 2>/dev/null || echo "warning: could not lower the run's group priority" >&2
echo "started (pid $run, $(cat "/proc/$run/autogroup" 2>/dev/null)): log in runs/accurate/train.log"
