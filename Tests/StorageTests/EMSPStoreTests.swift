import EMSP
import Foundation
import Logging
import PnCCore
import Storage
import Testing
import V2GSecurity

/// Exercises an EMSPRepository: customers, vehicles, several contracts per PCID, status changes, eMAID sequences.
func exerciseEMSPRepository(_ store: SQLStore) async throws {
    try await store.save(Customer(id: "c1", name: "Ada", email: "ada@example.org"))
    #expect(try await store.customer(id: "c1")?.email == "ada@example.org")
    #expect(try await store.customer(id: "nobody") == nil)
    let pcid = try PCID("WMIV1234567890ABCD")
    try await store.save(Vehicle(pcid: pcid, customerID: "c1", label: "blue"))
    #expect(try await store.vehicle(pcid: pcid)?.label == "blue")
    let from = Date(timeIntervalSince1970: 1_800_000_000.123)
    let package = EncryptedContractKey(encryptedPrivateKey: Array(0..<48), dhPublicKey: [4] + Array(repeating: 9, count: 64))
    var first = Contract(
        emaid: try EMAID("DE8AA0012345670"), pcid: pcid, customerID: "c1", validFrom: from, validTo: from + 86_400,
        certificateChain: [[0x30, 1, 2], [0x30, 3]], certificateSerial: [0x7F, 1], keyPackage: package)
    try await store.save(first)
    try await store.save(Contract(emaid: try EMAID("FRXYZ123456789"), pcid: pcid, customerID: "fleet", validFrom: from, validTo: from + 10))
    let loaded = try await store.contracts(pcid: pcid)
    #expect(loaded.count == 2)
    #expect(loaded.first == first)
    first.status = .cancelled
    try await store.save(first)
    #expect(try await store.contract(emaid: try EMAID("DE8AA0012345670"))?.status == .cancelled)
    #expect(try await store.allContracts().count == 2)
    let pool = try await store.loadPool(pcid: pcid)
    #expect(pool.contracts(for: pcid).count == 2 && pool.vehicles[pcid] != nil)
    let sequences = try await withThrowingTaskGroup(of: UInt64.self) { group in
        for _ in 0..<10 { group.addTask { try await store.nextEMAIDSequence(countryCode: "DE", providerID: "8AA") } }
        return try await group.reduce(into: [UInt64]()) { $0.append($1) }
    }
    #expect(Set(sequences) == Set(1...10))
    #expect(try await store.nextEMAIDSequence(countryCode: "FR", providerID: "XYZ") == 1)
}

@Suite struct EMSPStoreTests {
    @Test("[EMSP] SQLite: customers, vehicles, contracts per PCID, status, key package and eMAID sequences survive a reopen")
    func sqlite() async throws {
        let path = temporaryDatabase()
        try await withStore(path: path) { (store: SQLStore) async throws -> Void in
            try await exerciseEMSPRepository(store)
        }
        try await withStore(path: path) { (store: SQLStore) async throws -> Void in
            #expect(try await store.contracts(pcid: try PCID("WMIV1234567890ABCD")).count == 2)
            #expect(try await store.nextEMAIDSequence(countryCode: "DE", providerID: "8AA") == 11)
        }
    }

    @Test("[EMSP] PostgreSQL: the same repository behaviour", .enabled(if: postgresAdminURL != nil, Comment(rawValue: postgresMissing)))
    func postgres() async throws {
        let url = try await freshPostgresDatabase()
        try await withStore(open: { try await SQLStore.open(url, logger: Logger(label: "test.pg")) }) { (store: SQLStore) async throws -> Void in
            try await exerciseEMSPRepository(store)
        }
    }
}
