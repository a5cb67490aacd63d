#!/bin/sh
# What a job sees of its allocation: its GPUs, the cores and NUMA memory the engine chose, and the
# CPU affinity it actually runs with.
echo "job $RASPORED_JOB_ID on $(hostname) as node $RASPORED_NODELIST"
echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"
echo "assigned CPUs (RASPORED_CPUS)=$RASPORED_CPUS  OMP_NUM_THREADS=$OMP_NUM_THREADS"
echo "NCCL_IB_HCA=$NCCL_IB_HCA"
grep Cpus_allowed_list /proc/self/status
