#!/usr/bin/env python3
"""OCPP 1.6J charge point built with mobilityhouse `ocpp` (v16): boots, reports Available, authorizes an idTag,
runs a transaction (StartTransaction, MeterValues, StopTransaction) and reports Available again.
Every answer must be a CALLRESULT with the expected status; exit code 0 and "OCPP16 RUN PASSED" on success.
Targets 127.0.0.1 only."""
import argparse
import asyncio
import sys
from datetime import datetime, timezone
from urllib.parse import urlsplit

from ocpp.v16 import ChargePoint, call
from websockets.asyncio.client import connect


def now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def scenario(cp, tag, failures):
    async def step(name, payload, check):
        try:
            result = await cp.call(payload, suppress=False)
        except Exception as e:  # CALLERROR or validation error
            failures.append(f"{name}: {type(e).__name__}: {e}")
            print(f"[FAIL] {name}: {e}", flush=True)
            return None
        problem = check(result)
        if problem:
            failures.append(f"{name}: {problem}")
        print(f"[{'FAIL' if problem else 'PASS'}] {name} {result}", flush=True)
        return result

    await step("BootNotification", call.BootNotification(charge_point_model="PnC-16", charge_point_vendor="Harness"),
               lambda r: None if r.status == "Accepted" else f"status {r.status}")
    await step("StatusNotification(Available)", call.StatusNotification(
        connector_id=1, error_code="NoError", status="Available", timestamp=now()), lambda r: None)
    await step("Authorize", call.Authorize(id_tag=tag),
               lambda r: None if r.id_tag_info["status"] == "Accepted" else f"idTagInfo {r.id_tag_info}")
    start = await step("StartTransaction", call.StartTransaction(connector_id=1, id_tag=tag, meter_start=1000, timestamp=now()),
                       lambda r: None if r.id_tag_info["status"] == "Accepted" and r.transaction_id > 0 else f"{r}")
    if start is None:
        return
    tx = start.transaction_id
    await step("StatusNotification(Charging)", call.StatusNotification(
        connector_id=1, error_code="NoError", status="Charging", timestamp=now()), lambda r: None)
    await step("MeterValues", call.MeterValues(connector_id=1, transaction_id=tx, meter_value=[{
        "timestamp": now(), "sampledValue": [{"value": "2500", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]),
        lambda r: None)
    await step("Heartbeat", call.Heartbeat(), lambda r: None if r.current_time else "no time")
    await step("StopTransaction", call.StopTransaction(meter_stop=4000, timestamp=now(), transaction_id=tx, id_tag=tag, reason="EVDisconnected"),
               lambda r: None if (r.id_tag_info or {}).get("status") == "Accepted" else f"{r}")
    await step("StatusNotification(Available)", call.StatusNotification(
        connector_id=1, error_code="NoError", status="Available", timestamp=now()), lambda r: None)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--station-id", default="CP16-001")
    ap.add_argument("--id-tag", default="TAG-16-0001")
    a = ap.parse_args()
    if urlsplit(a.url).hostname != "127.0.0.1":
        raise SystemExit("loopback only")
    failures = []
    async with connect(a.url.rstrip("/") + "/" + a.station_id, subprotocols=["ocpp1.6"], open_timeout=10, proxy=None) as ws:
        if ws.subprotocol != "ocpp1.6":
            print(f"subprotocol not negotiated: {ws.subprotocol}")
            return 1
        cp = ChargePoint(a.station_id, ws, response_timeout=10)
        reader = asyncio.create_task(cp.start())
        try:
            await scenario(cp, a.id_tag, failures)
        finally:
            reader.cancel()
    if failures:
        print("OCPP16 RUN FAILED:", *failures, sep="\n  ")
        return 1
    print("OCPP16 RUN PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
