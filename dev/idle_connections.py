#!/usr/bin/env python3
"""Opens N OCPP 2.0.1 WebSocket connections to a CSMS on 127.0.0.1, boots each station, then holds them idle
for --hold seconds (so that the CSMS's memory per idle connection can be read from /proc). Prints a JSON line
when all are up. Bounded: --hold and --max-seconds."""
import argparse
import asyncio
import json
import sys
import time
from urllib.parse import urlsplit

from websockets.asyncio.client import connect


async def station(url, sid, ready, hold, errors, boot=True, sem=None):
    try:
        await sem.acquire()  # bounds parallel handshakes and boots; released before the idle hold
        async with connect(f"{url}/{sid}", subprotocols=["ocpp2.0.1"], open_timeout=30, ping_interval=None,
                           compression=None, proxy=None) as ws:
            if boot:
                await ws.send(json.dumps([2, "1", "BootNotification", {
                    "chargingStation": {"model": "Idle", "vendorName": "Harness"}, "reason": "PowerUp"}]))
                reply = json.loads(await ws.recv())
                if reply[0] != 3:
                    errors.append(reply)
            ready.append(sid)
            sem.release()
            sem = None
            await asyncio.sleep(hold)
    except Exception as e:  # noqa
        errors.append(repr(e))
    finally:
        if sem is not None:
            sem.release()


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("-n", type=int, default=1000)
    ap.add_argument("--hold", type=float, default=10)
    ap.add_argument("--concurrency", type=int, default=200)
    ap.add_argument("--no-boot", action="store_true", help="only open the WebSocket, send nothing")
    a = ap.parse_args()
    if urlsplit(a.url).hostname != "127.0.0.1":
        raise SystemExit("loopback only")
    ready, errors = [], []
    sem = asyncio.Semaphore(a.concurrency)
    t0 = time.time()

    async def limited(i):
        await station(a.url.rstrip("/"), f"IDLE{i:06d}", ready, a.hold, errors, boot=not a.no_boot, sem=sem)

    tasks = [asyncio.create_task(limited(i)) for i in range(a.n)]
    while len(ready) + len(errors) < a.n and time.time() - t0 < a.hold + 120:
        await asyncio.sleep(0.2)
    print(json.dumps({"event": "all_up", "ready": len(ready), "errors": len(errors), "seconds": round(time.time() - t0, 1)}), flush=True)
    await asyncio.gather(*tasks)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
