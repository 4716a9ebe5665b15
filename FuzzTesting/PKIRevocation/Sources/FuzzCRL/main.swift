import Foundation
import V2GPKI
import X509

// Any input: CertificateList parsing throws V2GPKIError or succeeds; a successful parse re-encodes to a value that
// parses equal, and its accessors (reasons, CRL number, AKI) never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
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
