public import Ed448
import Foundation
import SwiftASN1
import X509

/// Builds signed X.509 v2 CRLs (RFC 5280 §5) from a CA's ``CertificateDatabase``.
public enum CRLBuilder {
    /// A v2 CRL listing every revoked certificate of `database` with its reasonCode, carrying the CRL number
    /// (§5.2.3) and the issuer's authority key identifier (§5.2.1), signed by the CA key (ecdsa-with-SHA256 for
    /// P-256, ecdsa-with-SHA512 for P-521).
    /// - Parameters:
    ///   - issuer: the CA certificate (its subject is the CRL issuer).
    ///   - key: the CA's private key.
    ///   - database: the CA's certificates.
    ///   - crlNumber: the CRL number; callers take it from ``CertificateDatabase/nextCRLNumber`` and increment that.
    ///   - thisUpdate: the issue time.
    ///   - nextUpdate: when the next CRL will be issued.
    /// - Throws: ``V2GPKIError/Code-swift.struct/invalidRequest`` when `key` is not the issuer's key.
    public static func makeCRL(
        issuer: Certificate, key: Certificate.PrivateKey, database: CertificateDatabase, crlNumber: UInt64,
        thisUpdate: Date, nextUpdate: Date
    ) throws -> CertificateList {
        guard key.publicKey == issuer.publicKey else {
            throw V2GPKIError.make(.invalidRequest, "the CRL signing key does not belong to \(issuer.subject)")
        }
        return try makeCRL(
            issuer: issuer.subject, keyIdentifier: try keyIdentifier(of: issuer), key: .certificate(key),
            database: database, crlNumber: crlNumber, thisUpdate: thisUpdate, nextUpdate: nextUpdate)
    }

    /// ``makeCRL(issuer:key:database:crlNumber:thisUpdate:nextUpdate:)-(Certificate,_,_,_,_,_)`` for an Ed448 CA
    /// (ISO 15118-20): the same CRL, signed with id-Ed448 (RFC 8410 §6).
    public static func makeCRL(
        issuer: Ed448Certificate, key: Ed448.PrivateKey, database: CertificateDatabase, crlNumber: UInt64,
        thisUpdate: Date, nextUpdate: Date
    ) throws -> CertificateList {
        guard key.publicKey == issuer.publicKey else {
            throw V2GPKIError.make(.invalidRequest, "the CRL signing key does not belong to \(issuer.subject)")
        }
        return try makeCRL(
            issuer: issuer.subject, keyIdentifier: try keyIdentifier(of: .ed448(issuer)), key: .ed448(key), database: database,
            crlNumber: crlNumber, thisUpdate: thisUpdate, nextUpdate: nextUpdate)
    }

    static func makeCRL(
        issuer: DistinguishedName, keyIdentifier: ArraySlice<UInt8>, key: RevocationSigningKey,
        database: CertificateDatabase, crlNumber: UInt64, thisUpdate: Date, nextUpdate: Date
    ) throws -> CertificateList {
        guard nextUpdate > thisUpdate else {
            throw V2GPKIError.make(.invalidRequest, "nextUpdate must be after thisUpdate")
        }
        var entries: [TBSCertList.Entry] = []
        for record in database.revoked {
            guard let revocation = record.revocation else { continue }
            entries.append(
                TBSCertList.Entry(
                    serialNumber: try Certificate.SerialNumber(hexString: record.serial),
                    revocationDate: revocation.time, reason: revocation.reason))
        }
        var extensions: [Certificate.Extension] = []
        var number = DER.Serializer()
        try number.serialize(Certificate.SerialNumber(crlNumber).bytes)
        extensions.append(
            Certificate.Extension(oid: RevocationDER.OID.crlNumber, critical: false, value: number.serializedBytes[...]))
        extensions.append(
            try Certificate.Extension(
                AuthorityKeyIdentifier(keyIdentifier: keyIdentifier), critical: false))
        let tbs = TBSCertList(
            issuer: issuer, thisUpdate: whole(thisUpdate), nextUpdate: whole(nextUpdate),
            revokedCertificates: entries, extensions: extensions)
        return try CertificateList(signing: tbs, with: key)
    }

    /// The issuer's subjectKeyIdentifier, or the RFC 5280 §4.2.1.2 method (1) SHA-1 of its key when it has none.
    static func keyIdentifier(of issuer: Certificate) throws -> ArraySlice<UInt8> {
        try keyIdentifier(of: .certificate(issuer))
    }

    /// ``keyIdentifier(of:)-(Certificate)`` for an ECDSA or Ed448 issuer.
    static func keyIdentifier(of issuer: RevocationCertificate) throws -> ArraySlice<UInt8> {
        if let ski = try? issuer.extensions.subjectKeyIdentifier {
            return ski.keyIdentifier
        }
        return try OCSPResponderID.keyHash(of: issuer.publicKey)[...]
    }

    private static func whole(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }
}
