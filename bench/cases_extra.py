"""Cases 7 (hashing) and 8 (remote cache) of the benchmark; run.py's Bench drives them."""

import glob
import os
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Azurite's well-known development account (public, in every Azure SDK's documentation).
ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def rm(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def throughput_note(row, mib, files=None):
    parts = []
    for t, r in row["tools"].items():
        if r["median_s"]:
            parts.append(f"{t} {mib / r['median_s']:.0f} MiB/s"
                         + (f" ({files / r['median_s']:.0f} files/s)" if files and files > 1
                            else ""))
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------
# 7. Hashing.

def make_hash_data(ws, count, size):
    marker = os.path.join(ws, f"data-{count}x{size}.done")
    if os.path.exists(marker):
        return
    rm(os.path.join(ws, "data"))
    for i in range(count):
        sub = os.path.join(ws, "data", f"d{i // 1000:03d}")
        if i % 1000 == 0:
            os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"f{i:06d}.bin"), "wb") as f:
            left = size
            while left > 0:
                n = min(left, 64 << 20)
                f.write(os.urandom(n))
                left -= n
    open(marker, "w").close()


def run_hash_cases(bench):
    """luisy has no command that only hashes: what it does when it hashes is a no-op build of
    a task whose inputs are the files, after .luisy/stats (the stat cache) is deleted, so
    every input is read and hashed again and the key found unchanged (nothing runs)."""
    a = bench.a
    total = a.hash_mib << 20
    sets = [("large", 4, total // 4), ("small", a.hash_small_files, total // a.hash_small_files)]
    tools = ["luisy", "cat", "xxhsum", "xxhsum-2proc"]
    for name, count, size in sets:
        ws = os.path.join(a.work, "hash", name)
        os.makedirs(ws, exist_ok=True)
        bench.log(f"== hashing, {name}: {count} files of {size} bytes")
        make_hash_data(ws, count, size)
        write(os.path.join(ws, "pipeline.yaml"),
              "luisy: 1\nproject: hash\ntasks:\n  Hash:\n    cmd: echo hashed > {out}\n"
              "    inputs: [\"data/**/*.bin\"]\n    outputs: [hashed.txt]\n")
        find = "find data -type f -print0 | xargs -0"
        argv = {
            "luisy": [a.luisy, "build"],
            "cat": ["sh", "-c", f"{find} cat > /dev/null"],
            "xxhsum": ["sh", "-c", f"{find} xxhsum -H2 > /dev/null"],
            # Both cores: the best that two processes of a single-threaded hasher reach.
            "xxhsum-2proc": ["sh", "-c",
                             f"{find} -P2 -n {max(1, (count + 1) // 2)} xxhsum -H2 > /dev/null"],
        }
        env = dict(os.environ, LUISY_CACHE_DIR=os.path.join(ws, "luisy-cache"))

        def setup(t, ws=ws, env=env):
            if t == "luisy":
                rm(os.path.join(ws, ".luisy"))
                rm(os.path.join(ws, "hashed.txt"))
                bench.run(argv["luisy"], ws, env, f"hash-{name}-setup", None)

        def prepare(t, rnd, ws=ws):
            if t == "luisy":
                rm(os.path.join(ws, ".luisy", "stats"))

        bench.measure_round_robin(
            f"hash:{name}", count, tools, setup, prepare, lambda t: argv[t], lambda t: ws,
            lambda t: env,
            note=f"{a.hash_mib} MiB in {count} files, warm page cache; luisy: no-op build with "
                 f".luisy/stats deleted")
        row = bench.rows[-1]
        row["note"] += "; " + throughput_note(row, a.hash_mib)


# ---------------------------------------------------------------------------------------------
# 8. Remote cache against Azurite.

class Azurite:
    def __init__(self, work, debug_log=None, location=None):
        self.bin = os.path.join(ROOT, "tests", "node_modules", ".bin", "azurite-blob")
        if not os.path.exists(self.bin):
            raise RuntimeError(f"{self.bin} not found (scripts/setup installs it)")
        self.location = location or os.path.join(work, "azurite")
        if location is None:
            rm(self.location)
        os.makedirs(self.location, exist_ok=True)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        argv = [self.bin, "--blobHost", "127.0.0.1", "--blobPort", str(self.port),
                "--location", self.location, "--disableTelemetry", "--silent", "--loose",
                # The SDK speaks a newer API version than the pinned Azurite knows.
                "--skipApiVersionCheck"]
        if debug_log:
            argv += ["--debug", debug_log]
        self.log = open(os.path.join(work, "logs", "azurite.log"), "ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("Azurite did not start; see logs/azurite.log")
                time.sleep(0.1)
        self.endpoint = f"http://127.0.0.1:{self.port}/{ACCOUNT}"
        self.work = work

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def remote_env(azurite, transfers):
    env = dict(os.environ)
    for k in ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
              "ALL_PROXY", "LUISY_REMOTE", "AZURE_STORAGE_CONNECTION_STRING",
              "LUISY_AZURE_SAS_TOKEN"]:
        env.pop(k, None)
    env.update({
        "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
        "LUISY_AZURE_ACCOUNT_NAME": ACCOUNT, "LUISY_AZURE_STORAGE_KEY": KEY,
        "LUISY_AZURE_ENDPOINT": azurite.endpoint,
        # With a remote, luisy keeps what it downloads in its local content store too: it
        # lives in the bench's work directory and is emptied before every timed round.
        "LUISY_CACHE_DIR": os.path.join(azurite.work, "luisy-remote-cache"),
        "BENCH_CONCURRENCY": str(transfers),
        "NODE_PATH": os.path.join(HERE, "node_modules"),
    })
    sdk_env = dict(env)
    sdk_env["AZURE_STORAGE_CONNECTION_STRING"] = (
        f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={KEY};"
        f"BlobEndpoint={azurite.endpoint};")
    return env, sdk_env


def file_list(ws, rel_dir, list_path):
    """Writes NAME<TAB>SIZE lines of every file under ws/rel_dir; returns (count, bytes)."""
    lines, total = [], 0
    for p in sorted(glob.glob(os.path.join(ws, rel_dir, "**"), recursive=True)):
        if os.path.isfile(p):
            size = os.path.getsize(p)
            lines.append(f"{os.path.relpath(p, ws)}\t{size}")
            total += size
    write(list_path, "\n".join(lines) + "\n")
    return len(lines), total


def run_remote_cases(bench):
    a = bench.a
    base = os.path.join(a.work, "remote")
    os.makedirs(base, exist_ok=True)
    sdk = os.path.join(HERE, "remote", "sdk.js")
    if not os.path.isdir(os.path.join(HERE, "node_modules", "@azure", "storage-blob")):
        raise RuntimeError("bench/node_modules lacks @azure/storage-blob: run npm ci in bench/")
    azurite = Azurite(a.work)
    env, sdk_env = remote_env(azurite, a.transfers)
    T = str(a.transfers)
    try:
        def delete_container(name):
            subprocess.run(["node", sdk, "delete", name], env=sdk_env, check=True,
                           stdout=subprocess.DEVNULL)

        sets = [("large", f"head -c {a.remote_mib << 20} /dev/urandom > {{out}}",
                 "out/big.bin", [], "out"),
                ("small", f"python3 make_files.py {{out}} {a.remote_small_files} 4096",
                 "out/many/", ["make_files.py"], "out")]
        for name, cmd, output, inputs, out_dir in sets:
            up = os.path.join(base, name, "up")
            down = os.path.join(base, name, "down")
            sdk_down = os.path.join(base, name, "sdk-down")
            for d in (up, down, sdk_down):
                os.makedirs(d, exist_ok=True)
            pipeline = ("luisy: 1\nproject: bench\ntasks:\n  Data:\n"
                        f"    cmd: {cmd}\n"
                        + (f"    inputs: [{', '.join(inputs)}]\n" if inputs else "")
                        + f"    outputs: [\"{output}\"]\n")
            for d in (up, down):
                write(os.path.join(d, "pipeline.yaml"), pipeline)
                for i in inputs:
                    shutil.copy(os.path.join(HERE, "remote", i), d)
            bench.log(f"== remote, {name}: making the data")
            if not os.path.exists(os.path.join(up, output)):
                rm(os.path.join(up, ".luisy"))
                bench.run([a.luisy, "build"], up, env, f"remote-{name}-make", None)
            listing = os.path.join(base, name, "list.txt")
            count, nbytes = file_list(up, out_dir, listing)
            mib = nbytes / 2**20
            what = f"{count} files, {mib:.0f} MiB, --transfers {T}"

            # Upload: each round into a new container (the previous one is deleted first).
            containers = {}

            def prep_up(t, rnd, name=name):
                if t in containers:
                    delete_container(containers[t])
                containers[t] = f"up-{name}-{t}-{rnd}"

            def argv_up(t, up=up, listing=listing):
                if t == "luisy":
                    return [a.luisy, "build", "--upload", "--transfers", T]
                return ["node", sdk, "upload", containers[t], up, listing]

            def env_up(t):
                e = dict(env if t == "luisy" else sdk_env)
                e["LUISY_AZURE_CONTAINER_NAME"] = containers[t]
                return e

            bench.log(f"== remote, {name}: upload")
            bench.measure_round_robin(f"remote:up-{name}", count, ["luisy", "sdk"],
                                      lambda t: None, prep_up, argv_up, lambda t: up, env_up,
                                      note=what)
            row = bench.rows[-1]
            row["note"] += "; " + throughput_note(row, mib, count)
            for c in containers.values():
                delete_container(c)

            # Download: from a container each tool filled once, into an emptied workspace.
            src = {"luisy": f"down-{name}-luisy", "sdk": f"down-{name}-sdk"}

            def setup_down(t, up=up, listing=listing, name=name):
                if t == "luisy":
                    e = dict(env, LUISY_AZURE_CONTAINER_NAME=src[t])
                    bench.run([a.luisy, "build", "--upload", "--transfers", T], up, e,
                              f"remote-{name}-seed", None)
                else:
                    bench.run(["node", sdk, "upload", src[t], up, listing], up, sdk_env,
                              f"remote-{name}-seed-sdk", None)

            def prep_down(t, rnd, down=down, sdk_down=sdk_down):
                if t == "luisy":
                    rm(env["LUISY_CACHE_DIR"])
                    rm(os.path.join(down, ".luisy"))
                    rm(os.path.join(down, "out"))
                else:
                    rm(os.path.join(sdk_down, "out"))

            def argv_down(t, sdk_down=sdk_down, listing=listing):
                if t == "luisy":
                    return [a.luisy, "build", "--download", "--transfers", T]
                return ["node", sdk, "download", src[t], sdk_down, listing]

            def env_down(t):
                e = dict(env if t == "luisy" else sdk_env)
                e["LUISY_AZURE_CONTAINER_NAME"] = src[t]
                return e

            bench.log(f"== remote, {name}: download")
            bench.measure_round_robin(f"remote:down-{name}", count, ["luisy", "sdk"],
                                      setup_down, prep_down, argv_down,
                                      lambda t, down=down, sdk_down=sdk_down:
                                      down if t == "luisy" else sdk_down,
                                      env_down, note=what)
            row = bench.rows[-1]
            row["note"] += "; " + throughput_note(row, mib, count)
            # The downloads must have come from the remote, not from running the command.
            with open(os.path.join(a.work, "logs", f"{count}-remote:down-{name}-luisy.log")) as f:
                tail = f.read().strip().splitlines()[-1:]
            row["note"] += f"; luisy's last line: `{tail[0] if tail else ''}`"
            for c in src.values():
                delete_container(c)
            rm(os.path.join(down, "out"))
            rm(os.path.join(sdk_down, "out"))

        run_download_final(bench, azurite, env)
    finally:
        azurite.stop()


def run_download_final(bench, azurite, env):
    """`luisy build --download FINAL` of the generated pipeline into an empty workspace."""
    a = bench.a
    size = a.remote_pipeline
    tmpl = os.path.join(a.work, f"g{size}", "template")
    if not os.path.exists(os.path.join(tmpl, "meta.json")):
        subprocess.run([sys.executable, os.path.join(HERE, "gen_pipeline.py"), tmpl,
                        "--tasks", str(size)], check=True)
    import json
    with open(os.path.join(tmpl, "meta.json")) as f:
        meta = json.load(f)
    base = os.path.join(a.work, "remote", f"final{size}")
    up, down = os.path.join(base, "up"), os.path.join(base, "down")
    for d in (up, down):
        if not os.path.exists(os.path.join(d, "src")):
            os.makedirs(d, exist_ok=True)
            shutil.copytree(os.path.join(tmpl, "src"), os.path.join(d, "src"))
        shutil.copy(os.path.join(tmpl, "pipeline.yaml"), d)
    e = dict(env, LUISY_AZURE_CONTAINER_NAME="final")
    bench.log(f"== remote, --download of the final task of {size} tasks: building and uploading")
    bench.run([a.luisy, "build", "-j", str(a.jobs)], up, e, "remote-final-build", None)
    bench.run([a.luisy, "build", "--upload", "--transfers", str(a.transfers)], up, e,
              "remote-final-upload", None)

    def prep(t, rnd):
        rm(env["LUISY_CACHE_DIR"])
        rm(os.path.join(down, ".luisy"))
        rm(os.path.join(down, "out"))

    argv = [a.luisy, "build", "--download", "--transfers", str(a.transfers), meta["final_task"]]
    bench.measure_round_robin("remote:download-final", size, ["luisy"], lambda t: None, prep,
                              lambda t: argv, lambda t: down, lambda t: e,
                              note=f"`luisy build --download {meta['final_task']}` into a "
                                   "workspace with the sources only")
    row = bench.rows[-1]
    with open(os.path.join(a.work, "logs", f"{size}-remote:download-final-luisy.log")) as f:
        tail = f.read().strip().splitlines()[-1:]
    row["note"] += f"; last line: `{tail[0] if tail else ''}`"
    # Requests: one more run against Azurite restarted with its debug log on the same data.
    azurite.stop()
    debug = os.path.join(a.work, "logs", "azurite-debug.log")
    rm(debug)
    counted = Azurite(a.work, debug_log=debug, location=azurite.location)
    try:
        e2 = dict(e, LUISY_AZURE_ENDPOINT=counted.endpoint)
        prep("luisy", 0)
        bench.run(argv, down, e2, "remote-final-count", None)
    finally:
        counted.stop()
    methods = {}
    with open(debug, errors="replace") as f:
        for line in f:
            i = line.find("RequestMethod=")
            if i >= 0 and "BlobStorageContextMiddleware" in line:
                m = line[i + len("RequestMethod="):].split()[0].rstrip(",")
                methods[m] = methods.get(m, 0) + 1
    row["requests"] = methods
    row["note"] += "; requests (one extra run, Azurite --debug): " + (
        ", ".join(f"{n} {m}" for m, n in sorted(methods.items())) or "not counted")
    # The caller's Azurite is stopped already; make its stop() harmless.
    azurite.proc = counted.proc
    azurite.log = open(os.devnull, "ab")
