"""Studio load benchmark: N concurrent compose requests against `musicgrammar serve` on a real socket.

Starts the server as a separate process on a free 127.0.0.1 port, measures status-call latency on
the idle server, then fires N compose requests at once from N client threads while pollers keep
calling `GET /api/jobs/{job}`; waits until every job has ended. Writes benchmarks/results/server.md.

    .venv/bin/python benchmarks/server.py [--requests 20] [--concurrency 1] [--max-iters 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = [
    "a minuet in F major", "a polka in A major, no drums", "a slip jig for tin whistle", "a slow lament in D dorian",
    "a frantic chase in 7/8", "a 12-bar blues in E", "a lullaby for music box", "a march for brass and timpani",
    "a waltz for piano and cello", "a hymn in Eb major", "a reel for fiddle", "a nocturne for piano",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _status_latencies(client: httpx.Client, url: str, job: str, seconds: float) -> list[float]:
    out = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        client.get(f"{url}/api/jobs/{job}").raise_for_status()
        out.append((time.perf_counter() - t) * 1000)
        time.sleep(0.02)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=1, help="the server's --concurrency")
    parser.add_argument("--max-iters", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "server.md")
    args = parser.parse_args()

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    runs = Path(tempfile.mkdtemp(prefix="musicgrammar-bench-server-"))
    env = os.environ | {"CI": "true"}
    server = subprocess.Popen([sys.executable, "-m", "musicgrammar", "serve", "--port", str(port), "--runs", str(runs),
                               "--concurrency", str(args.concurrency)], cwd=ROOT, env=env)  # fmt: skip
    try:
        with httpx.Client(timeout=60) as client:
            started = time.perf_counter()
            while True:
                try:
                    client.get(f"{url}/api/health").raise_for_status()
                    break
                except httpx.TransportError:
                    if time.perf_counter() - started > 60 or server.poll() is not None:
                        raise SystemExit("the server did not start")
                    time.sleep(0.1)
            startup_s = time.perf_counter() - started

            # baseline: status calls on a finished job while no run is going (also warms the models once)
            probe = client.post(f"{url}/api/compose", json={"prompt": "a short hymn", "max_iters": 1, "audio": False}).json()["job"]
            while client.get(f"{url}/api/jobs/{probe}").json()["status"] not in ("done", "failed"):
                time.sleep(0.2)
            idle = _status_latencies(client, url, probe, 3.0)

        # the load: N clients post at once, pollers follow every job until all have ended
        barrier = threading.Barrier(args.requests)

        def post(i: int) -> tuple[int, float, str | None]:
            body = {"prompt": PROMPTS[i % len(PROMPTS)], "seed": i, "max_iters": args.max_iters}
            with httpx.Client(timeout=60) as c:
                barrier.wait()
                t = time.perf_counter()
                r = c.post(f"{url}/api/compose", json=body)
                return r.status_code, (time.perf_counter() - t) * 1000, r.json().get("job") if r.status_code == 202 else None

        load_started = time.perf_counter()
        with ThreadPoolExecutor(args.requests) as pool:
            posted = list(pool.map(post, range(args.requests)))
        jobs = [job for _, _, job in posted if job]
        latencies: list[float] = []
        final: dict[str, dict] = {}
        lock = threading.Lock()

        def poll(offset: int) -> None:
            with httpx.Client(timeout=60) as c:
                i = offset
                while len(final) < len(jobs):
                    job = jobs[i % len(jobs)]
                    i += 1
                    t = time.perf_counter()
                    r = c.get(f"{url}/api/jobs/{job}")
                    ms = (time.perf_counter() - t) * 1000
                    with lock:
                        latencies.append(ms)
                        if r.status_code != 200:
                            final[job] = {"status": f"HTTP {r.status_code}"}
                        elif r.json()["status"] in ("done", "failed"):
                            final[job] = r.json()
                    time.sleep(0.05)

        pollers = [threading.Thread(target=poll, args=(k,)) for k in range(4)]
        for t in pollers:
            t.start()
        for t in pollers:
            t.join()
        load_s = time.perf_counter() - load_started
        health = httpx.get(f"{url}/api/health").json()
    finally:
        server.terminate()
        server.wait(timeout=30)

    codes = [code for code, _, _ in posted]
    statuses = [final[j]["status"] for j in jobs]
    run_s = [final[j]["result"]["seconds"] for j in jobs if final[j].get("result")]
    waits = [final[j]["started"] - final[j]["created"] for j in jobs if final[j].get("started")]
    post_ms = [ms for _, ms, _ in posted]
    lines = [
        "## Studio: concurrent compose requests against `musicgrammar serve`",
        "",
        f"Command: `.venv/bin/python benchmarks/server.py --requests {args.requests} --concurrency {args.concurrency} "
        f"--max-iters {args.max_iters}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.machine()}, "
        f"{os.cpu_count()} CPU cores (shared; 1-minute load average {os.getloadavg()[0]:.1f} at the end). The server is a separate "
        f"process on 127.0.0.1 (started in {startup_s:.1f} s; the first, unmeasured compose loads the models); {args.requests} client threads post at once "
        f"(audio rendered, engine `local`), 4 pollers call `GET /api/jobs/{{job}}` every 50 ms until every job has ended.",
        "",
        "| requests | accepted (202) | other HTTP codes | jobs done | jobs failed | all ended after s | run s median (max) | queue wait s max |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
        f"| {args.requests} | {codes.count(202)} | {sorted(set(c for c in codes if c != 202)) or 'none'} | {statuses.count('done')} | "
        f"{sum(1 for s in statuses if s != 'done')} | {load_s:.1f} | {statistics.median(run_s):.2f} ({max(run_s):.2f}) | {max(waits):.1f} |",
        "",
        "Latency in milliseconds, measured side by side in this run:",
        "",
        "| call | n | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|",
        f"| `GET /api/jobs/{{job}}`, idle server | {len(idle)} | {_pct(idle, .5):.1f} | {_pct(idle, .95):.1f} | {max(idle):.1f} |",
        f"| `GET /api/jobs/{{job}}`, under the load | {len(latencies)} | {_pct(latencies, .5):.1f} | {_pct(latencies, .95):.1f} | {max(latencies):.1f} |",
        f"| `POST /api/compose` (all {args.requests} at once) | {len(post_ms)} | {_pct(post_ms, .5):.1f} | {_pct(post_ms, .95):.1f} | {max(post_ms):.1f} |",
        "",
        f"Server health afterwards: `{health['status']}`, jobs {health['jobs']}. With `--concurrency {args.concurrency}` at most "
        f"{args.concurrency} run(s) go at once and the rest wait in the queue; "
        "status calls are answered by the event loop meanwhile "
        "(the runs execute in worker threads, so a status call competes with them for the CPU and the GIL).",
    ]
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    if codes.count(202) != args.requests or any(s != "done" for s in statuses):
        raise SystemExit("some requests were not accepted or some jobs did not finish")


if __name__ == "__main__":
    main()
