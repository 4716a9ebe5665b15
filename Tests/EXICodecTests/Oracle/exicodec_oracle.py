"""Drives EXIficient through Josev's EXICodec.jar (PyPI iso15118==0.31.2) for the EXI oracle tests.

Usage: python exicodec_oracle.py <EXICodec.jar> <requests.jsonl> <answers.txt>

Each request line is one of
  {"ns": <namespace>, "json": <message JSON in Josev's form>}   EXICodec.encode: the EXI as hex
  {"ns": <namespace>, "decode": <hex>}                          EXICodec.decode: the JSON
  {"grammar": <class>, "xml": <XML text>, "fragment": <bool>}   EXIficient itself, with the grammar class the jar
                                                                 ships (com.siemens.ct.exi.main.generatedgrammar.*)
                                                                 and the factory settings EXICodec uses: the EXI as hex
and gets one answer line, "ERR <reason>" on failure. EXICodec.encode only uses the fragment grammar for the signed
elements it knows (ISO 15118-2: AuthorizationReq, CertificateInstallationReq, ..., SignedInfo; ISO 15118-20:
OEMProvisioningCertificateChain and PnC_AReqAuthorizationMode); the "xml" form reaches the same EXIficient encoder
in fragment mode for the other -20 signed elements (SignedInstallationData, SignedMeteringData, price schedules).
"""
import binascii
import json
import os
import sys

from py4j.java_gateway import JavaGateway


def exificient_encode(jvm, grammar: str, xml: str, fragment: bool) -> str:
    factory = jvm.com.siemens.ct.exi.core.helpers.DefaultEXIFactory.newInstance()
    # The settings of com.siemens.ct.exi.main.cmd.AbstractEXICodec: no string table values, no built-in grammars.
    factory.setValueMaxLength(0)
    factory.setValuePartitionCapacity(0)
    factory.setMaximumNumberOfBuiltInElementGrammars(0)
    factory.setMaximumNumberOfBuiltInProductions(0)
    grammars = getattr(jvm.com.siemens.ct.exi.main.generatedgrammar, grammar)()
    factory.setGrammars(grammars)
    factory.setFragment(fragment)
    output = jvm.java.io.ByteArrayOutputStream()
    result = jvm.com.siemens.ct.exi.main.api.sax.EXIResult(factory)
    result.setOutputStream(output)
    parsers = jvm.javax.xml.parsers.SAXParserFactory.newInstance()
    parsers.setNamespaceAware(True)
    reader = parsers.newSAXParser().getXMLReader()
    reader.setContentHandler(result.getHandler())
    source = jvm.java.io.ByteArrayInputStream(bytearray(xml.encode("utf-8")))
    reader.parse(jvm.org.xml.sax.InputSource(source))
    return binascii.hexlify(bytes(output.toByteArray())).decode()


def answer(jvm, codec, request: dict) -> str:
    if "xml" in request:
        return exificient_encode(jvm, request["grammar"], request["xml"], bool(request.get("fragment")))
    if "decode" in request:
        result = codec.decode(binascii.unhexlify(request["decode"]), request["ns"])
        return result if result is not None else "ERR " + str(codec.get_last_decoding_error())
    result = codec.encode(request["json"], request["ns"])
    if result is None:
        return "ERR " + str(codec.get_last_encoding_error())
    return binascii.hexlify(bytes(result)).decode()


def main() -> None:
    jar, requests_path, answers_path = sys.argv[1], sys.argv[2], sys.argv[3]
    gateway = JavaGateway.launch_gateway(
        classpath=jar, die_on_exit=True, javaopts=["--add-opens", "java.base/java.lang=ALL-UNNAMED"]
    )
    codec = gateway.jvm.com.siemens.ct.exi.main.cmd.EXICodec()
    answers = []
    with open(requests_path, encoding="utf-8") as requests:
        for line in requests:
            if not line.strip():
                continue
            try:
                text = answer(gateway.jvm, codec, json.loads(line))
            except Exception as error:  # noqa: BLE001 - reported to the test as a failed case
                text = "ERR " + str(error).replace("\n", " ")[:300]
            answers.append(text.replace("\n", " "))
    gateway.shutdown()
    # Written at the end and renamed into place, so the reader never sees a partial file.
    with open(answers_path + ".tmp", "w", encoding="utf-8") as out:
        out.write("\n".join(answers) + "\n")
    os.replace(answers_path + ".tmp", answers_path)


if __name__ == "__main__":
    main()
