import Crypto
import Foundation
import FuzzDriver
import V2GPKI
import X509

// Any input: OCSPResponse parsing and verification throw V2GPKIError or succeed; a successful parse re-encodes to a
// value that parses equal.
private let issuer: Certificate = {
    let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
    let name = try! DistinguishedName { CommonName("Fuzz CA") }
    return try! Certificate(
        version: .v3, serialNumber: Certificate.SerialNumber(1), publicKey: key.publicKey,
        notValidBefore: Date(timeIntervalSince1970: 0), notValidAfter: Date(timeIntervalSince1970: 4_000_000_000),
        issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions(),
        issuerPrivateKey: key)
}()
private let certID = try! OCSPCertID(issuer: issuer, serialNumber: Certificate.SerialNumber(2))

/// SwiftPM links an executable's entry point as `<target>_main`; hand control to libFuzzer's driver from there.
@_cdecl("FuzzOCSPResponse_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    do {
        let response = try OCSPResponse(derBytes: bytes)
        let again = try OCSPResponse(derBytes: try response.derBytes())
        precondition(again == response, "re-encoding changed the response")
    } catch is V2GPKIError {
    } catch {
        preconditionFailure("untyped error \(error)")
    }
    do {
        _ = try OCSPResponseVerifier.verify(
            responseBytes: bytes, certID: certID, issuer: issuer, nonce: nil, now: Date(timeIntervalSince1970: 1_790_000_000))
    } catch is V2GPKIError {
    } catch {
        preconditionFailure("untyped error \(error)")
    }
    return 0
}
