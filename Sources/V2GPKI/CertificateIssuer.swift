public import Ed448
public import Foundation
public import X509
import SwiftASN1

/// What a new certificate says about its subject; the issuer adds the profile's extensions.
public struct IssuanceRequestOf<PublicKey: Sendable>: Sendable {
    public var role: CertificateRole
    public var subject: DistinguishedName
    public var publicKey: PublicKey
    /// Positive, at most 20 octets (RFC 5280 §4.1.2.2). Callers draw it from a random source.
    public var serialNumber: Certificate.SerialNumber
    public var notBefore: Date
    public var notAfter: Date
    /// AIA OCSP URI of the issuing CA's responder (not on roots).
    public var ocspURL: String?
    /// CRL distribution point of the issuing CA (not on roots).
    public var crlURL: String?

    public init(
        role: CertificateRole, subject: DistinguishedName, publicKey: PublicKey,
        serialNumber: Certificate.SerialNumber, notBefore: Date, notAfter: Date, ocspURL: String? = nil,
        crlURL: String? = nil
    ) {
        self.role = role
        self.subject = subject
        self.publicKey = publicKey
        self.serialNumber = serialNumber
        self.notBefore = notBefore
        self.notAfter = notAfter
        self.ocspURL = ocspURL
        self.crlURL = crlURL
    }
}

/// A request for a certificate of an ECDSA key (the ISO 15118-2 and -20 curves).
public typealias IssuanceRequest = IssuanceRequestOf<Certificate.PublicKey>

/// A request for a certificate of an Ed448 key (ISO 15118-20).
public typealias Ed448IssuanceRequest = IssuanceRequestOf<Ed448.PublicKey>

/// Issues certificates that meet the ISO 15118 profile of their role.
///
/// Pure: keys, serial numbers and times come in as parameters.
public struct CertificateIssuer: Sendable {
    public let profile: PKIProfile

    public init(profile: PKIProfile) { self.profile = profile }

    /// A subject with CN, O, C and the role's DC, in that order (the order Josev's and EVerest's scripts use).
    public static func subject(
        commonName: String, organization: String = "OpenPnC", country: String = "DE", role: CertificateRole
    ) throws -> DistinguishedName {
        try DistinguishedName {
            CommonName(commonName)
            OrganizationName(organization)
            CountryName(country)
            DomainComponent(role.domainComponent)
        }
    }

    /// A random positive serial of 16 octets from `generator`.
    public static func randomSerialNumber(using generator: inout some RandomNumberGenerator) -> Certificate.SerialNumber {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[0] = (bytes[0] & 0x7F) | 0x01  // positive and without a leading zero octet
        return Certificate.SerialNumber(bytes: bytes)
    }

    /// Issues a certificate for `request`, signed by `issuerKey`.
    ///
    /// - Parameters:
    ///   - issuer: the issuing CA's certificate, or nil for a self-signed root (then `issuerKey` must be the key of
    ///     `request.publicKey`).
    /// - Throws: ``V2GPKIError`` with `.invalidRequest` when the request breaks the profile (root without self
    ///   signature, issuer that is no CA, certificate larger than the schemas allow, validity outside the issuer's).
    public func issue(
        _ request: IssuanceRequest, issuer: Certificate?, issuerKey: Certificate.PrivateKey
    ) throws(V2GPKIError) -> Certificate {
        let role = request.role
        guard request.notBefore < request.notAfter else {
            throw .make(.invalidRequest, "notBefore must lie before notAfter")
        }
        if let issuer {
            guard Self.isCA(issuer) else { throw .make(.invalidRequest, "issuer \(issuer.subject) is not a CA") }
            guard issuer.publicKey == issuerKey.publicKey else {
                throw .make(.invalidRequest, "the issuer key does not belong to the issuer certificate")
            }
        } else {
            guard role.isRoot else {
                throw .make(.invalidRequest, "only roots are self-signed; \(role.rawValue) needs an issuer")
            }
            guard request.publicKey == issuerKey.publicKey else {
                throw .make(.invalidRequest, "a self-signed root is signed with its own key")
            }
        }
        let issuerName = issuer?.subject ?? request.subject
        let issuerPublicKey = issuer?.publicKey ?? request.publicKey
        let certificate: Certificate
        do {
            let extensions = try Self.profileExtensions(
                role: role, subjectKeyIdentifier: SubjectKeyIdentifier(hash: request.publicKey).keyIdentifier,
                issuerKeyIdentifier: issuer == nil ? nil : SubjectKeyIdentifier(hash: issuerPublicKey).keyIdentifier,
                ocspURL: request.ocspURL, crlURL: request.crlURL
            )
            certificate = try Certificate(
                version: .v3, serialNumber: request.serialNumber, publicKey: request.publicKey,
                notValidBefore: request.notBefore, notValidAfter: request.notAfter, issuer: issuerName,
                subject: request.subject, signatureAlgorithm: self.profile.signatureAlgorithm, extensions: extensions,
                issuerPrivateKey: issuerKey
            )
        } catch {
            throw .make(.invalidRequest, "could not build the \(role.rawValue) certificate", cause: error)
        }
        let size = (try? certificate.derBytes.count) ?? Int.max
        if size > self.profile.maxCertificateBytes {
            throw .make(
                .invalidRequest,
                "the \(role.rawValue) certificate has \(size) DER bytes; \(profile.rawValue) allows \(profile.maxCertificateBytes)"
            )
        }
        return certificate
    }

