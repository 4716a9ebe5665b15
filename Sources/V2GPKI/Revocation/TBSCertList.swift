import Foundation
import SwiftASN1
import X509

/// `TBSCertList` (RFC 5280 §5.1.2), version 2.
public struct TBSCertList: DERImplicitlyTaggable, Hashable, Sendable {
    public static var defaultIdentifier: ASN1Identifier { .sequence }

    /// `revokedCertificates` entry: serial, revocation date and entry extensions (RFC 5280 §5.1.2.6, §5.3).
    public struct Entry: Hashable, Sendable {
        public var serialNumber: Certificate.SerialNumber
        public var revocationDate: Date
        /// Entry extensions; ``reason`` reads and writes the reasonCode among them.
        public var extensions: [Certificate.Extension]

        public init(serialNumber: Certificate.SerialNumber, revocationDate: Date, reason: CRLReason?) {
            self.serialNumber = serialNumber
            self.revocationDate = revocationDate
            self.extensions = []
            // RFC 5280 §5.3.1: the reasonCode unspecified SHOULD be absent.
            if let reason, reason != .unspecified {
                var serializer = DER.Serializer()
                if (try? reason.serialize(into: &serializer)) != nil {
                    extensions.append(
                        Certificate.Extension(
                            oid: RevocationDER.OID.crlReason, critical: false, value: serializer.serializedBytes[...]))
                }
            }
        }

        /// The reasonCode entry extension (RFC 5280 §5.3.1), nil when absent or unreadable.
        public var reason: CRLReason? {
            guard let ext = extensions.first(where: { $0.oid == RevocationDER.OID.crlReason }),
                  let node = try? DER.parse(ext.value)
            else { return nil }
            return try? CRLReason(derEncoded: node)
        }
    }

    /// Version 2 (encoded as INTEGER 1); a v1 CRL (version absent) parses as 1.
    public var version: Int
    var signatureAlgorithm: RevocationDER.AlgorithmIdentifier
    public var issuer: DistinguishedName
    public var thisUpdate: Date
    public var nextUpdate: Date?
    public var revokedCertificates: [Entry]
    /// `crlExtensions [0] EXPLICIT Extensions OPTIONAL` (empty when absent).
    public var extensions: [Certificate.Extension]

    public init(
        issuer: DistinguishedName, thisUpdate: Date, nextUpdate: Date?, revokedCertificates: [Entry],
        extensions: [Certificate.Extension]
    ) {
        self.version = 2
        self.signatureAlgorithm = RevocationDER.AlgorithmIdentifier(
            algorithm: RevocationDER.OID.ecdsaWithSHA256, parameters: nil)
        self.issuer = issuer
        self.thisUpdate = thisUpdate
        self.nextUpdate = nextUpdate
        self.revokedCertificates = revokedCertificates
        self.extensions = extensions
    }

    /// The CRL number extension (RFC 5280 §5.2.3) as big-endian unsigned bytes, nil when absent.
    public var crlNumber: Certificate.SerialNumber? {
        guard let ext = extensions.first(where: { $0.oid == RevocationDER.OID.crlNumber }),
              let node = try? DER.parse(ext.value), let bytes = try? ArraySlice<UInt8>(derEncoded: node)
        else { return nil }
        return Certificate.SerialNumber(bytes: bytes)
    }

    /// The authority key identifier (RFC 5280 §5.2.1), nil when absent.
    public var authorityKeyIdentifier: AuthorityKeyIdentifier? {
        guard let ext = extensions.first(where: { $0.oid == RevocationDER.OID.authorityKeyIdentifier }) else { return nil }
        return try? AuthorityKeyIdentifier(ext)
    }

    /// The entry for `serialNumber`, if revoked.
    public func entry(for serialNumber: Certificate.SerialNumber) -> Entry? {
        revokedCertificates.first { $0.serialNumber == serialNumber }
    }

