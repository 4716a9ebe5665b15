"""Times Josev's EXICodec.jar (EXIficient, PyPI iso15118==0.31.2) on the messages of `pnc bench exi`.

Usage: python bench-exi-exicodec.py <EXICodec.jar> <ours.hex> <rounds> [<warm-up calls> [<warm-up seconds>]]

ours.hex holds lines "name<TAB>hex" (`exi-bench --hex`). For each message the jar decodes our bytes to its JSON,
encodes that JSON again (the bytes must be ours: reported as identical or MISMATCH), and both calls are timed as
Josev calls them, through py4j from Python, by the method the Swift and C sides use: the mean wall time per call over
a batch of `rounds` consecutive calls, best of three batches. The fastest single call is printed too.

Each message and direction is timed twice. Early: after one warm-up call, as in a process that has handled a few
messages. Steady: after `warm-up calls` more calls (default 1000, at most `warm-up seconds`, default 10), when the
JVM has compiled the codec's hot paths; the jar's SupportedAppProtocol handling gets four to nine times faster by then.
Prints "name<TAB>steady encode ns<TAB>steady decode ns<TAB>identical|MISMATCH|ERR ...<TAB>fastest steady encode
call ns<TAB>fastest steady decode call ns<TAB>early encode ns<TAB>early decode ns<TAB>warm-up calls (enc/dec)".
"""
import binascii
import sys
import time

from py4j.java_gateway import JavaGateway

NAMESPACES = {
    "SupportedAppProtocolReq": "urn:iso:15118:2:2010:AppProtocol",
    "-20 DC_ChargeLoopReq": "urn:iso:std:iso:15118:-20:DC",
}
ISO2 = "urn:iso:15118:2:2013:MsgDef"


def measure(rounds: int, call) -> tuple[float, float]:
    """(best of three batch means, fastest single call), in ns."""
    best_mean, fastest = float("inf"), float("inf")
    for _ in range(3):
        batch_start = time.perf_counter_ns()
        for _ in range(rounds):
            start = time.perf_counter_ns()
            call()
            fastest = min(fastest, time.perf_counter_ns() - start)
        best_mean = min(best_mean, (time.perf_counter_ns() - batch_start) / rounds)
    return best_mean, fastest


def warm_up(calls: int, seconds: float, call) -> int:
    """Makes up to `calls` calls, stopping after `seconds`; returns how many were made."""
    deadline = time.monotonic() + seconds
    made = 0
    while made < calls and time.monotonic() < deadline:
        call()
        made += 1
    return made


def main() -> None:
    jar, hex_path, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    warm_calls = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    warm_seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 10.0
    gateway = JavaGateway.launch_gateway(
        classpath=jar, die_on_exit=True, javaopts=["--add-opens", "java.base/java.lang=ALL-UNNAMED"]
    )
    codec = gateway.jvm.com.siemens.ct.exi.main.cmd.EXICodec()
    for line in open(hex_path, encoding="utf-8"):
        name, _, text = line.rstrip("\n").partition("\t")
        if not text:
            continue
        ns = NAMESPACES.get(name, ISO2)
        exi = binascii.unhexlify(text)
        message = codec.decode(exi, ns)
        if message is None:
            print(f"{name}\t-\t-\tERR decode: {codec.get_last_decoding_error()}")
            continue
        again = codec.encode(message, ns)
        if again is None:
            print(f"{name}\t-\t-\tERR encode: {codec.get_last_encoding_error()}")
            continue
        verdict = "identical" if bytes(again) == exi else "MISMATCH " + binascii.hexlify(bytes(again)).decode()
        # One untimed call each way before the early timing (class loading, first compilation).
        codec.decode(exi, ns)
        codec.encode(message, ns)
        decode_early, _ = measure(rounds, lambda: codec.decode(exi, ns))
        encode_early, _ = measure(rounds, lambda: codec.encode(message, ns))
        warm_decode = warm_up(warm_calls, warm_seconds, lambda: codec.decode(exi, ns))
        warm_encode = warm_up(warm_calls, warm_seconds, lambda: codec.encode(message, ns))
        decode, decode_fastest = measure(rounds, lambda: codec.decode(exi, ns))
        encode, encode_fastest = measure(rounds, lambda: codec.encode(message, ns))
        print(
            f"{name}\t{encode:.0f}\t{decode:.0f}\t{verdict}\t{encode_fastest:.0f}\t{decode_fastest:.0f}"
            f"\t{encode_early:.0f}\t{decode_early:.0f}\t{warm_encode}/{warm_decode}",
            flush=True,
        )
    gateway.shutdown()


if __name__ == "__main__":
    main()
