import EMSP
import Foundation
import PnCCore
import SQLKit
import Synchronization
import V2GSecurity

/// The eMSP repository over the same SQLite / PostgreSQL store as the CSMS (tables of migration 2).
extension SQLStore: EMSPRepository {
    public func save(_ customer: Customer) async throws {
        _ = try await write { db in
            try await db.raw(
                """
                INSERT INTO emsp_customers (id, name, email) VALUES (\(bind: customer.id), \(bind: customer.name), \(bind: customer.email))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, email = excluded.email
                """
            ).run()
            return true
        }
    }

    public func customer(id: String) async throws -> Customer? {
        try await reader.raw("SELECT id, name, email FROM emsp_customers WHERE id = \(bind: id)").all().first.map { row in
            Customer(
                id: try row.decode(column: "id", as: String.self), name: try row.decode(column: "name", as: String.self),
                email: try row.decode(column: "email", as: String?.self))
        }
    }

    public func save(_ vehicle: Vehicle) async throws {
        _ = try await write { db in
            try await db.raw(
                """
                INSERT INTO emsp_vehicles (pcid, customer_id, label) VALUES (\(bind: vehicle.pcid.value), \(bind: vehicle.customerID), \(bind: vehicle.label))
                ON CONFLICT (pcid) DO UPDATE SET customer_id = excluded.customer_id, label = excluded.label
                """
            ).run()
            return true
        }
    }

    public func vehicle(pcid: PCID) async throws -> Vehicle? {
        try await reader.raw("SELECT pcid, customer_id, label FROM emsp_vehicles WHERE pcid = \(bind: pcid.value)").all().first.map { row in
            Vehicle(
                pcid: try PCID(try row.decode(column: "pcid", as: String.self)),
                customerID: try row.decode(column: "customer_id", as: String.self),
                label: try row.decode(column: "label", as: String?.self))
        }
    }

    public func save(_ c: Contract) async throws {
        let chain = c.certificateChain.map(Self.hex).joined(separator: ",")
        let serial = c.certificateSerial.map(Self.hex)
        let key = c.keyPackage.map { Self.hex($0.encryptedPrivateKey) }
        let dh = c.keyPackage.map { Self.hex($0.dhPublicKey) }
        let from = Int64((c.validFrom.timeIntervalSince1970 * 1000).rounded())
        let to = Int64((c.validTo.timeIntervalSince1970 * 1000).rounded())
        _ = try await write { db in
            try await db.raw(
                """
                INSERT INTO emsp_contracts (emaid, pcid, customer_id, status, valid_from_ms, valid_to_ms, certificate_chain, certificate_serial, encrypted_key, dh_public_key)
                VALUES (\(bind: c.emaid.normalized), \(bind: c.pcid.value), \(bind: c.customerID), \(bind: c.status.rawValue), \(bind: from), \(bind: to), \(bind: chain), \(bind: serial), \(bind: key), \(bind: dh))
                ON CONFLICT (emaid) DO UPDATE SET pcid = excluded.pcid, customer_id = excluded.customer_id, status = excluded.status,
                valid_from_ms = excluded.valid_from_ms, valid_to_ms = excluded.valid_to_ms, certificate_chain = excluded.certificate_chain,
                certificate_serial = excluded.certificate_serial, encrypted_key = excluded.encrypted_key, dh_public_key = excluded.dh_public_key
                """
            ).run()
            return true
        }
    }

    public func contracts(pcid: PCID) async throws -> [Contract] {
        try await reader.raw("SELECT * FROM emsp_contracts WHERE pcid = \(bind: pcid.value) ORDER BY emaid").all().map(Self.contract)
    }

    public func contract(emaid: PnCCore.EMAID) async throws -> Contract? {
        try await reader.raw("SELECT * FROM emsp_contracts WHERE emaid = \(bind: emaid.normalized)").all().first.map(Self.contract)
    }

    public func allContracts() async throws -> [Contract] {
        try await reader.raw("SELECT * FROM emsp_contracts ORDER BY emaid").all().map(Self.contract)
    }

    public func nextEMAIDSequence(countryCode: String, providerID: String) async throws -> UInt64 {
        let provider = (countryCode + providerID).uppercased()
        let box = Mutex<Int64>(0)
        _ = try await write { db in
            try await db.raw(
                "INSERT INTO emsp_emaid_sequences (provider, value) VALUES (\(bind: provider), 1) ON CONFLICT (provider) DO UPDATE SET value = emsp_emaid_sequences.value + 1"
            ).run()
            let value = try await db.raw("SELECT value FROM emsp_emaid_sequences WHERE provider = \(bind: provider)")
                .first(decodingColumn: "value", as: Int64.self) ?? 0
            box.withLock { $0 = value }
            return true
        }
        return UInt64(max(0, box.withLock { $0 }))
    }

    static func contract(_ row: any SQLRow) throws -> Contract {
        let chainText = try row.decode(column: "certificate_chain", as: String.self)
        let key = try row.decode(column: "encrypted_key", as: String?.self)
        let dh = try row.decode(column: "dh_public_key", as: String?.self)
        var package: EncryptedContractKey?
        if let key, let dh { package = EncryptedContractKey(encryptedPrivateKey: try unhex(key), dhPublicKey: try unhex(dh)) }
        let statusText = try row.decode(column: "status", as: String.self)
        guard let status = ContractStatus(rawValue: statusText) else {
            throw StorageError.make(.queryFailed, "unknown contract status \(statusText)")
        }
        return Contract(
            emaid: try PnCCore.EMAID(try row.decode(column: "emaid", as: String.self)),
            pcid: try PCID(try row.decode(column: "pcid", as: String.self)),
            customerID: try row.decode(column: "customer_id", as: String.self),
            status: status,
            validFrom: Date(timeIntervalSince1970: Double(try row.decode(column: "valid_from_ms", as: Int64.self)) / 1000),
            validTo: Date(timeIntervalSince1970: Double(try row.decode(column: "valid_to_ms", as: Int64.self)) / 1000),
            certificateChain: try chainText.split(separator: ",").map { try unhex(String($0)) },
            certificateSerial: try row.decode(column: "certificate_serial", as: String?.self).map(unhex),
            keyPackage: package)
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let d = Array("0123456789abcdef")
        return String(bytes.flatMap { [d[Int($0 >> 4)], d[Int($0 & 15)]] })
    }

    static func unhex(_ text: String) throws -> [UInt8] {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { throw StorageError.make(.queryFailed, "odd hex length") }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else {
                throw StorageError.make(.queryFailed, "not hex")
            }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }
}
