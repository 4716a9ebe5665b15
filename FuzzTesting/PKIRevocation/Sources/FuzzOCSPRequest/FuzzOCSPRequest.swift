import Crypto
import Foundation
import FuzzDriver
import V2GPKI
import X509

// Any input: OCSPRequest parsing throws V2GPKIError or succeeds; a successful parse re-encodes and re-parses to the
// same value; the responder always answers a parseable OCSPResponse.
private let responder: OCSPResponder = {
    let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
    let name = try! DistinguishedName { CommonName("Fuzz CA") }
    let ca = try! Certificate(
        version: .v3, serialNumber: Certificate.SerialNumber(1), publicKey: key.publicKey,
        notValidBefore: Date(timeIntervalSince1970: 0), notValidAfter: Date(timeIntervalSince1970: 4_000_000_000),
        issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions(),
        issuerPrivateKey: key)
    return OCSPResponder(
        authorities: [try! OCSPResponder.Authority(issuer: ca, signerKey: key, database: CertificateDatabase())],
        validity: 60)
}()

/// SwiftPM links an executable's entry point as `<target>_main`; hand control to libFuzzer's driver from there.
@_cdecl("FuzzOCSPRequest_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    do {
        let request = try OCSPRequest(derBytes: bytes)
        let again = try OCSPRequest(derBytes: try request.derBytes())
        precondition(again == request, "re-encoding changed the request")
    } catch is V2GPKIError {
    } catch {
        preconditionFailure("untyped error \(error)")
    }
    let answer = responder.respond(to: bytes, now: Date(timeIntervalSince1970: 1_790_000_000))
    precondition((try? OCSPResponse(derBytes: answer)) != nil, "the responder produced an unparseable answer")
    return 0
}
