#!/usr/bin/env bash
# Start, or resume, the accurate reader's training (training/accurate_stages.sh: stage 1, then
# stage 2) in the background, at the lowest CPU priority so that foreground work keeps the cores
# it needs. The same command resumes a stopped run where its last checkpoint left it;
# `python -m training.progress runs/accurate` (and runs/accurate-stage2) says where it stands.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p runs/accurate
running=$(pgrep -f "training/accurate_stages.sh|training.train_reader .*--work runs/accurate" || true)
if [ -n "$running" ]; then
    echo "already running: $running"
    exit 0
fi
setsid nohup nice -n 19 bash training/accurate_stages.sh >>runs/accurate/train.log 2>&1 </dev/null &
run=$!
# setsid gives the run a scheduling group of its own (Linux autogroups), and nice acts only
# within a group: without this, the run takes half the CPU from the foreground, nice or not.
sleep 1
echo 19 >"/proc/$run/autogroup" 2>/dev/null || echo "warning: could not lower the run's group priority" >&2
echo "started (pid $run, $(cat "/proc/$run/autogroup" 2>/dev/null)): log in runs/accurate/train.log"
