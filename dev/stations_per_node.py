#!/usr/bin/env python3
"""Holds many OCPP 2.0.1 stations on one CSMS node: opens N WebSocket connections from several source addresses
on 127.0.0.0/8 (past the ephemeral port range of one address), boots every station, then keeps them connected for
--hold seconds while each sends a Heartbeat every --heartbeat seconds (a paced load). Prints JSON lines: progress,
"all_up" when every station is connected (or the deadline passed), and "done" with the counts of stations still
connected and the heartbeat answers. Bounded: --hold and --max-seconds, loopback only."""
import argparse
import asyncio
import json
import multiprocessing
import random
import sys
import time
from urllib.parse import urlsplit

from websockets.asyncio.client import connect


async def station(url, sid, source, state, sem, hold_until, heartbeat):
    held = False
    try:
        await sem.acquire()
        held = True
        async with connect(f"{url}/{sid}", subprotocols=["ocpp2.0.1"], open_timeout=60, ping_interval=None,
                           close_timeout=2, compression=None, proxy=None, local_addr=(source, 0),
                           max_size=65536) as ws:
            await ws.send(json.dumps([2, "b", "BootNotification", {
                "chargingStation": {"model": "Node", "vendorName": "Harness"}, "reason": "PowerUp"}]))
            reply = json.loads(await ws.recv())
            if reply[0] != 3 or reply[2].get("status") != "Accepted":
                state["errors"] += 1
                return
            state["up"] += 1
            sem.release()
            held = False
            await asyncio.sleep(random.uniform(0, heartbeat))
            n = 0
            while time.time() < hold_until:
                n += 1
                await ws.send(json.dumps([2, f"h{n}", "Heartbeat", {}]))
                reply = json.loads(await asyncio.wait_for(ws.recv(), 60))
                if reply[0] == 3:
                    state["heartbeats"] += 1
                else:
                    state["errors"] += 1
                await asyncio.sleep(min(heartbeat, max(0.0, hold_until - time.time())))
            state["held"] += 1
    except Exception as e:  # noqa
        state["errors"] += 1
        if state["errors"] <= 3:
            print(json.dumps({"event": "error", "station": sid, "error": repr(e)[:200]}), file=sys.stderr, flush=True)
    finally:
        if held:
            sem.release()


async def run_slice(url, first, count, sources, concurrency, up_deadline, hold, heartbeat, queue):
    state = {"up": 0, "errors": 0, "heartbeats": 0, "held": 0}
    sem = asyncio.Semaphore(concurrency)
    t0 = time.time()
    # Every station of this slice holds until the same moment: all connected, then `hold` seconds.
    hold_until = [t0 + up_deadline + hold]
    tasks = []
    for i in range(first, first + count):
        source = sources[i % len(sources)]
        tasks.append(asyncio.create_task(station(url, f"N{i:07d}", source, state, sem, hold_until[0], heartbeat)))
    last = 0
    while time.time() - t0 < up_deadline + hold + 90 and not all(t.done() for t in tasks):
        await asyncio.sleep(1)
        if time.time() - last >= 5:
            last = time.time()
            queue.put(("progress", first, dict(state)))
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    queue.put(("done", first, dict(state)))


def worker(args):
    url, first, count, sources, concurrency, up_deadline, hold, heartbeat, queue = args
    asyncio.run(run_slice(url, first, count, sources, concurrency, up_deadline, hold, heartbeat, queue))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("-n", type=int, default=10000)
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--sources", type=int, default=8, help="source addresses 127.0.0.2 .. 127.0.0.(1+N)")
    ap.add_argument("--concurrency", type=int, default=100, help="handshakes + boots in flight per process")
    ap.add_argument("--up-seconds", type=float, default=300, help="time allowed to connect everyone")
    ap.add_argument("--hold", type=float, default=60)
    ap.add_argument("--heartbeat", type=float, default=30)
    a = ap.parse_args()
    if urlsplit(a.url).hostname != "127.0.0.1":
        raise SystemExit("loopback only")
    sources = [f"127.0.0.{2 + i}" for i in range(a.sources)]
    queue = multiprocessing.Queue()
    per = (a.n + a.procs - 1) // a.procs
    jobs = []
    for p in range(a.procs):
        first = p * per
        count = min(per, a.n - first)
        if count <= 0:
            break
        jobs.append((a.url.rstrip("/"), first, count, sources, a.concurrency, a.up_seconds, a.hold, a.heartbeat, queue))
    procs = [multiprocessing.Process(target=worker, args=(j,)) for j in jobs]
    t0 = time.time()
    for p in procs:
        p.start()
    states, done, announced = {}, set(), False
    while len(done) < len(procs):
        kind, first, state = queue.get(timeout=a.up_seconds + a.hold + 200)
        states[first] = state
        if kind == "done":
            done.add(first)
        total = {k: sum(s[k] for s in states.values()) for k in ("up", "errors", "heartbeats", "held")}
        if not announced and (total["up"] + total["errors"] >= a.n or time.time() - t0 >= a.up_seconds):
            announced = True
            print(json.dumps({"event": "all_up", **total, "seconds": round(time.time() - t0, 1)}), flush=True)
        elif kind == "progress":
            print(json.dumps({"event": "progress", **total, "seconds": round(time.time() - t0, 1)}), flush=True)
    for p in procs:
        p.join(10)
    total = {k: sum(s[k] for s in states.values()) for k in ("up", "errors", "heartbeats", "held")}
    print(json.dumps({"event": "done", "stations": a.n, **total, "seconds": round(time.time() - t0, 1)}), flush=True)


if __name__ == "__main__":
    main()
