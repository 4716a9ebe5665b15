import Foundation
import SwiftASN1
import X509

/// The files of a CA folder that revocation needs.
///
/// Layout (shared with the issuing commands):
/// - `cert.pem` (or `cert.der`): the CA certificate.
/// - `key.pem`: its private key as `pnc pki init` writes it: encrypted PKCS#8 (opened with the PKI password), or
///   unencrypted PKCS#8 / SEC1 (see ``PrivateKeyFile``).
/// - `ocsp/cert.pem` + `ocsp/key.pem` (optional): a delegated OCSP responder issued by this CA with id-kp-OCSPSigning;
///   without it the CA key signs OCSP responses.
/// - `database.json`: the ``CertificateDatabase`` (see ``CertificateDatabaseFile``).
public struct RevocationCAFolder: Sendable {
    public let directory: URL
    /// The CA certificate: ECDSA, or Ed448 on an ISO 15118-20 Ed448 PKI.
    public let certificate: RevocationCertificate
    public let privateKey: RevocationSigningKey
    /// The delegated responder certificate and key, when `ocsp/` holds them.
    public let ocspSigner: (certificate: RevocationCertificate, key: RevocationSigningKey)?
    public var databaseFile: CertificateDatabaseFile { CertificateDatabaseFile(caDirectory: directory) }

    /// Reads a CA folder (ECDSA or Ed448 keys).
    /// - Throws: ``V2GPKIError/Code-swift.struct/missingFile``, ``V2GPKIError/Code-swift.struct/malformedEncoding``,
    ///   ``V2GPKIError/Code-swift.struct/invalidRequest`` (a key that does not match its certificate).
    /// - Parameter password: the password of encrypted keys (nil for unencrypted ones).
    public init(directory: URL, password: String? = nil) throws {
        self.directory = directory
        let certificate = try Self.readCertificate(in: directory, name: "cert")
        let key = try Self.readKey(directory.appendingPathComponent("key.pem"), for: certificate, password: password)
        guard key.publicKey == certificate.publicKey else {
            throw V2GPKIError.make(.invalidRequest, "\(directory.path)/key.pem does not belong to cert.pem")
        }
        self.certificate = certificate
        self.privateKey = key
        let ocsp = directory.appendingPathComponent("ocsp")
        if FileManager.default.fileExists(atPath: ocsp.appendingPathComponent("cert.pem").path)
            || FileManager.default.fileExists(atPath: ocsp.appendingPathComponent("cert.der").path)
        {
            let signer = try Self.readCertificate(in: ocsp, name: "cert")
            let signerKey = try Self.readKey(ocsp.appendingPathComponent("key.pem"), for: signer, password: password)
            self.ocspSigner = (signer, signerKey)
        } else {
            self.ocspSigner = nil
        }
    }

    /// The responder's view of this CA with `database`.
    public func ocspAuthority(database: CertificateDatabase) throws -> OCSPResponder.Authority {
        try OCSPResponder.Authority(
            issuer: certificate, signer: ocspSigner?.certificate, signerKey: ocspSigner?.key ?? privateKey,
            database: database)
    }

    /// Issues the next CRL of this CA (signed with id-Ed448 by an Ed448 CA), taking the CRL number from its database
    /// and incrementing it there.
    /// - Throws: ``V2GPKIError/Code-swift.struct/invalidRequest`` when `nextUpdate` is not after `thisUpdate`; what
    ///   reading or writing the database throws.
    public func issueCRL(thisUpdate: Date, nextUpdate: Date) throws -> CertificateList {
        let keyIdentifier = try CRLBuilder.keyIdentifier(of: certificate)
        return try databaseFile.update { database -> CertificateList in
            let crl = try CRLBuilder.makeCRL(
                issuer: certificate.subject, keyIdentifier: keyIdentifier, key: privateKey, database: database,
                crlNumber: database.nextCRLNumber, thisUpdate: thisUpdate, nextUpdate: nextUpdate)
            database.nextCRLNumber += 1
            return crl
        }
    }

    static func readCertificate(in directory: URL, name: String) throws -> RevocationCertificate {
        let pem = directory.appendingPathComponent("\(name).pem")
        let der = directory.appendingPathComponent("\(name).der")
        do {
            if let text = try? String(contentsOf: pem, encoding: .utf8) {
                return try RevocationCertificate(derEncoded: try PEMDocument(pemString: text).derBytes)
            }
            guard let data = try? Data(contentsOf: der) else {
                throw V2GPKIError.make(.missingFile, "neither \(pem.path) nor \(der.path) is readable")
            }
            return try RevocationCertificate(derEncoded: Array(data))
        } catch let error as V2GPKIError {
            throw error
        } catch {
            throw V2GPKIError.make(.malformedEncoding, "certificate in \(directory.path): \(error)", cause: error)
        }
    }

    static func readKey(_ url: URL, for certificate: RevocationCertificate, password: String?) throws -> RevocationSigningKey {
        switch certificate {
        case .certificate: .certificate(try PrivateKeyFile.load(path: url.path, password: password))
        case .ed448: .ed448(try PrivateKeyFile.loadEd448(path: url.path, password: password))
        }
    }
}
