#!/usr/bin/env bash
# Checks deploy/ against Debian's real Prometheus: promtool on the config and rules, promtool on
# live /metrics scrapes, then a Prometheus server on loopback scraping a live federation (a
# coordinator and two nodes started through ./fedbase), after which every dashboard expression and
# every metric the alert rules use must return data through Prometheus' HTTP API.
# Needs: promtool, prometheus, curl, python3. Run from anywhere; .ci/run calls it.
set -euo pipefail
DEPLOY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$DEPLOY")"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== promtool check config / rules"
promtool check config "$DEPLOY/prometheus.yml"
promtool check rules "$DEPLOY/alerts.yml"

echo "== compose and Kubernetes files parse and reference what exists"
python3 - "$DEPLOY" "$ROOT" <<'PY'
import os, subprocess, sys, yaml
deploy, root = sys.argv[1:]
compose = yaml.safe_load(open(os.path.join(deploy, "docker-compose.yml")))
k8s = [d for f in sorted(os.listdir(os.path.join(deploy, "k8s")))
       for d in yaml.safe_load_all(open(os.path.join(deploy, "k8s", f)))]
prom = yaml.safe_load(open(os.path.join(deploy, "prometheus.yml")))
commands = []
# the full image (every command), the coordinator's (no engine; Dockerfile stage "coordinator") and
# the GPU node image (Dockerfile.gpu: the CUDA libtorch)
FEDBASE_IMAGES = ("fedbase:latest", "fedbase-coordinator:latest", "fedbase-gpu:latest")
for name, svc in compose["services"].items():
    build = svc.get("build")
    if build:
        assert os.path.exists(os.path.join(deploy, build["context"], build["dockerfile"])), build
    image = svc["image"]
    assert image in FEDBASE_IMAGES or image.startswith(("prom/prometheus:", "grafana/grafana:")), image
    if image == "fedbase-coordinator:latest":
        # the coordinator image has only the coordinator's commands, and must be built from its stage
        assert svc["command"][0] in ("coordinator", "ca", "admin"), svc["command"]
        assert build and build.get("target") == "coordinator", f"{name}: build the coordinator image from the Dockerfile's coordinator stage"
    if image == "fedbase-gpu:latest":
        # the GPU image is for nodes, built from Dockerfile.gpu, and asks for a GPU
        assert svc["command"][0] == "node", svc["command"]
        assert build and build.get("dockerfile") == "deploy/Dockerfile.gpu", f"{name}: build the GPU image from deploy/Dockerfile.gpu"
        devices = svc["deploy"]["resources"]["reservations"]["devices"]
        assert any("gpu" in d.get("capabilities", []) for d in devices), f"{name}: reserve a GPU"
    for v in svc.get("volumes", []):
        src = v.split(":")[0]
        if src.startswith("."):
            assert os.path.exists(os.path.join(deploy, src)), f"{name}: {src} does not exist"
    if image in FEDBASE_IMAGES:
        commands.append(svc["command"])
for d in k8s:
    assert d["kind"] in ("StatefulSet", "Service", "Deployment"), d["kind"]
    if d["kind"] != "Service":
        for c in d["spec"]["template"]["spec"]["containers"]:
            assert c["image"] in FEDBASE_IMAGES, c["image"]
            if c["image"] == "fedbase-coordinator:latest":
                assert c["args"][0] in ("coordinator", "ca", "admin"), c["args"]
            gpu_limit = c.get("resources", {}).get("limits", {}).get("nvidia.com/gpu")
            if gpu_limit:
                # a pod that asks Kubernetes for a GPU runs the image that can use one
                assert c["image"] == "fedbase-gpu:latest", f"{d['metadata']['name']} asks for a GPU but runs {c['image']}"
            args = c["args"]
            commands.append(args)
            ports = {p["containerPort"] for p in c["ports"]}
            for flag in ("--port", "--metrics-port"):
                if flag in args:
                    assert int(args[args.index(flag) + 1]) in ports, f"{flag} not exposed in {d['metadata']['name']}"
