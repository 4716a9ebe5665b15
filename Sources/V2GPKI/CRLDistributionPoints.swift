public import SwiftASN1
public import X509

/// The RFC 5280 §4.2.1.13 CRL distribution points extension, restricted to full-name URIs (what the V2G profiles
/// use). swift-certificates has no public type for it.
public struct CRLDistributionPoints: Hashable, Sendable {
    /// id-ce-cRLDistributionPoints.
    public static let oid: ASN1ObjectIdentifier = [2, 5, 29, 31]

    /// One URI per distribution point.
    public var uris: [String]

    public init(uris: [String]) { self.uris = uris }

    /// Reads the URIs from a certificate extension; reasons and cRLIssuer fields are skipped.
    public init(_ ext: Certificate.Extension) throws {
        guard ext.oid == Self.oid else {
            throw V2GPKIError.make(.malformedEncoding, "extension \(ext.oid) is not cRLDistributionPoints")
        }
        let root = try DER.parse(ext.value)
        var uris: [String] = []
        guard root.identifier == .sequence, case .constructed(let points) = root.content else {
            throw V2GPKIError.make(.malformedEncoding, "cRLDistributionPoints is not a SEQUENCE")
        }
        for point in points {
            guard case .constructed(let fields) = point.content else { continue }
            for field in fields where field.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                // distributionPoint [0] DistributionPointName; fullName [0] GeneralNames
                guard case .constructed(let names) = field.content else { continue }
                for name in names where name.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) {
                    guard case .constructed(let generalNames) = name.content else { continue }
                    for generalName in generalNames {
                        if case .uniformResourceIdentifier(let uri) = try GeneralName(derEncoded: generalName) {
                            uris.append(uri)
                        }
                    }
                }
            }
        }
        self.uris = uris
    }

    /// A non-critical certificate extension.
    public func makeCertificateExtension() throws -> Certificate.Extension {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { points in
            for uri in self.uris {
                try points.appendConstructedNode(identifier: .sequence) { point in
                    try point.appendConstructedNode(
                        identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
                    ) { dpName in
                        try dpName.appendConstructedNode(
                            identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)
                        ) { fullName in
                            try fullName.serialize(GeneralName.uniformResourceIdentifier(uri))
                        }
                    }
                }
            }
        }
        return Certificate.Extension(oid: Self.oid, critical: false, value: serializer.serializedBytes[...])
    }
}