    public init(derEncoded node: ASN1Node, withIdentifier identifier: ASN1Identifier) throws {
        self = try DER.sequence(node, identifier: identifier) { nodes in
            var peek = nodes
            var version = 1
            if let first = peek.next(), first.identifier == .integer {
                version = try Int(derEncoded: first) + 1
                guard version == 2 else { throw ASN1Error.invalidASN1Object(reason: "CRL version \(version)") }
                nodes = peek
            }
            let algorithm = try RevocationDER.AlgorithmIdentifier(derEncoded: &nodes)
            guard let issuerNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "TBSCertList without issuer")
            }
            let issuer = try DistinguishedName(derEncoded: issuerNode)
            guard let thisNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "TBSCertList without thisUpdate")
            }
            let thisUpdate = try RevocationDER.parseTime(thisNode)
            var nextUpdate: Date?
            peek = nodes
            if let next = peek.next(), next.identifier == .utcTime || next.identifier == .generalizedTime {
                nextUpdate = try RevocationDER.parseTime(next)
                nodes = peek
            }
            var entries: [Entry] = []
            peek = nodes
            if let list = peek.next(), list.identifier == .sequence {
                nodes = peek
                entries = try DER.sequence(list, identifier: .sequence) { items in
                    var entries: [Entry] = []
                    while let item = items.next() {
                        entries.append(try Self.parseEntry(item))
                    }
                    return entries
                }
            }
            let extensions =
                try DER.optionalExplicitlyTagged(&nodes, tagNumber: 0, tagClass: .contextSpecific) {
                    try RevocationDER.parseExtensions($0)
                } ?? []
            guard nodes.next() == nil else {
                throw ASN1Error.invalidASN1Object(reason: "TBSCertList has trailing fields")
            }
            var tbs = TBSCertList(
                issuer: issuer, thisUpdate: thisUpdate, nextUpdate: nextUpdate, revokedCertificates: entries,
                extensions: extensions)
            tbs.version = version
            tbs.signatureAlgorithm = algorithm
            return tbs
        }
    }

    private static func parseEntry(_ node: ASN1Node) throws -> Entry {
        try DER.sequence(node, identifier: .sequence) { nodes in
            let serial = try ArraySlice<UInt8>(derEncoded: &nodes)
            guard let timeNode = nodes.next() else {
                throw ASN1Error.invalidASN1Object(reason: "CRL entry without revocationDate")
            }
            var entry = Entry(
                serialNumber: Certificate.SerialNumber(bytes: serial),
                revocationDate: try RevocationDER.parseTime(timeNode), reason: nil)
            if let extensionsNode = nodes.next() {
                entry.extensions = try RevocationDER.parseExtensions(extensionsNode)
            }
            guard nodes.next() == nil else { throw ASN1Error.invalidASN1Object(reason: "CRL entry has trailing fields") }
            return entry
        }
    }

    public func serialize(into coder: inout DER.Serializer, withIdentifier identifier: ASN1Identifier) throws {
        try coder.appendConstructedNode(identifier: identifier) { coder in
            try coder.serialize(self.version - 1)
            try coder.serialize(self.signatureAlgorithm)
            try coder.serialize(self.issuer)
            try RevocationDER.serializeTime(self.thisUpdate, into: &coder)
            if let nextUpdate = self.nextUpdate { try RevocationDER.serializeTime(nextUpdate, into: &coder) }
            if !self.revokedCertificates.isEmpty {
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    for entry in self.revokedCertificates {
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(entry.serialNumber.bytes)
                            try RevocationDER.serializeTime(entry.revocationDate, into: &coder)
                            if !entry.extensions.isEmpty {
                                try RevocationDER.serializeExtensions(entry.extensions, into: &coder)
                            }
                        }
                    }
                }
            }
            if !self.extensions.isEmpty {
                try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) {
                    coder in try RevocationDER.serializeExtensions(self.extensions, into: &coder)
                }
            }
        }
    }
}
