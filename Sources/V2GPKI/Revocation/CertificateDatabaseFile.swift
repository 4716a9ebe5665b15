import Foundation
import X509

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The ``CertificateDatabase`` of a CA folder, kept in `<caDir>/database.json`.
///
/// This is the one place where the PKI module touches the file system for revocation state: every change is a
/// read-modify-write under an exclusive `flock` on `<caDir>/database.lock`, written to a temporary file in the same
/// folder and renamed over `database.json`, so readers (the OCSP responder) see either the old or the new file.
public struct CertificateDatabaseFile: Sendable {
    public let caDirectory: URL
    public var url: URL { caDirectory.appendingPathComponent("database.json") }

    public init(caDirectory: URL) {
        self.caDirectory = caDirectory
    }

    /// Reads the database; a CA folder without `database.json` has an empty one.
    /// - Throws: ``V2GPKIError/Code-swift.struct/malformedEncoding``, ``V2GPKIError/Code-swift.struct/missingFile``.
    public func load() throws -> CertificateDatabase {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch let error as CocoaError where error.code == .fileReadNoSuchFile {
            guard FileManager.default.fileExists(atPath: caDirectory.path) else {
                throw V2GPKIError.make(.missingFile, "CA folder \(caDirectory.path) does not exist", cause: error)
            }
            return CertificateDatabase()
        } catch {
            throw V2GPKIError.make(.missingFile, "cannot read \(url.path)", cause: error)
        }
        return try CertificateDatabase(jsonData: data)
    }

    /// Writes the database atomically (temporary file in the same folder, then rename).
    public func save(_ database: CertificateDatabase) throws {
        let data = try database.jsonData()
        let temporary = caDirectory.appendingPathComponent(".database.json.\(getpid()).tmp")
        do {
            try data.write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw V2GPKIError.make(.missingFile, "cannot rename onto \(url.path): errno \(errno)")
            }
        } catch let error as V2GPKIError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw V2GPKIError.make(.missingFile, "cannot write \(url.path)", cause: error)
        }
    }

    /// Loads, lets `body` change the database, and saves it, holding the folder's lock throughout.
    @discardableResult
    public func update<T>(_ body: (inout CertificateDatabase) throws -> T) throws -> T {
        let lockPath = caDirectory.appendingPathComponent("database.lock").path
        let fd = open(lockPath, O_CREAT | O_RDWR, 0o600)
        guard fd >= 0 else { throw V2GPKIError.make(.missingFile, "cannot open \(lockPath): errno \(errno)") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw V2GPKIError.make(.missingFile, "cannot lock \(lockPath)") }
        defer { flock(fd, LOCK_UN) }
        var database = try load()
        let result = try body(&database)
        try save(database)
        return result
    }

    /// Records an issued certificate (see ``CertificateDatabase/recordIssued(_:)``).
    public func recordIssued(_ certificate: Certificate) throws {
        try update { try $0.recordIssued(certificate) }
    }

    /// Records an issued Ed448 certificate.
    public func recordIssued(_ certificate: Ed448Certificate) throws {
        try update { try $0.recordIssued(certificate) }
    }

    /// Revokes a certificate (see ``CertificateDatabase/revoke(serial:reason:at:)``).
    public func revoke(serial: Certificate.SerialNumber, reason: CRLReason, at time: Date) throws {
        try update { try $0.revoke(serial: serial, reason: reason, at: time) }
    }

    /// The status of a serial number as the file says now.
    public func status(serial: Certificate.SerialNumber) throws -> RevocationStatus {
        try load().status(serial: serial)
    }
}