    /// The extensions every certificate of `role` carries: critical basicConstraints and keyUsage, the role's EKU,
    /// SKI, AKI (not on roots), AIA OCSP and a CRL distribution point (not on roots).
    static func profileExtensions(
        role: CertificateRole, subjectKeyIdentifier: ArraySlice<UInt8>, issuerKeyIdentifier: ArraySlice<UInt8>?,
        ocspURL: String?, crlURL: String?
    ) throws -> Certificate.Extensions {
        try Certificate.Extensions {
            Critical(
                role.isCA
                    ? BasicConstraints.isCertificateAuthority(maxPathLength: role.pathLength)
                    : BasicConstraints.notCertificateAuthority
            )
            Critical(role.keyUsage)
            if !role.extendedKeyUsage.isEmpty {
                try ExtendedKeyUsage(role.extendedKeyUsage)
            }
            SubjectKeyIdentifier(keyIdentifier: subjectKeyIdentifier)
            if let issuerKeyIdentifier {
                AuthorityKeyIdentifier(keyIdentifier: issuerKeyIdentifier)
            }
            if let ocspURL, !role.isRoot {
                AuthorityInformationAccess([
                    .init(method: .ocspServer, location: .uniformResourceIdentifier(ocspURL))
                ])
            }
            if let crlURL, !role.isRoot {
                try CRLDistributionPoints(uris: [crlURL]).makeCertificateExtension()
            }
        }
    }

    /// Issues an Ed448 certificate (ISO 15118-20) for `request`, signed by `issuerKey` with the same profile rules as
    /// ``issue(_:issuer:issuerKey:)``.
    ///
    /// - Parameter issuer: the issuing CA, or nil for a self-signed root (`issuerKey` must then be the request's key).
    public func issueEd448(
        _ request: Ed448IssuanceRequest, issuer: Ed448Certificate?, issuerKey: Ed448.PrivateKey
    ) throws(V2GPKIError) -> Ed448Certificate {
        let role = request.role
        guard profile == .iso15118_20 else {
            throw .make(.unsupportedAlgorithm, "Ed448 certificates belong to iso15118-20, not \(profile.rawValue)")
        }
        guard request.notBefore < request.notAfter else { throw .make(.invalidRequest, "notBefore must lie before notAfter") }
        if let issuer {
            guard case .isCertificateAuthority = try? issuer.extensions.basicConstraints else {
                throw .make(.invalidRequest, "issuer \(issuer.subject) is not a CA")
            }
            guard issuer.publicKey == issuerKey.publicKey else {
                throw .make(.invalidRequest, "the issuer key does not belong to the issuer certificate")
            }
        } else {
            guard role.isRoot else { throw .make(.invalidRequest, "only roots are self-signed; \(role.rawValue) needs an issuer") }
            guard request.publicKey == issuerKey.publicKey else {
                throw .make(.invalidRequest, "a self-signed root is signed with its own key")
            }
        }
        let certificate: Ed448Certificate
        do {
            let extensions = try Self.profileExtensions(
                role: role, subjectKeyIdentifier: Ed448Certificate.keyIdentifier(of: request.publicKey)[...],
                issuerKeyIdentifier: issuer.map { Ed448Certificate.keyIdentifier(of: $0.publicKey)[...] },
                ocspURL: request.ocspURL, crlURL: request.crlURL
            )
            certificate = try Ed448Certificate.sign(
                serialNumber: request.serialNumber, issuer: issuer?.subject ?? request.subject, subject: request.subject,
                notBefore: request.notBefore, notAfter: request.notAfter, publicKey: request.publicKey,
                extensions: extensions, issuerKey: issuerKey
            )
        } catch {
            throw .make(.invalidRequest, "could not build the \(role.rawValue) Ed448 certificate", cause: error)
        }
        if certificate.derBytes.count > profile.maxCertificateBytes {
            throw .make(
                .invalidRequest,
                "the \(role.rawValue) certificate has \(certificate.derBytes.count) DER bytes; \(profile.rawValue) allows \(profile.maxCertificateBytes)"
            )
        }
        return certificate
    }

    static func isCA(_ certificate: Certificate) -> Bool {
        if case .isCertificateAuthority = try? certificate.extensions.basicConstraints { return true }
        return false
    }
}

extension Certificate {
    /// The DER encoding.
    public var derBytes: [UInt8] {
        get throws {
            var serializer = DER.Serializer()
            try serializer.serialize(self)
            return serializer.serializedBytes
        }
    }
}
