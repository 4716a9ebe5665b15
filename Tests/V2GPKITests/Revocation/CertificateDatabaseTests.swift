import Foundation
import PnCTesting
import Testing
import X509

@testable import V2GPKI

@Suite struct CertificateDatabaseTests {
    static let t = Date(timeIntervalSince1970: 1_780_000_000.75)

    @Test("[RFC5280-5.3.1] revoke records time (whole seconds) and reason; status answers good/revoked/unknown")
    func revokeAndStatus() throws {
        let pki = try RevocationTestPKI(.p256)
        var database = CertificateDatabase()
        try database.recordIssued(pki.leaves[0])
        try database.recordIssued(pki.leaves[0])  // idempotent
        try database.recordIssued(pki.leaves[1])
        #expect(database.certificates.count == 2)
        #expect(database.status(serial: pki.leaves[0].serialNumber) == .good)
        #expect(database.status(serial: pki.leaves[3].serialNumber) == .unknown)
        try database.revoke(serial: pki.leaves[1].serialNumber, reason: .superseded, at: Self.t)
        #expect(
            database.status(serial: pki.leaves[1].serialNumber)
                == .revoked(at: Date(timeIntervalSince1970: 1_780_000_000), reason: .superseded))
        #expect(database.revoked.map(\.serial) == ["3002"])
    }

    @Test("Revoking an unknown serial or a revoked certificate is a typed error")
    func typedErrors() throws {
        let pki = try RevocationTestPKI(.p256)
        var database = CertificateDatabase()
        try database.recordIssued(pki.leaves[0])
        let unknown = #expect(throws: V2GPKIError.self) {
            try database.revoke(serial: pki.leaves[3].serialNumber, reason: .keyCompromise, at: Self.t)
        }
        #expect(unknown?.code == .unknownSerial)
        try database.revoke(serial: pki.leaves[0].serialNumber, reason: .keyCompromise, at: Self.t)
        let again = #expect(throws: V2GPKIError.self) {
            try database.revoke(serial: pki.leaves[0].serialNumber, reason: .superseded, at: Self.t)
        }
        #expect(again?.code == .alreadyRevoked)
        // Another certificate with a recorded serial is refused.
        let clash = try RevocationTestPKI(.p521).leaves[0]
        #expect(throws: V2GPKIError.self) { try database.recordIssued(clash) }
    }

    @Test("database.json round-trips, is written atomically and survives concurrent readers")
    func fileStore() throws {
        let pki = try RevocationTestPKI(.p521)
        let directory = try TemporaryDirectory()
        let file = CertificateDatabaseFile(caDirectory: directory.url)
        #expect(try file.load() == CertificateDatabase())
        for leaf in pki.leaves { try file.recordIssued(leaf) }
        try file.revoke(serial: pki.leaves[2].serialNumber, reason: .cACompromiseName, at: Self.t)
        let loaded = try file.load()
        #expect(loaded.certificates.count == 4)
        #expect(try file.status(serial: pki.leaves[2].serialNumber) == .revoked(at: Date(timeIntervalSince1970: 1_780_000_000), reason: .caCompromise))
        let text = try String(contentsOf: file.url, encoding: .utf8)
        #expect(text.contains("\"reason\" : \"cACompromise\""))
        #expect(text.contains("\"serial\" : \"80000001\""))
        #expect(try CertificateDatabase(jsonData: loaded.jsonData()) == loaded)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
        let error = #expect(throws: V2GPKIError.self) {
            try CertificateDatabaseFile(caDirectory: directory.url.appendingPathComponent("absent")).load()
        }
        #expect(error?.code == .missingFile)
        try Data("{\"formatVersion\": 1, \"certificates\": 3}".utf8).write(to: file.url)
        #expect((#expect(throws: V2GPKIError.self) { try file.load() })?.code == .malformedEncoding)
    }

    @Test("Records stay in serial order whatever the order of issue; a file listing a serial twice is refused")
    func orderAndDuplicates() throws {
        let pki = try RevocationTestPKI(.p256)
        var database = CertificateDatabase()
        for leaf in pki.leaves.reversed() { try database.recordIssued(leaf) }
        try database.recordIssued(pki.responder)
        #expect(database.certificates.map(\.serial) == ["2001", "3001", "3002", "3003", "80000001"])
        for leaf in pki.leaves { #expect(database.status(serial: leaf.serialNumber) == .good) }
        try database.revoke(serial: pki.leaves[3].serialNumber, reason: .superseded, at: Self.t)
        #expect(database.revoked.map(\.serial) == ["80000001"])
        var text = String(decoding: try database.jsonData(), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"serial\" : \"3001\"", with: "\"serial\" : \"3002\"")
        let error = #expect(throws: V2GPKIError.self) { try CertificateDatabase(jsonData: Data(text.utf8)) }
        #expect(error?.code == .malformedEncoding)
    }

    @Test("Serial numbers parse from hex as openssl prints them")
    func serialHex() throws {
        #expect(try Certificate.SerialNumber(hexString: "3002") == Certificate.SerialNumber(0x3002))
        #expect(try Certificate.SerialNumber(hexString: "0x80:00:00:01") == Certificate.SerialNumber(0x8000_0001))
        #expect(Certificate.SerialNumber(0x8000_0001).hexString == "80000001")
        for bad in ["", "xyz", String(repeating: "a", count: 81)] {
            #expect(throws: V2GPKIError.self) { try Certificate.SerialNumber(hexString: bad) }
        }
        #expect(CRLReason(name: "KEYCOMPROMISE") == .keyCompromise)
        #expect(CRLReason(name: "caCompromise") == .caCompromise)
        #expect(CRLReason(name: "nonsense") == nil)
    }
}

extension CRLReason {
    static let cACompromiseName = CRLReason.caCompromise
}
