public import Foundation
public import X509

/// A CA that can issue: its certificate, the chain below the root, and a signing handle from a ``KeyStore``.
public struct CertificateAuthority: Sendable {
    public let role: CertificateRole
    public let certificate: Certificate
    /// This CA and its issuers up to, not including, the root (empty for a root).
    public let chainBelowRoot: [Certificate]
    let key: Certificate.PrivateKey
    /// The CA's folder, or nil for a CA held only in memory.
    public let directory: String?
    /// Where issued certificates are recorded for OCSP and CRLs (`<directory>/database.json`), or nil.
    public let database: CertificateDatabaseFile?
    public let profile: PKIProfile
    public let ocspURL: String
    /// The URL of this CA's own CRL, written into what it issues.
    public let crlURL: String

    public init(
        role: CertificateRole, certificate: Certificate, chainBelowRoot: [Certificate], key: Certificate.PrivateKey,
        directory: String?, profile: PKIProfile, ocspURL: String, crlURL: String
    ) {
        self.role = role
        self.certificate = certificate
        self.chainBelowRoot = chainBelowRoot
        self.key = key
        self.directory = directory
        self.database = directory.map { CertificateDatabaseFile(caDirectory: URL(fileURLWithPath: $0)) }
        self.profile = profile
        self.ocspURL = ocspURL
        self.crlURL = crlURL
    }

    /// Issues a certificate for `publicKey`, valid from an hour before `now` for `validityDays`, capped at the CA's
    /// own notAfter, and records it in the CA's database.
    public func issue(
        role: CertificateRole, subject: DistinguishedName, publicKey: Certificate.PublicKey, validityDays: Int,
        now: Date, using rng: inout some RandomNumberGenerator
    ) throws(V2GPKIError) -> Certificate {
        guard role == .ocspSigner || role.issuerRole == self.role else {
            throw .make(.invalidRequest, "\(self.role.rawValue) does not issue \(role.rawValue) certificates")
        }
        guard validityDays > 0 else { throw .make(.invalidRequest, "validity must be at least one day") }
        let notBefore = now.addingTimeInterval(-3600)
        let notAfter = min(notBefore.addingTimeInterval(Double(validityDays) * 86_400), certificate.notValidAfter)
        let request = IssuanceRequest(
            role: role, subject: subject, publicKey: publicKey,
            serialNumber: CertificateIssuer.randomSerialNumber(using: &rng), notBefore: notBefore, notAfter: notAfter,
            ocspURL: ocspURL, crlURL: crlURL
        )
        let issued = try CertificateIssuer(profile: profile).issue(request, issuer: certificate, issuerKey: key)
        try recordIssued(issued)
        return issued
    }

    /// Records an issued certificate in the CA's database so that OCSP answers `good` for it and it can be revoked.
    func recordIssued(_ certificate: Certificate) throws(V2GPKIError) {
        guard let database else { return }  // an in-memory CA keeps no records
        do { try database.recordIssued(certificate) } catch {
            throw .make(.missingFile, "cannot record serial \(certificate.serialNumber) in \(database)", cause: error)
        }
    }
}

extension CertificateAuthority {
    /// Revokes a certificate this CA issued (RFC 5280 reason), in its database.
    ///
    /// - Throws: `.invalidRequest` for a CA without a database, an unknown or an already revoked serial.
    public func revoke(serial: Certificate.SerialNumber, reason: CRLReason, at time: Date) throws(V2GPKIError) {
        guard let database else { throw .make(.invalidRequest, "\(role.rawValue) keeps no certificate database") }
        do { try database.revoke(serial: serial, reason: reason, at: time) } catch let error as V2GPKIError {
            throw error
        } catch {
            throw .make(.invalidRequest, "cannot revoke \(serial)", cause: error)
        }
    }

    /// A signed v2 CRL of everything this CA revoked, numbered from the database's CRL counter.
    public func makeCRL(now: Date, validity: TimeInterval) throws(V2GPKIError) -> CertificateList {
        guard let database else { throw .make(.invalidRequest, "\(role.rawValue) keeps no certificate database") }
        do {
            return try database.update { db in
                let number = db.nextCRLNumber
                db.nextCRLNumber += 1
                return try CRLBuilder.makeCRL(
                    issuer: certificate, key: key, database: db, crlNumber: number, thisUpdate: now,
                    nextUpdate: now.addingTimeInterval(validity)
                )
            }
        } catch let error as V2GPKIError {
            throw error
        } catch {
            throw .make(.invalidRequest, "cannot build the CRL of \(role.rawValue)", cause: error)
        }
    }

    /// The status of a serial in this CA's database.
    public func status(of serial: Certificate.SerialNumber) throws(V2GPKIError) -> RevocationStatus {
        guard let database else { throw .make(.invalidRequest, "\(role.rawValue) keeps no certificate database") }
        do { return try database.status(serial: serial) } catch let error as V2GPKIError { throw error } catch {
            throw .make(.malformedEncoding, "cannot read the database of \(role.rawValue)", cause: error)
        }
    }
}
