"""Drives EXIficient through Josev's EXICodec.jar (PyPI iso15118==0.31.2) for the EXI oracle tests.

Reads JSON lines {"ns": <namespace>, "json": <message JSON in Josev's form>} or {"ns": ..., "decode": <hex>}
from stdin and prints one line per request: the EXI as hex, the decoded JSON, or "ERR <reason>".
Usage: python exicodec_oracle.py <EXICodec.jar>
"""
import binascii
import json
import sys

from py4j.java_gateway import JavaGateway


def main() -> None:
    gateway = JavaGateway.launch_gateway(
        classpath=sys.argv[1], die_on_exit=True, javaopts=["--add-opens", "java.base/java.lang=ALL-UNNAMED"]
    )
    codec = gateway.jvm.com.siemens.ct.exi.main.cmd.EXICodec()
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        try:
            if "decode" in request:
                result = codec.decode(binascii.unhexlify(request["decode"]), request["ns"])
                print(result if result is not None else "ERR " + str(codec.get_last_decoding_error()))
            else:
                result = codec.encode(request["json"], request["ns"])
                if result is None:
                    print("ERR " + str(codec.get_last_encoding_error()))
                else:
                    print(binascii.hexlify(bytes(result)).decode())
        except Exception as error:  # noqa: BLE001 - reported to the test as a failed case
            print("ERR " + str(error).replace("\n", " ")[:300])
        sys.stdout.flush()
    gateway.shutdown()


if __name__ == "__main__":
    main()
