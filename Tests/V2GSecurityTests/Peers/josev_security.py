"""Drives Josev's iso15118.shared.security (iso15118==0.31.2) for the V2GSecurity cross-checks.

Reads one JSON request from argv[1], prints one JSON answer. Byte strings travel as hex.
  verify:       {op, id, exi, digest, signature, cert}           -> {ok}
  sign:         {op, id, exi, key}                               -> {digest, signature}
  decrypt:      {op, encrypted, dh, key}                         -> {scalar}
  encrypt:      {op, cert, scalar}                               -> {encrypted, dh}
"""
import json
import logging
import sys

logging.disable(logging.CRITICAL)

from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from iso15118.shared import security  # noqa: E402
from iso15118.shared.exi_codec import EXI  # noqa: E402
from iso15118.shared.exificient_exi_codec import ExificientEXICodec  # noqa: E402
from iso15118.shared.settings import SettingKey, shared_settings  # noqa: E402
from iso15118.shared.messages.xmldsig import (  # noqa: E402
    CanonicalizationMethod, DigestMethod, Reference, Signature, SignatureMethod, SignatureValue, SignedInfo,
    Transform, Transforms)

C14N = "http://www.w3.org/TR/canonical-exi/"


def req_needs_exi(raw):
    return json.loads(raw)["op"] in ("verify", "sign")


def main():
    shared_settings.update({SettingKey.MESSAGE_LOG_JSON: False, SettingKey.MESSAGE_LOG_EXI: False})
    if req_needs_exi(sys.argv[1]):
        EXI().set_exi_codec(ExificientEXICodec())  # EXIficient in Josev's EXICodec.jar, through java
    req = json.loads(sys.argv[1])
    op = req["op"]
    h = bytes.fromhex
    if op == "verify":
        sig = Signature(
            SignedInfo=SignedInfo(
                CanonicalizationMethod=CanonicalizationMethod(Algorithm=C14N),
                SignatureMethod=SignatureMethod(Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"),
                Reference=[Reference(
                    URI="#" + req["id"], Transforms=Transforms(Transform=[Transform(Algorithm=C14N)]),
                    DigestMethod=DigestMethod(Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"),
                    DigestValue=h(req["digest"]))]),
            SignatureValue=SignatureValue(value=h(req["signature"])))
        ok = security.verify_signature(sig, [(req["id"], h(req["exi"]))], h(req["cert"]))
        print(json.dumps({"ok": bool(ok)}))
    elif op == "sign":
        key = ec.derive_private_key(int(req["key"], 16), ec.SECP256R1())
        sig = security.create_signature([(req["id"], h(req["exi"]))], key)
        print(json.dumps({"digest": bytes(sig.signed_info.reference[0].digest_value).hex(),
                          "signature": bytes(sig.signature_value.value).hex()}))
    elif op == "decrypt":
        key = ec.derive_private_key(int(req["key"], 16), ec.SECP256R1())
        peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), h(req["dh"]))
        print(json.dumps({"scalar": security.decrypt_priv_key(h(req["encrypted"]), key, peer).hex()}))
    elif op == "encrypt":
        key = ec.derive_private_key(int(req["scalar"], 16), ec.SECP256R1())
        dh, enc = security.encrypt_priv_key(h(req["cert"]), key)
        print(json.dumps({"encrypted": enc.hex(), "dh": dh.hex()}))
    else:
        raise SystemExit("unknown op " + op)


main()
