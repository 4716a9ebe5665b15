import Foundation
import FuzzDriver
import V2GPKI
import X509

// Any input: CertificateList parsing throws V2GPKIError or succeeds; a successful parse re-encodes to a value that
// parses equal, and its accessors (reasons, CRL number, AKI) never trap.
/// SwiftPM links an executable's entry point as `<target>_main`; hand control to libFuzzer's driver from there.
@_cdecl("FuzzCRL_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv, fuzz)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
    do {
        let crl = try CertificateList(derBytes: bytes)
        let again = try CertificateList(derBytes: try crl.derBytes())
        precondition(again == crl, "re-encoding changed the CRL")
        _ = crl.tbsCertList.crlNumber
        _ = crl.tbsCertList.authorityKeyIdentifier
        for entry in crl.tbsCertList.revokedCertificates { _ = entry.reason }
    } catch is V2GPKIError {
    } catch {
        preconditionFailure("untyped error \(error)")
    }
    return 0
}
