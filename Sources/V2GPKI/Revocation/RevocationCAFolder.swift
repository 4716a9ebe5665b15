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
    public let certificate: Certificate
    public let privateKey: Certificate.PrivateKey
    /// The delegated responder certificate and key, when `ocsp/` holds them.
    public let ocspSigner: (certificate: Certificate, key: Certificate.PrivateKey)?
    public var databaseFile: CertificateDatabaseFile { CertificateDatabaseFile(caDirectory: directory) }

    /// Reads a CA folder.
    /// - Throws: ``V2GPKIError/Code-swift.struct/missingFile``, ``V2GPKIError/Code-swift.struct/malformedEncoding``,
    ///   ``V2GPKIError/Code-swift.struct/invalidRequest`` (a key that does not match its certificate).
    /// - Parameter password: the password of encrypted keys (nil for unencrypted ones).
    public init(directory: URL, password: String? = nil) throws {
        self.directory = directory
        let certificate = try Self.readCertificate(in: directory, name: "cert")
        let key = try Self.readKey(directory.appendingPathComponent("key.pem"), password: password)
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
            let signerKey = try Self.readKey(ocsp.appendingPathComponent("key.pem"), password: password)
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

    static func readCertificate(in directory: URL, name: String) throws -> Certificate {
        let pem = directory.appendingPathComponent("\(name).pem")
        let der = directory.appendingPathComponent("\(name).der")
        do {
            if let text = try? String(contentsOf: pem, encoding: .utf8) {
                return try Certificate(pemEncoded: text)
            }
            guard let data = try? Data(contentsOf: der) else {
                throw V2GPKIError.make(.missingFile, "neither \(pem.path) nor \(der.path) is readable")
            }
            return try Certificate(derEncoded: Array(data))
        } catch let error as V2GPKIError {
            throw error
        } catch {
            throw V2GPKIError.make(.malformedEncoding, "certificate in \(directory.path): \(error)", cause: error)
        }
    }

    static func readKey(_ url: URL, password: String?) throws -> Certificate.PrivateKey {
        try PrivateKeyFile.load(path: url.path, password: password)
    }
}

extension RevocationCAFolder {
    /// Issues the next CRL of the CA folder `directory`, ECDSA or Ed448 (an ISO 15118-20 Ed448 CA signs with id-Ed448),
    /// taking the CRL number from its database and incrementing it there.
    /// - Throws: what reading the folder or its database throws; ``V2GPKIError/Code-swift.struct/invalidRequest`` when
    ///   the key does not belong to the certificate or `nextUpdate` is not after `thisUpdate`.
    public static func issueCRL(
        directory: URL, password: String?, thisUpdate: Date, nextUpdate: Date
    ) throws -> CertificateList {
        let make: (CertificateDatabase) throws -> CertificateList
        if let ed448 = try? CertificateFile.ed448Certificates(atPath: directory.appendingPathComponent("cert.pem").path).first {
            let key = try PrivateKeyFile.loadEd448(path: directory.appendingPathComponent("key.pem").path, password: password)
            make = { database in
                try CRLBuilder.makeCRL(
                    issuer: ed448, key: key, database: database, crlNumber: database.nextCRLNumber,
                    thisUpdate: thisUpdate, nextUpdate: nextUpdate)
            }
        } else {
            let folder = try RevocationCAFolder(directory: directory, password: password)
            make = { database in
                try CRLBuilder.makeCRL(
                    issuer: folder.certificate, key: folder.privateKey, database: database,
                    crlNumber: database.nextCRLNumber, thisUpdate: thisUpdate, nextUpdate: nextUpdate)
            }
        }
        return try CertificateDatabaseFile(caDirectory: directory).update { database -> CertificateList in
            let crl = try make(database)
            database.nextCRLNumber += 1
            return crl
        }
    }
}
