"""Times Josev's EXICodec.jar (EXIficient, PyPI iso15118==0.31.2) on the messages of `pnc bench exi`.

Usage: python bench-exi-exicodec.py <EXICodec.jar> <ours.hex> <rounds>

ours.hex holds lines "name<TAB>hex" (`exi-bench --hex`). For each message the jar decodes our bytes to its JSON,
encodes that JSON again (the bytes must be ours: reported as identical or MISMATCH), and both calls are timed as
Josev calls them, through py4j from Python, by the method the Swift and C sides use: the mean wall time per call over
a batch of `rounds` consecutive calls, best of three batches. The fastest single call is printed too. Prints
"name<TAB>encode ns<TAB>decode ns<TAB>identical|MISMATCH|ERR ...<TAB>fastest encode call ns<TAB>fastest decode call ns".
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


def main() -> None:
    jar, hex_path, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
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
        # One untimed round each way warms the JIT, as a long-running Josev process would be.
        codec.decode(exi, ns)
        codec.encode(message, ns)
        decode, decode_fastest = measure(rounds, lambda: codec.decode(exi, ns))
        encode, encode_fastest = measure(rounds, lambda: codec.encode(message, ns))
        print(f"{name}\t{encode:.0f}\t{decode:.0f}\t{verdict}\t{encode_fastest:.0f}\t{decode_fastest:.0f}", flush=True)
    gateway.shutdown()


if __name__ == "__main__":
    main()
