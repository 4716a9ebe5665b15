import Foundation
import ISO15118SECC
import SwiftASN1
import V2GPKI
import X509

/// The station's certificates as a folder of PEM files: installed roots under `<folder>/<type>/<serial>.pem`
/// (OCPP 2.0.1 M03-M05: InstallCertificate, GetInstalledCertificateIds, DeleteCertificate) and the SECC's own chains
/// and keys, one per certificate profile (A02/A03: SignCertificate, CertificateSigned): the ISO 15118-2 one
/// (secp256r1) under `<folder>/secc/`, the ISO 15118-20 one (secp521r1) under `<folder>/secc-iso20/`. Both come to
/// the station as certificateType V2GCertificate; the leaf's curve says which one a CertificateSigned carries.
public struct StationCertificateStore: Sendable {
    /// OCPP InstallCertificateUseEnumType / GetCertificateIdUseEnumType raw values stored here.
    public static let rootTypes = [
        "V2GRootCertificate", "MORootCertificate", "CSMSRootCertificate", "ManufacturerRootCertificate",
    ]

    public struct Installed: Sendable, Hashable {
        public var type: String
        public var hashData: CertificateHashData
        public var pem: String
    }

    public let folder: String

    public init(folder: String) { self.folder = folder }

    /// Stores a root certificate of `type`.
    /// - Throws: ``ChargingStationError`` `certificateStore` for a malformed PEM, a certificate that is not
    ///   self-signed CA material, or a file error.
    @discardableResult
    public func install(type: String, pem: String) throws(ChargingStationError) -> Installed {
        guard Self.rootTypes.contains(type) else {
            throw .make(.certificateStore, "unsupported certificate type \(type)")
        }
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: pem)
        } catch {
            throw .make(.certificateStore, "not a PEM certificate", cause: error)
        }
        let hash: CertificateHashData
        do {
            hash = try CertificateHashData(certificate: certificate, issuer: certificate)
        } catch {
            throw .make(.certificateStore, "cannot hash the certificate", cause: error)
        }
        let directory = folder + "/" + type
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Self.atomicWrite(Data(pem.utf8), to: directory + "/" + hash.serialNumber + ".pem")
        } catch {
            throw .make(.certificateStore, "cannot write \(directory)", cause: error)
        }
        return Installed(type: type, hashData: hash, pem: pem)
    }

    /// The installed certificates of the given types (all types when empty).
    public func installed(types: [String] = []) throws(ChargingStationError) -> [Installed] {
        var result: [Installed] = []
        for type in (types.isEmpty ? Self.rootTypes : types.filter(Self.rootTypes.contains)) {
            let directory = folder + "/" + type
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
            for name in names where name.hasSuffix(".pem") {
                guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { continue }
                let pem = String(decoding: data, as: UTF8.self)
                do {
                    let certificate = try Certificate(pemEncoded: pem)
                    let hash = try CertificateHashData(certificate: certificate, issuer: certificate)
                    result.append(Installed(type: type, hashData: hash, pem: pem))
                } catch {
                    throw .make(.certificateStore, "\(directory)/\(name) is not a certificate", cause: error)
                }
            }
        }
        return result
    }

    /// Deletes the certificate with the hash data (algorithm, issuer name and key hashes, serial; case-insensitive).
    /// Returns false when no such certificate is installed.
    public func delete(
        issuerNameHash: String, issuerKeyHash: String, serialNumber: String
    ) throws(ChargingStationError) -> Bool {
        for entry in try installed() {
            let hash = entry.hashData
            guard hash.issuerNameHash.lowercased() == issuerNameHash.lowercased(),
                hash.issuerKeyHash.lowercased() == issuerKeyHash.lowercased(),
                Self.normalisedSerial(hash.serialNumber) == Self.normalisedSerial(serialNumber)
            else { continue }
            do {
                try FileManager.default.removeItem(atPath: folder + "/" + entry.type + "/" + hash.serialNumber + ".pem")
            } catch {
                throw .make(.certificateStore, "cannot delete the certificate", cause: error)
            }
            return true
        }
        return false
    }

    /// The folder of the SECC chain and key of `profile`: `secc` (ISO 15118-2), `secc-iso20` (ISO 15118-20).
    public func seccFolder(_ profile: PKIProfile) -> String {
        folder + (profile == .iso15118_20 ? "/secc-iso20" : "/secc")
    }

    /// The certificate profile of a public key: secp256r1 → ISO 15118-2, secp521r1 → ISO 15118-20; nil otherwise.
    public static func seccProfile(of key: Certificate.PublicKey) -> PKIProfile? {
        CertificateLinter.detectProfile(publicKey: key)
    }

    /// Stores an SECC certificate chain (PEM, leaf first) signed by the CSMS, under the profile of its leaf's key;
    /// the leaf must match that profile's pending key when one waits.
    /// - Returns: the profile the chain was stored for.
    /// - Throws: ``ChargingStationError`` `certificateStore` for an empty or malformed chain, a leaf of neither
    ///   profile's curve, a leaf that is not for the pending key, or a file error.
    @discardableResult
    public func storeSECCChain(_ pem: String) throws(ChargingStationError) -> PKIProfile {
        do {
            let certificates = try PEMDocument.parseMultiple(pemString: pem).map { try Certificate(pemDocument: $0) }
            guard let leaf = certificates.first else { throw ChargingStationError.make(.certificateStore, "empty chain") }
            guard let profile = Self.seccProfile(of: leaf.publicKey) else {
                throw ChargingStationError.make(
                    .certificateStore, "the leaf key is neither secp256r1 (ISO 15118-2) nor secp521r1 (ISO 15118-20)")
            }
            let directory = seccFolder(profile)
            if let keyPEM = try? String(contentsOfFile: directory + "/pending-key.pem", encoding: .utf8) {
                let key = try Certificate.PrivateKey(pemEncoded: keyPEM)
                guard key.publicKey == leaf.publicKey else {
                    throw ChargingStationError.make(.certificateStore, "the certificate is not for the pending key")
                }
                try Self.atomicWrite(Data(keyPEM.utf8), to: directory + "/key.pem")
                try? FileManager.default.removeItem(atPath: directory + "/pending-key.pem")
            }
            try Self.atomicWrite(Data(pem.utf8), to: directory + "/chain.pem")
            return profile
        } catch let error as ChargingStationError {
            throw error
        } catch {
            throw .make(.certificateStore, "cannot store the SECC chain", cause: error)
        }
    }

    /// The SECC chain of `profile` stored by ``storeSECCChain(_:)``, nil before its first CertificateSigned.
    public func seccChainPEM(profile: PKIProfile = .iso15118_2) -> String? {
        try? String(contentsOfFile: seccFolder(profile) + "/chain.pem", encoding: .utf8)
    }

    /// The private key (PEM) of the chain ``seccChainPEM(profile:)`` returns, nil before its first CertificateSigned.
    public func seccKeyPEM(profile: PKIProfile = .iso15118_2) -> String? {
        try? String(contentsOfFile: seccFolder(profile) + "/key.pem", encoding: .utf8)
    }

    /// Keeps the private key of a CSR of `profile` until its certificate arrives.
    func storePendingKey(_ pem: String, profile: PKIProfile = .iso15118_2) throws(ChargingStationError) {
        do {
            try FileManager.default.createDirectory(atPath: seccFolder(profile), withIntermediateDirectories: true)
            try Self.atomicWrite(Data(pem.utf8), to: seccFolder(profile) + "/pending-key.pem")
        } catch {
            throw .make(.certificateStore, "cannot store the key", cause: error)
        }
    }

    static func normalisedSerial(_ text: String) -> String {
        let trimmed = text.lowercased().drop { $0 == "0" }
        return trimmed.isEmpty ? "0" : String(trimmed)
    }

    static func atomicWrite(_ data: Data, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
