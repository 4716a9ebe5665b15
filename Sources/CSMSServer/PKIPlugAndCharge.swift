public import CSMS
public import Foundation
public import V2GPKI
public import X509
import OCPPMessages

/// The CSMS's ``CSMS/CertificateStatusChecker`` over the V2G PKI's ``V2GPKI/OCSPClient`` (answers cached until
/// nextUpdate). The issuer of a certificate named by OCPP hash data is found among `issuers` by its name and key
/// hashes; the responder is the one the hash data names.
public struct OCSPCertificateStatusChecker: CSMS.CertificateStatusChecker {
    public let client: OCSPClient
    public let transport: any OCSPTransport
    /// The CA certificates whose certificates may be checked (MO and V2G roots and Sub-CAs, OEM).
    public let issuers: [Certificate]
    public let now: @Sendable () -> Date

    public init(client: OCSPClient, transport: any OCSPTransport, issuers: [Certificate], now: @escaping @Sendable () -> Date) {
        self.client = client
        self.transport = transport
        self.issuers = issuers
        self.now = now
    }

    public func status(of certificate: CSMS.CertificateHashData, traceID: String) async throws -> CertificateRevocationStatus {
        let (issuer, certID) = try resolve(certificate)
        let answer: OCSPResponseVerifier.Answer
        do {
            answer = try await client.status(of: certID, issuer: issuer, responderURL: certificate.responderURL)
        } catch {
            throw CSMSError.make(.revocationUnavailable, "OCSP \(certificate.responderURL): \(error)", cause: error)
        }
        switch answer.status {
        case .good: return .good
        case .revoked(let time, let reason):
            return .revoked(reason: "since \(time)\(reason.map { ", \($0)" } ?? "")")
        case .unknown: return .unknown
        }
    }

    public func ocspResponse(for certificate: CSMS.CertificateHashData, traceID: String) async throws -> [UInt8] {
        let (issuer, certID) = try resolve(certificate)
        let request = try OCSPRequest(requests: [OCSPSingleRequest(certID: certID)]).derBytes()
        let response: [UInt8]
        do {
            response = try await transport.send(request: request, to: certificate.responderURL)
        } catch {
            throw CSMSError.make(.revocationUnavailable, "OCSP \(certificate.responderURL): \(error)", cause: error)
        }
        do {
            _ = try OCSPResponseVerifier.verify(responseBytes: response, certID: certID, issuer: issuer, nonce: nil, now: now())
        } catch {
            throw CSMSError.make(.revocationUnavailable, "OCSP \(certificate.responderURL) answered badly: \(error)", cause: error)
        }
        return response
    }

    /// The issuer certificate and the CertID of the certificate named by `data`.
    func resolve(_ data: CSMS.CertificateHashData) throws -> (Certificate, OCSPCertID) {
        guard data.hashAlgorithm.uppercased() == "SHA256" else {
            throw CSMSError.make(.revocationUnavailable, "hash algorithm \(data.hashAlgorithm) is not supported (SHA256 is)")
        }
        guard let serialBytes = Self.bytes(hex: data.serialNumber), !serialBytes.isEmpty, serialBytes.count <= 20,
            let nameHash = Self.bytes(hex: data.issuerNameHash), let keyHash = Self.bytes(hex: data.issuerKeyHash)
        else {
            throw CSMSError.make(.unknownIssuer, "malformed hash data: \(data)")
        }
        let serial = Certificate.SerialNumber(bytes: ArraySlice(serialBytes))
        for issuer in issuers {
            guard let certID = try? OCSPCertID(issuer: issuer, serialNumber: serial, hashAlgorithm: .sha256) else { continue }
            if certID.issuerNameHash == nameHash, certID.issuerKeyHash == keyHash { return (issuer, certID) }
        }
        throw CSMSError.make(.unknownIssuer, "no known CA issued \(data)")
    }

