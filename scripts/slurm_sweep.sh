#!/usr/bin/env bash
# Template: run a cimba sweep as a Slurm job array, then merge (docs/sweep.md, "Sharding").
# Not run by CI; adapt the #SBATCH lines (partition, time, memory) to your cluster.
#
#   sbatch --array=0-7 scripts/slurm_sweep.sh SWEEP.yaml OUT_DIR
#
# Each array task runs every N-th point (--shard $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)
# with as many parallel points as the task has CPUs; task 0 also submits a merge job that starts
# after the whole array finished (afterany: failed points are merged too, as status 'failed').
# Re-submitting the same command resumes: complete points are skipped. OUT_DIR must be on a file
# system every node sees; run from the directory the configs' relative paths are relative to.
# A mamba-130m-sized point needs about 1.7 GB of memory per parallel point.
#
#SBATCH --job-name=cimba-sweep
#SBATCH --cpus-per-task=4
#SBATCH --mem-per-cpu=2G
#SBATCH --time=02:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail

sweep_file=${1:?usage: sbatch --array=0-N scripts/slurm_sweep.sh SWEEP.yaml OUT_DIR}
out_dir=${2:?usage: sbatch --array=0-N scripts/slurm_sweep.sh SWEEP.yaml OUT_DIR}
cimba=${CIMBA:-build/cimba}  # the binary; every node must be able to run it

if [[ -z "${SLURM_ARRAY_TASK_ID:-}" ]]; then
  echo "slurm_sweep.sh: not an array task; submit with sbatch --array=0-N" >&2
  exit 2
fi
task=$SLURM_ARRAY_TASK_ID
count=${SLURM_ARRAY_TASK_COUNT:-1}
# Array indices may start elsewhere than 0 (--array=1-8): shard by the offset from the minimum.
task=$((task - ${SLURM_ARRAY_TASK_MIN:-0}))

if [[ $task -eq 0 ]]; then
  # One merge job after every task of this array, successful or not.
  sbatch --dependency="afterany:${SLURM_ARRAY_JOB_ID}" --job-name=cimba-sweep-merge \
    --cpus-per-task=1 --time=00:10:00 --output="slurm-%j-merge.out" \
    --wrap="'$cimba' sweep --merge '$out_dir'"
fi

# The sweep validates every point first (exit 2, nothing run); a failed point gives exit 1 after
# the task's other points finished.
exec "$cimba" sweep "$sweep_file" --out "$out_dir" \
  --shard "$task/$count" -j "${SLURM_CPUS_PER_TASK:-1}"
