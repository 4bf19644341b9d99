#!/usr/bin/env python3
"""Run docker/docker-compose.yml's services natively and check that its validators finalize.

No container engine runs on our CI machines, so this runs each compose service (those without a
profile) with the image's entrypoint (docker/entrypoint.sh) and the service's exact `command`
and `environment`, against the built solvent-node, and checks that every validator produces and
finalizes blocks and reports ready on `GET /health/readiness` (the image's health check).

What differs from Docker, and only this (all services share one host here):
  - each service's `/data` volume is a fresh temporary directory;
  - each service gets its own p2p, RPC and Prometheus ports (`--port`, `--rpc-port`,
    `--prometheus-port` are appended; the compose commands leave them at their defaults);
  - a service name used as a host in the environment (`http://bootnode:9944`,
    `/dns/bootnode/tcp/30333`) is rewritten to 127.0.0.1 and that service's port.

Usage: scripts/compose-native.py [--compose FILE] [--node BIN] [--blocks N] [--timeout S]
Exits non-zero, with the nodes' log tails, if any check fails. If `docker compose` (or
`docker-compose`) is installed, the file is also validated with `config -q`.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

try:
    import yaml
except ImportError:  # scripts/setup.sh installs it; say so rather than fail obscurely
    sys.exit("compose-native: PyYAML is missing (python3 -m pip install --user pyyaml)")

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTAINER_PORTS = {30333: "p2p", 9944: "rpc", 9615: "prometheus"}


def rpc(port, method, params=None, timeout=5):
    body = json.dumps({"id": 1, "jsonrpc": "2.0", "method": method, "params": params or []}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        out = json.load(r)
    if "error" in out:
        raise RuntimeError(f"{method}: {out['error']}")
    return out["result"]


def ready(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/readiness", timeout=5) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_order(services):
    """Services ordered so that each starts after what it `depends_on`."""
    order, seen = [], set()

    def visit(name, stack):
        if name in seen:
            return
        if name in stack:
            sys.exit(f"compose-native: dependency cycle at {name}")
        deps = services[name].get("depends_on") or []
        for dep in deps if isinstance(deps, list) else deps.keys():
            if dep in services:
                visit(dep, stack | {name})
        seen.add(name)
        order.append(name)

    for name in services:
        visit(name, set())
    return order


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compose", default=os.path.join(REPO, "docker", "docker-compose.yml"))
    ap.add_argument("--node", default=os.environ.get("SOLVENT_NODE"))
    ap.add_argument("--blocks", type=int, default=5, help="finalized height every validator must see")
    ap.add_argument("--timeout", type=int, default=240, help="seconds for the whole check")
    ap.add_argument("--base-port", type=int, default=41000)
    args = ap.parse_args()
    if not args.node or not os.access(args.node, os.X_OK):
        sys.exit(f"compose-native: no solvent-node binary at {args.node!r} (--node or SOLVENT_NODE)")

    compose_dir = os.path.dirname(os.path.abspath(args.compose))
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        subprocess.run([docker, "compose", "-f", args.compose, "config", "-q"], check=True)
        print("compose-native: docker compose config -q: ok")
    elif shutil.which("docker-compose"):
        subprocess.run(["docker-compose", "-f", args.compose, "config", "-q"], check=True)
        print("compose-native: docker-compose config -q: ok")

    with open(args.compose) as f:
        spec = yaml.safe_load(f)
    services = {n: s for n, s in spec["services"].items() if not s.get("profiles")}
    entrypoint = os.path.join(REPO, "docker", "entrypoint.sh")

    # Host ports: three per service, in file order.
    ports = {}
    for i, name in enumerate(services):
        base = args.base_port + 10 * i
        ports[name] = {30333: base, 9944: base + 1, 9615: base + 2}

    def host_rewrite(value):
        for name, p in ports.items():
            for cport, hport in p.items():
                value = value.replace(f"/dns/{name}/tcp/{cport}", f"/ip4/127.0.0.1/tcp/{hport}")
                value = value.replace(f"//{name}:{cport}", f"//127.0.0.1:{hport}")
        return value

    tmp = tempfile.mkdtemp(prefix="solvent-compose-")
    procs = {}
    validators = []
    ok = False
    try:
        for name in start_order(services):
            svc = services[name]
            data = os.path.join(tmp, name)
            os.makedirs(data)
            command = svc.get("command") or []
            if isinstance(command, str):
                command = command.split()
            command = [c.replace("/data", data) if c.startswith("--base-path") else c for c in command]
            env = dict(os.environ)
            env.update({k: host_rewrite(str(v)) for k, v in (svc.get("environment") or {}).items()})
            env.update({"SOLVENT_NODE": args.node, "SOLVENT_DATA": data})
            argv = ["sh", entrypoint, *command,
                    f"--port={ports[name][30333]}", f"--rpc-port={ports[name][9944]}",
                    f"--prometheus-port={ports[name][9615]}"]
            log = open(os.path.join(tmp, f"{name}.log"), "w")
            print(f"compose-native: {name}: {' '.join(command)}")
            procs[name] = (subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True), log)
            if "--validator" in command:
                validators.append(name)
            # A service others depend on must answer RPC before they start (compose starts them
            # in order; the entrypoint then waits for the bootnode itself).
            deadline = time.time() + 60
            while time.time() < deadline:
                if procs[name][0].poll() is not None:
                    raise RuntimeError(f"{name} exited with {procs[name][0].returncode}")
                try:
                    rpc(ports[name][9944], "system_health")
                    break
                except (urllib.error.URLError, OSError, RuntimeError):
                    time.sleep(0.5)
            else:
                raise RuntimeError(f"{name}: no RPC after 60 s")

        if len(validators) != 4:
            raise RuntimeError(f"expected 4 validators in the compose file, found {validators}")
        deadline = time.time() + args.timeout
        status, authors, scanned = {}, set(), 0
        while time.time() < deadline:
            for name, (p, _) in procs.items():
                if p.poll() is not None:
                    raise RuntimeError(f"{name} exited with {p.returncode}")
            for name in validators:
                port = ports[name][9944]
                try:
                    best = int(rpc(port, "chain_getHeader")["number"], 16)
                    fin = int(rpc(port, "chain_getHeader", [rpc(port, "chain_getFinalizedHead")])["number"], 16)
                    peers = rpc(port, "system_health")["peers"]
                except (urllib.error.URLError, OSError, RuntimeError, KeyError):
                    continue
                status[name] = {"best": best, "finalized": fin, "peers": peers, "ready": ready(port)}
            # Who authored the finalized blocks: Aura's slot, round robin over the four.
            if validators[0] in status:
                port = ports[validators[0]][9944]
                while scanned < status[validators[0]]["finalized"]:
                    scanned += 1
                    for log in rpc(port, "chain_getHeader", [rpc(port, "chain_getBlockHash", [scanned])])["digest"]["logs"]:
                        if log.startswith("0x0661757261"):  # PreRuntime(*b"aura", slot): 0x06 "aura" 0x20 u64
                            authors.add(int.from_bytes(bytes.fromhex(log[14:30]), "little") % 4)
            if (len(status) == 4 and len(authors) == 4
                    and all(s["finalized"] >= args.blocks and s["ready"] for s in status.values())):
                ok = True
                break
            time.sleep(2)
        for name in validators:
            print(f"compose-native: {name}: {status.get(name)}")
        if not ok:
            raise RuntimeError(f"in {args.timeout} s: not all validators finalized block {args.blocks}, "
                               f"reported ready and authored a block (authors seen: {len(authors)} of 4)")
        print(f"compose-native: 4 validators finalized block >= {args.blocks}, all ready, each "
              f"authored a finalized block ({scanned} finalized blocks scanned)")
        print("compose-native: ok")
    except RuntimeError as e:
        print(f"compose-native: FAILED: {e}", file=sys.stderr)
        for name in procs:
            with open(os.path.join(tmp, f"{name}.log")) as f:
                tail = f.readlines()[-15:]
            print(f"--- {name} (last lines)\n{''.join(tail)}", file=sys.stderr)
    finally:
        for p, log in procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p, log in procs.values():
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
            log.close()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"compose-native: logs kept in {tmp}", file=sys.stderr)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
