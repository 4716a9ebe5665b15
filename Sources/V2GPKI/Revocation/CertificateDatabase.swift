import Crypto
import Foundation
import X509

/// The issued and revoked certificates of one CA: the source of its OCSP answers and CRLs.
///
/// A value type; ``CertificateDatabaseFile`` keeps it in `<caDir>/database.json`. Serial numbers are keyed by
/// ``X509/Certificate/SerialNumber/hexString``.
public struct CertificateDatabase: Hashable, Sendable, Codable {
    /// One issued certificate.
    public struct Record: Hashable, Sendable, Codable {
        /// Lowercase hex serial number.
        public var serial: String
        /// The subject in RFC 4514 form.
        public var subject: String
        public var notBefore: Date
        public var notAfter: Date
        /// SHA-256 of the certificate's DER, lowercase hex.
        public var sha256: String
        /// Present once revoked.
        public var revocation: Revocation?
    }

    /// A revocation: when and why (RFC 5280 §5.3.1 reason).
    public struct Revocation: Hashable, Sendable, Codable {
        public var time: Date
        public var reason: CRLReason

        enum CodingKeys: String, CodingKey { case time, reason }

        public init(time: Date, reason: CRLReason) {
            self.time = time
            self.reason = reason
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.time = try container.decode(Date.self, forKey: .time)
            let name = try container.decode(String.self, forKey: .reason)
            guard let reason = CRLReason(name: name) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .reason, in: container, debugDescription: "unknown CRL reason \(name)")
            }
            self.reason = reason
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(time, forKey: .time)
            try container.encode(reason.name, forKey: .reason)
        }
    }

    /// The format version of `database.json`.
    public var formatVersion: Int
    /// The number the next CRL carries (RFC 5280 §5.2.3: monotonically increasing).
    public var nextCRLNumber: UInt64
    /// Records in serial order (shorter serials first, then lexicographic hex).
    public private(set) var certificates: [Record]
    /// Serial → position in ``certificates``, so that an OCSP lookup does not scan the list.
    private var positions: [String: Int]

    enum CodingKeys: String, CodingKey { case formatVersion, nextCRLNumber, certificates }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.formatVersion = try container.decode(Int.self, forKey: .formatVersion)
        self.nextCRLNumber = try container.decodeIfPresent(UInt64.self, forKey: .nextCRLNumber) ?? 1
        self.certificates = try container.decode([Record].self, forKey: .certificates)
        self.positions = [:]
        try self.reindex()
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(formatVersion, forKey: .formatVersion)
        try container.encode(nextCRLNumber, forKey: .nextCRLNumber)
        try container.encode(certificates, forKey: .certificates)
    }

    /// Sorts the records and rebuilds the serial index.
    /// - Throws: `DecodingError` when two records share a serial.
    private mutating func reindex() throws {
        certificates.sort { ($0.serial.count, $0.serial) < ($1.serial.count, $1.serial) }
        positions = Dictionary(minimumCapacity: certificates.count)
        for (i, record) in certificates.enumerated() where positions.updateValue(i, forKey: record.serial) != nil {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [CodingKeys.certificates], debugDescription: "serial \(record.serial) appears twice"))
        }
    }

    public init() {
        self.formatVersion = 1
        self.nextCRLNumber = 1
        self.certificates = []
        self.positions = [:]
    }

    private func index(of serial: String) -> Int? {
        positions[serial]
    }

    /// Records an issued certificate. Recording the same certificate twice is harmless.
    /// - Throws: ``V2GPKIError/Code-swift.struct/invalidRequest`` when a different certificate has the same serial.
    public mutating func recordIssued(_ certificate: Certificate) throws {
        try recordIssued(
            serial: certificate.serialNumber, subject: certificate.subject, notBefore: certificate.notValidBefore,
            notAfter: certificate.notValidAfter, der: RevocationDER.derBytes(certificate))
    }

    /// Records an issued Ed448 certificate (see ``recordIssued(_:)-(Certificate)``).
    public mutating func recordIssued(_ certificate: Ed448Certificate) throws {
        try recordIssued(
            serial: certificate.serialNumber, subject: certificate.subject, notBefore: certificate.notValidBefore,
            notAfter: certificate.notValidAfter, der: certificate.derBytes)
    }

    mutating func recordIssued(
        serial: Certificate.SerialNumber, subject: DistinguishedName, notBefore: Date, notAfter: Date, der: [UInt8]
    ) throws {
        let record = Record(
            serial: serial.hexString, subject: subject.description, notBefore: notBefore, notAfter: notAfter,
            sha256: SHA256.hash(data: der).map { String(format: "%02x", $0) }.joined(), revocation: nil)
        if let existing = index(of: record.serial) {
            guard certificates[existing].sha256 == record.sha256 else {
                throw V2GPKIError.make(
                    .invalidRequest, "serial \(record.serial) is already recorded for another certificate")
            }
            return
        }
        // Keep serial order: insert at the first position whose serial sorts after the new one.
        let key = (record.serial.count, record.serial)
        var low = 0
        var high = certificates.count
        while low < high {
            let mid = (low + high) / 2
            if (certificates[mid].serial.count, certificates[mid].serial) < key { low = mid + 1 } else { high = mid }
        }
        certificates.insert(record, at: low)
        if low == certificates.count - 1 {
            positions[record.serial] = low
        } else {
            for i in low..<certificates.count { positions[certificates[i].serial] = i }
        }
    }

    /// Revokes an issued certificate.
    /// - Parameters:
    ///   - serial: the serial number.
    ///   - reason: the RFC 5280 reason.
    ///   - time: the revocation time (kept to whole seconds, as OCSP and CRLs carry it).
    /// - Throws: ``V2GPKIError/Code-swift.struct/unknownSerial``, ``V2GPKIError/Code-swift.struct/alreadyRevoked``.
    public mutating func revoke(serial: Certificate.SerialNumber, reason: CRLReason, at time: Date) throws {
        let hex = serial.hexString
        guard let i = index(of: hex) else {
            throw V2GPKIError.make(.unknownSerial, "serial \(hex) was not issued by this CA")
        }
        if let revocation = certificates[i].revocation {
            throw V2GPKIError.make(
                .alreadyRevoked, "serial \(hex) was revoked at \(revocation.time) (\(revocation.reason))")
        }
        let seconds = Date(timeIntervalSince1970: time.timeIntervalSince1970.rounded(.down))
        certificates[i].revocation = Revocation(time: seconds, reason: reason)
    }

    /// The status of a serial number.
    public func status(serial: Certificate.SerialNumber) -> RevocationStatus {
        guard let i = index(of: serial.hexString) else { return .unknown }
        if let revocation = certificates[i].revocation { return .revoked(at: revocation.time, reason: revocation.reason) }
        return .good
    }

    /// The revoked records, in serial order.
    public var revoked: [Record] { certificates.filter { $0.revocation != nil } }

    // MARK: JSON

    /// Reads `database.json` contents.
    /// - Throws: ``V2GPKIError/Code-swift.struct/malformedEncoding``.
    public init(jsonData: Data) throws {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            self = try decoder.decode(CertificateDatabase.self, from: jsonData)
        } catch {
            throw V2GPKIError.make(.malformedEncoding, "certificate database: \(error)", cause: error)
        }
        guard formatVersion == 1 else {
            throw V2GPKIError.make(.malformedEncoding, "certificate database format \(formatVersion) is not 1")
        }
    }

    /// Deterministic, human-readable JSON (sorted keys, ISO 8601 UTC times).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