targets = {t for job in prom["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
for t in targets:
    host, port = t.split(":")
    svc = compose["services"][host]
    assert port in svc["command"], f"prometheus scrapes {t}, but {host} serves metrics elsewhere"
jar = os.path.join(root, "cli", "target", "fedbase.jar")
for args in commands:
    # parsed by the real CLI without running: an unknown or malformed flag fails here
    r = subprocess.run(["java", "-jar", jar, "check-args", "--"] + [str(a) for a in args], capture_output=True, text=True)
    assert r.returncode == 0, f"{args}: {r.stderr.strip()}"
print(f"OK: {len(compose['services'])} compose services, {len(k8s)} Kubernetes objects, {len(commands)} fedbase commands parse")
PY

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
GRPC=$(free_port); CM=$(free_port); NA=$(free_port); NB=$(free_port); PROM=$(free_port)

echo "== a federation CA and certificates for the coordinator, two nodes and a reader (mutual TLS)"
"$ROOT/fedbase" ca init --dir "$WORK/ca" > /dev/null
"$ROOT/fedbase" ca issue --dir "$WORK/ca" --id coordinator --role coordinator --ip 127.0.0.1 --out "$WORK/pki" > /dev/null
for id in node-a node-b; do "$ROOT/fedbase" ca issue --dir "$WORK/ca" --id "$id" --out "$WORK/pki" > /dev/null; done
"$ROOT/fedbase" ca issue --dir "$WORK/ca" --id watcher --role reader --out "$WORK/pki" > /dev/null
tls() { echo --ca "$WORK/pki/ca.pem" --cert "$WORK/pki/$1.pem" --key "$WORK/pki/$1.key"; }

echo "== a live federation: coordinator (gRPC $GRPC, metrics $CM), nodes (metrics $NA, $NB)"
# the coordinator runs as in its image: the jar beside coordinator-lib as lib/, no DJL or libtorch
mkdir -p "$WORK/coordinator-image"
cp "$ROOT/cli/target/fedbase.jar" "$WORK/coordinator-image/"
cp -r "$ROOT/cli/target/coordinator-lib" "$WORK/coordinator-image/lib"
if ls "$WORK/coordinator-image/lib" | grep -q -e djl -e pytorch; then echo "FAIL: the coordinator's libraries hold the engine" >&2; exit 1; fi
# shellcheck disable=SC2046
java --add-modules jdk.incubator.vector -Dorg.slf4j.simpleLogger.log.io.fedbase=info -cp "$WORK/coordinator-image/fedbase.jar" \
  io.fedbase.cli.CoordinatorMain coordinator $(tls coordinator) --crl "$WORK/ca/crl.pem" --bind 127.0.0.1 --port "$GRPC" --metrics-port "$CM" \
  --state-dir "$WORK/state" --min-nodes 2 --tasks-per-node 1 --shots 2 --queries 2 --inner-steps 2 \
  > "$WORK/coordinator.log" 2>&1 &
PIDS+=($!)
# one intra-op thread per node: two torch processes share two cores
# shellcheck disable=SC2046
FEDBASE_THREADS=1 "$ROOT/fedbase" node $(tls node-a) --coordinator "127.0.0.1:$GRPC" \
  --data fashion-mnist --classes 0-4 --metrics-port "$NA" --cache-dir "$WORK/cache-a" > "$WORK/node-a.log" 2>&1 &
PIDS+=($!)
# shellcheck disable=SC2046
FEDBASE_THREADS=1 "$ROOT/fedbase" node $(tls node-b) --coordinator "127.0.0.1:$GRPC" \
  --data fashion-mnist --classes 5-9 --metrics-port "$NB" --cache-dir "$WORK/cache-b" > "$WORK/node-b.log" 2>&1 &
PIDS+=($!)

metric() { curl -sf "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m {print $2}'; }
wait_for() { # seconds, description, command...
  local limit=$1 what=$2; shift 2
  for _ in $(seq "$limit"); do "$@" && return 0; sleep 1; done
  echo "timed out waiting for $what"; tail -20 "$WORK"/*.log; return 1
}
version_at_least() { local v; v=$(metric "$CM" fedbase_prior_version || true); [ -n "$v" ] && python3 -c "import sys; sys.exit(0 if float('$v') >= $1 else 1)"; }

echo "== promtool check metrics on live scrapes"
wait_for 120 "the coordinator's metrics" curl -sf "http://127.0.0.1:$CM/metrics" -o /dev/null
wait_for 240 "two committed rounds" version_at_least 2
curl -sf "http://127.0.0.1:$CM/healthz" | grep -q ok

echo "== a reader's certificate reads the status; plaintext is refused"
# shellcheck disable=SC2046
"$ROOT/fedbase" status $(tls watcher) --coordinator "127.0.0.1:$GRPC" > "$WORK/status.txt"
grep -q "connected nodes: .*node-a" "$WORK/status.txt" || { cat "$WORK/status.txt"; exit 1; }
if "$ROOT/fedbase" status --insecure --coordinator "127.0.0.1:$GRPC" > "$WORK/plain.txt" 2>&1; then
  echo "a plaintext client got through: $(cat "$WORK/plain.txt")"; exit 1
fi
for port in "$CM" "$NA" "$NB"; do
  curl -sf "http://127.0.0.1:$port/metrics" > "$WORK/scrape.txt"
  promtool check metrics < "$WORK/scrape.txt"
done

echo "== Prometheus on 127.0.0.1:$PROM scraping the federation"
cat > "$WORK/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$DEPLOY/alerts.yml"]
scrape_configs:
  - job_name: fedbase-coordinator
    static_configs: [{targets: ["127.0.0.1:$CM"]}]
  - job_name: fedbase-node
    static_configs: [{targets: ["127.0.0.1:$NA", "127.0.0.1:$NB"]}]
YAML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PROM" > "$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
wait_for 60 "Prometheus" curl -sf "http://127.0.0.1:$PROM/-/ready" -o /dev/null
current=$(metric "$CM" fedbase_prior_version)
wait_for 240 "two more committed rounds under Prometheus" version_at_least "$(python3 -c "print(float('$current') + 2)")"
sleep 5

echo "== every dashboard expression and every metric of the alert rules returns data"
python3 - "$PROM" "$DEPLOY/grafana/fedbase-dashboard.json" "$DEPLOY/alerts.yml" <<'PY'
import json, re, sys, urllib.parse, urllib.request
port, dashboard, alerts = sys.argv[1:]
def query(expr):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    body = json.load(urllib.request.urlopen(url, timeout=10))
    if body.get("status") != "success":
        raise SystemExit(f"query failed: {expr}: {body}")
    return body["data"]["result"]
exprs = [t["expr"] for p in json.load(open(dashboard))["panels"] for t in p["targets"]]
names = sorted(set(re.findall(r"\b(fedbase_[a-z_]+|up)\b", open(alerts).read())))
missing = [e for e in exprs if not query(e)] + [n for n in names if not query(n)]
for e in exprs:
    print("  dashboard:", e)
print("  alert metrics:", ", ".join(names))
# the rules must also load and evaluate in the server
rules = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/rules", timeout=10))["data"]["groups"]
bad = [r["name"] for g in rules for r in g["rules"] if r.get("health") != "ok"]
if missing or bad:
    raise SystemExit(f"no data for {missing}; unhealthy rules {bad}")
print(f"OK: {len(exprs)} dashboard expressions and {len(names)} alert metrics return data; "
      f"{sum(len(g['rules']) for g in rules)} rules healthy")
PY
