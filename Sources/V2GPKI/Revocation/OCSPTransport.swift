import Foundation
import X509

/// Carries a DER OCSP request to a responder and returns the DER response (RFC 6960 Appendix A over HTTP in
/// `PKIHTTP`).
public protocol OCSPTransport: Sendable {
    func send(request: [UInt8], to responderURL: String) async throws -> [UInt8]
}