    /// Bytes of a hex string (odd lengths get a leading zero); nil when not hex or longer than 128 digits.
    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard !digits.isEmpty, digits.count <= 128 else { return nil }
        let padded = digits.count % 2 == 1 ? [UInt8(ascii: "0")] + digits : digits
        var out: [UInt8] = []
        out.reserveCapacity(padded.count / 2)
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var index = 0
        while index < padded.count {
            guard let high = value(padded[index]), let low = value(padded[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The CSMS's ``CSMS/ContractCertificateValidator`` over ``V2GPKI/ChainValidator``: the chain must lead to one of
/// `roots` (MO and V2G roots) with a contract leaf, at the current time.
public struct PKIContractCertificateValidator: CSMS.ContractCertificateValidator {
    public let roots: [Certificate]
    public let now: @Sendable () -> Date

    public init(roots: [Certificate], now: @escaping @Sendable () -> Date) {
        self.roots = roots
        self.now = now
    }

    public func validate(pemChain: String, traceID: String) async -> ContractChainVerdict {
        let chain: [Certificate]
        do {
            chain = try CertificateFile.certificates(from: Array(pemChain.utf8))
        } catch {
            return .chainError("the certificate is not a PEM X.509 chain: \(error.detail)")
        }
        switch ChainValidator(roots: roots).validateOffline(chain: chain, at: now(), role: .contract) {
        case .failure(let failure):
            switch failure {
            case .expired, .notYetValid: return .expired(failure.description)
            case .badSignature: return .signatureError(failure.description)
            default: return .chainError(failure.description)
            }
        case .success(let validated):
            let path = validated.path
            var hashData: [CSMS.CertificateHashData] = []
            for index in 0..<(path.count - 1) {
                guard let certID = try? OCSPCertID(certificate: path[index], issuer: path[index + 1], hashAlgorithm: .sha256)
                else { return .chainError("cannot name \(path[index].subject) for OCSP") }
                hashData.append(
                    CSMS.CertificateHashData(
                        hashAlgorithm: "SHA256", issuerNameHash: OCSPCertificateStatusChecker.hex(certID.issuerNameHash),
                        issuerKeyHash: OCSPCertificateStatusChecker.hex(certID.issuerKeyHash),
                        serialNumber: OCSPCertificateStatusChecker.hex(Array(path[index].serialNumber.bytes)),
                        responderURL: Self.ocspURL(of: path[index]) ?? ""))
            }
            return .valid(eMAID: Self.commonName(of: validated.leaf), hashData: hashData)
        }
    }

    static func ocspURL(of certificate: Certificate) -> String? {
        guard let access = try? certificate.extensions.authorityInformationAccess else { return nil }
        for description in access where description.method == .ocspServer {
            if case .uniformResourceIdentifier(let uri) = description.location { return uri }
        }
        return nil
    }

    static func commonName(of certificate: Certificate) -> String? {
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(attribute.value)
            }
        }
        return nil
    }
}

extension PlugAndChargeServices {
    /// The Plug & Charge services from a `pnc pki init` directory: revocation through `client` (OCSP, cached until
    /// nextUpdate) for certificates issued by any CA of the PKI, chain validation to its V2G and MO roots, and
    /// `contracts` (nil: the CSMS's token records).
    public static func pki(
        _ pki: PKIDirectory, client: OCSPClient, transport: any OCSPTransport, contracts: (any ContractDirectory)? = nil,
        now: @escaping @Sendable () -> Date
    ) throws -> PlugAndChargeServices {
        try Self.pkis([pki], client: client, transport: transport, contracts: contracts, now: now)
    }

    /// The Plug & Charge services over several PKIs (an ISO 15118-2 and an ISO 15118-20 one): contract chains of
    /// either profile validate to the roots of their PKI, and revocation is checked for certificates issued by any CA
    /// of any of them.
    public static func pkis(
        _ pkis: [PKIDirectory], client: OCSPClient, transport: any OCSPTransport,
        contracts: (any ContractDirectory)? = nil, now: @escaping @Sendable () -> Date
    ) throws -> PlugAndChargeServices {
        var roots: [Certificate] = []
        var issuers: [Certificate] = []
        for pki in pkis {
            let own = try pki.roots()
            roots += own
            issuers += own
            for role in CertificateRole.allCases where role.isCA && !role.isRoot {
                if let certificate = try? CertificateFile.certificates(atPath: "\(pki.caDirectory(role))/cert.pem").first {
                    issuers.append(certificate)
                }
            }
        }
        return PlugAndChargeServices(
            certificateStatus: OCSPCertificateStatusChecker(client: client, transport: transport, issuers: issuers, now: now),
            contractChains: PKIContractCertificateValidator(roots: roots, now: now), contracts: contracts)
    }
}

extension CSMS.CertificateHashData {
    /// The OCPP certificate id (SHA-256) of a self-signed root certificate in PEM, as a station lists it in
    /// GetInstalledCertificateIds (M05).
    /// - Throws: when the PEM holds no certificate or the certificate is not self-issued.
    public static func rootID(pem: String) throws -> CSMS.CertificateHashData {
        let certificates = try CertificateFile.certificates(from: Array(pem.utf8))
        guard let root = certificates.first, root.issuer == root.subject else {
            throw CSMSError.make(.invalidCommand, "not a self-issued root certificate")
        }
        let id = try OCSPCertID(certificate: root, issuer: root, hashAlgorithm: .sha256)
        return CSMS.CertificateHashData(
            hashAlgorithm: "SHA256", issuerNameHash: OCSPCertificateStatusChecker.hex(id.issuerNameHash),
            issuerKeyHash: OCSPCertificateStatusChecker.hex(id.issuerKeyHash),
            serialNumber: OCSPCertificateStatusChecker.hex(Array(root.serialNumber.bytes)), responderURL: "")
    }
}

/// The first certificate of a PEM chain.
enum PEMLeaf {
    /// The leaf's notAfter as an OCPP time; nil when the text holds no certificate.
    static func notAfter(_ pem: String) -> OCPPDateTime? {
        guard let leaf = try? CertificateFile.certificates(from: Array(pem.utf8)).first else { return nil }
        return OCPPDateTime(secondsSince1970: leaf.notValidAfter.timeIntervalSince1970)
    }
}
