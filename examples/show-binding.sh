#!/bin/sh
# What a job sees of its allocation: its GPUs, the cores and NUMA memory the engine chose, and the
# CPU affinity it actually runs with (on a stand-in node, RASPORED_BINDING=unbound: the DGX's CPUs do not
# exist on this machine, so the allocation is exported but not enforced).
echo "job $RASPORED_JOB_ID on $(hostname), standing in for $RASPORED_NODELIST, as $(id -un) (uid $(id -u))"
echo "cgroup: $(grep -E '^[0-9]+:memory:|^0::' /proc/self/cgroup | head -1 | cut -d: -f3)"
echo "CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"
echo "assigned CPUs: $(echo "$RASPORED_CPUS" | awk -F, '{print NF}') hardware threads ($RASPORED_CPUS), NUMA $RASPORED_MEMS, OMP_NUM_THREADS=$OMP_NUM_THREADS"
echo "NCCL_IB_HCA=$NCCL_IB_HCA"
echo "binding: $RASPORED_BINDING; affinity: $(grep Cpus_allowed_list /proc/self/status | cut -f2)"
