#!/usr/bin/env bash
# Brings up a working Raspored cluster on this machine: the controller (schedulerd) and six agents
# (schedagent) standing in for dgx01…dgx06, each discovering the DGX H200 from its hwloc export and
# running jobs as real local processes. Runs a few jobs through schedctl and shows the queue, the
# placements and the nodes. The cluster keeps running; `scripts/demo.sh stop` stops it.
#
# Run as root (as an agent is on a node), jobs run as their submitter's Unix account, each in a cgroup of its
# own: the demo makes a researcher account `demo-ana` (GECOS "Raspored demo user", home /home/demo-ana) and
# `stop` removes it. Run as anyone else, the agents run every job as that user (`--run-as agent`).
#
#   scripts/demo.sh          start (or restart) the demo cluster and run the example jobs
#   scripts/demo.sh stop     stop it
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
demo=$root/.demo
port=${RASPORED_DEMO_PORT:-8420}

stop() {
    if [ -d "$demo/pids" ]; then
        for f in "$demo"/pids/*; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
        sleep 1
        for f in "$demo"/pids/*; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
    fi
    pkill -f "$demo/work" 2>/dev/null || true
    # The schedctl server the demo's submits started (docs/schedctl.md, "In scripts"): it would stop by
    # itself after 30 s idle.
    pkill -f "$root/.build/.*schedctl __serve" 2>/dev/null || true
    pkill -u demo-ana 2>/dev/null || true
    if getent passwd demo-ana | grep -q ':Raspored demo user:'; then userdel -r demo-ana 2>/dev/null || true; fi
    find /sys/fs/cgroup -depth -type d -path '*/raspored-demo*' -exec rmdir {} \; 2>/dev/null || true
    rm -rf "$demo"
}
if [ "${1:-}" = stop ]; then stop; echo "demo cluster stopped"; exit 0; fi

scripts/deps.sh
echo "== building schedulerd, schedagent, schedctl ==" >&2
swift build --product schedulerd >&2
swift build --product schedagent >&2
swift build --product schedctl >&2
bin=$root/.build/debug
stop
mkdir -p "$demo/pids" "$demo/work" "$demo/logs"
chmod 700 "$demo"

# Who the researcher is: a demo account when root, else whoever runs the demo.
if [ "$(id -u)" -eq 0 ]; then
    researcher=demo-ana run_as=submitter
    useradd -m -d /home/demo-ana -c "Raspored demo user" -s /bin/bash demo-ana
    work=/home/demo-ana
    cp "$root"/examples/*.sh "$work/"
    chown demo-ana: "$work"/*.sh
else
    researcher=$(id -un) run_as=agent work=$demo/work
    cp "$root"/examples/*.sh "$work/"
fi

echo "== controller: schedulerd on 127.0.0.1:$port, state in .demo/state =="
"$bin/schedulerd" --init --cluster cluster.yaml --state "$demo/state" --listen "127.0.0.1:$port" \
    --agent-listen "127.0.0.1:$((port + 1))" \
    >"$demo/logs/schedulerd.log" 2>&1 &
echo $! >"$demo/pids/schedulerd"
export RASPORED_CONTROLLER=http://127.0.0.1:$port
for _ in $(seq 100); do [ -s "$demo/state/admin.token" ] && curl -sf "$RASPORED_CONTROLLER/healthz" >/dev/null && break; sleep 0.2; done
admin=$(cat "$demo/state/admin.token")

echo "== six agents: schedagent run --node dgx0N --topology Tests/Fixtures/hwloc/dgx-h200.xml =="
for n in 1 2 3 4 5 6; do
    node=dgx0$n
    RASPORED_TOKEN=$admin "$bin/schedctl" token create --user "agent-$node" --agent "$node" --quiet >"$demo/$node.token"
    "$bin/schedagent" run --controller "http://127.0.0.1:$((port + 1))" --node "$node" \
        --topology Tests/Fixtures/hwloc/dgx-h200.xml --token-file "$demo/$node.token" \
        --state-dir "$demo/agents/$node" --run-as "$run_as" --cgroup-parent "raspored-demo/$node" \
        >"$demo/logs/$node.log" 2>&1 &
    echo $! >"$demo/pids/$node"
done
export RASPORED_TOKEN=$admin
for _ in $(seq 100); do
    [ "$("$bin/schedctl" nodes --json | grep -c '"state" : "up"\|"state":"up"')" -ge 6 ] && break
    sleep 0.2
done
"$bin/schedctl" nodes
echo

echo "== a user token for $researcher (schedctl token create --user $researcher) =="
ana=$("$bin/schedctl" token create --user "$researcher" --quiet)
cat >"$demo/env" <<ENV
export RASPORED_CONTROLLER=$RASPORED_CONTROLLER
export RASPORED_TOKEN=$ana
export PATH=$bin:\$PATH
ENV
export RASPORED_TOKEN=$ana
cd "$work"

echo "== $researcher submits: a 4-GPU job that prints its GPUs and CPU binding, an unchanged Slurm script, and more =="
binding=$("$bin/schedctl" submit --gpus 4 --time 10m --account ivi --name show-binding --parsable -- \
    "$work/show-binding.sh")
echo "Submitted job $binding (4 GPUs)"
"$bin/schedctl" submit "$work/train-slurm.sh"
echo
echo "== srun from a login node: two tasks of one GPU each on two nodes of the interactive partition =="
"$bin/schedctl" run -p interactive -N 2 --ntasks-per-node 2 --gpus-per-task 1 -t 5m -A ivi -- \
    sh -c 'echo "task $RANK of $WORLD_SIZE (local $LOCAL_RANK) on $SLURMD_NODENAME: GPU $CUDA_VISIBLE_DEVICES, CPUs $RASPORED_CPUS"' |
    sort
echo
for i in 1 2 3; do "$bin/schedctl" submit --gpus 2 --time 5m --account pmf-ns --name "sweep-$i" -- sleep 40; done
"$bin/schedctl" submit --gpus 8 --nodes 2 --time 30m --account ivi --name two-node -- sh -c 'echo "rank $RASPORED_NODE_RANK of $RASPORED_NNODES, master $MASTER_ADDR:$MASTER_PORT"; sleep 40'
for i in 1 2 3; do "$bin/schedctl" submit --gpus 8 --time 20m --account ipb --name "big-$i" -- sleep 60; done
sleep 2
echo
echo "== schedctl queue =="
"$bin/schedctl" queue
echo
echo "== schedctl show $binding =="
"$bin/schedctl" show "$binding"
echo
echo "== schedctl logs $binding (its output, shipped by the agent) =="
"$bin/schedctl" logs "$binding"
echo
echo "== schedctl nodes =="
"$bin/schedctl" nodes
echo
echo "== a pending job: why, and when it is expected to start (schedctl submit --dry-run) =="
"$bin/schedctl" submit --dry-run --gpus 8 --time 1h --account ivi -- sleep 1 || true
echo
echo "The cluster keeps running (logs in .demo/logs). Next:"
echo "  source .demo/env                      # RASPORED_CONTROLLER, RASPORED_TOKEN ($researcher), PATH"
echo "  schedctl queue; schedctl logs -f $binding; schedctl cancel JOB"
echo "  RASPORED_TOKEN=\$(cat .demo/state/admin.token) schedctl drain dgx06 --reason 'GPU 3 ECC errors'"
echo "  scripts/demo.sh stop"
