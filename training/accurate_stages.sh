#!/usr/bin/env bash
# The accurate reader's two stages, one after the other; training/accurate.sh runs this in the
# background. Stage 1: MPNet-base + LoRA r16 on 82,000 SQuAD questions with all the unanswerable
# ones. Stage 2: its best adapter and head trained on over all 4,478 unanswerable questions and as
# many answerable ones (README, "Training the readers"). Each stage resumes from its work folder's
# last.pt; a stage stopped before its end (SIGTERM) ends this script, and the next start resumes it.
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1
common=(
    --data ../shared/data --base-model sentence-transformers/all-mpnet-base-v2
    --answerable squad --epochs 1 --batch-size 16 --max-seq-len 256 --doc-stride 96
    --negative-ratio 0.1 --hard-negative-ratio 0.3 --validation-size 300 --distractors 0
    --save-minutes 10 --log-every 20 --bf16 --threads 2
)
ended() { .venv/bin/python -m training.progress "$1" --finished --until-step "$2"; }
# Run (or resume) one stage in WORK until its step UNTIL (0: its end) unless it has got there; a
# stage stopped before (SIGTERM) ends the script.
stage() {
    local work=$1 until=$2
    shift 2
    ended "$work" "$until" && return
    .venv/bin/python -m training.train_reader "${common[@]}" "$@" --until-step "$until" \
        --out "$work/best" --work "$work"
    ended "$work" "$until" || exit 0
}

# Stage 1 ends at its step-7,200 validation, 574 steps (7%) before its planned end, so that both
# stages end within one session (README, "Training the readers").
stage runs/accurate 7200 --lora-rank 16 --limit 82000 --lr 3e-4 --warmup 0.06 --eval-every 300
# --validate-first: stage 1's best is stage 2's first candidate, so its best/ is the better of both.
stage runs/accurate-stage2 0 --init-adapter runs/accurate/best --limit 4478 --lr 1e-4 --warmup 0.1 \
    --eval-every 150 --validate-first
echo "both stages have ended: ship runs/accurate-stage2/best with training.ship_reader"
