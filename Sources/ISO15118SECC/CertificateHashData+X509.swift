import V2GPKI
public import X509

extension CertificateHashData {
    /// The hash data of `certificate` as issued by `issuer`, SHA-256, for the CSMS's OCSP check (OCPP 2.0.1
    /// OCSPRequestDataType; ISO 15118-2 contract chains in C07 Authorize carry one entry per certificate).
    /// - Throws: ``V2GPKIError`` when a name or key cannot be encoded, or the AIA extension is malformed.
    public init(certificate: Certificate, issuer: Certificate) throws {
        let certID = try OCSPCertID(certificate: certificate, issuer: issuer, hashAlgorithm: .sha256)
        var responderURL = ""
        if let access = try certificate.extensions.authorityInformationAccess {
            for description in access where description.method == .ocspServer {
                if case .uniformResourceIdentifier(let uri) = description.location {
                    responderURL = uri
                    break
                }
            }
        }
        self.init(
            hashAlgorithm: .sha256, issuerNameHash: Self.hex(certID.issuerNameHash),
            issuerKeyHash: Self.hex(certID.issuerKeyHash), serialNumber: Self.serialHex(certificate.serialNumber),
            responderURL: responderURL)
    }

    /// Hash data for each certificate of a chain, leaf first; the last element's issuer is `root`.
    public static func chain(_ chain: [Certificate], root: Certificate) throws -> [CertificateHashData] {
        var result: [CertificateHashData] = []
        for (index, certificate) in chain.enumerated() {
            let issuer = index + 1 < chain.count ? chain[index + 1] : root
            result.append(try CertificateHashData(certificate: certificate, issuer: issuer))
        }
        return result
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The serial number in hex without leading zeros (OCPP OCSPRequestDataType.serialNumber).
    static func serialHex(_ serial: Certificate.SerialNumber) -> String {
        let trimmed = serial.bytes.drop { $0 == 0 }
        guard !trimmed.isEmpty else { return "0" }
        let text = hex(Array(trimmed))
        return text.first == "0" ? String(text.dropFirst()) : text
    }
}
