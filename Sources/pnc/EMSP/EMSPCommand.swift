import ArgumentParser
import Crypto
import EMSP
import Foundation
import Logging
import PnCServer
import PnCCore
import Storage
import V2GPKI
import V2GSecurity
import X509

struct EMSPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emsp",
        abstract: "eMSP: contracts bound to vehicles (PCID), eMAIDs, contract certificates from the MO Sub-CA 2.",
        subcommands: [EMSPContractCommand.self]
    )
}

struct EMSPContractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contract", abstract: "Create, import, list and cancel contracts.",
        subcommands: [EMSPContractCreate.self, EMSPContractImport.self, EMSPContractList.self, EMSPContractCancel.self]
    )
}

struct EMSPStoreOptions: ParsableArguments {
    @Option(help: "Database: a SQLite file path or postgres://user:password@host:port/database.") var database: String

    func withStore<T: Sendable>(_ body: @Sendable (SQLStore) async throws -> T) async throws -> T {
        let store = try await SQLStore.open(database, logger: Logger(label: "pnc.emsp"))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await store.run() }
            do {
                let result = try await body(store)
                try await store.close()
                try await group.waitForAll()
                return result
            } catch {
                try? await store.close()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}

struct EMSPContractCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Register the vehicle, allocate an eMAID and, with --oem-cert, issue the contract certificate and encrypt its key for the vehicle."
    )

    @Option(help: "PCID of the vehicle (CN of its OEM provisioning certificate).") var pcid: String
    @Option(help: "Customer id (created when new).") var customer: String = "default"
    @Option(help: "eMAID country code.") var country: String = "DE"
    @Option(help: "eMAID provider id.") var provider: String = "8AA"
    @Option(help: "Contract validity in days.") var validityDays: Int = 730
    @Option(help: "PKI folder made by `pnc pki init` (its MO Sub-CA 2 issues the certificate).") var pki: String?
    @Option(help: "The vehicle's OEM provisioning certificate (PEM or DER): the contract key is encrypted for it.") var oemCert: String?
    @Option(help: "PKI key password (or PNC_PKI_PASSWORD).") var password: String?
    @OptionGroup var store: EMSPStoreOptions

    func run() async throws {
        let vehicle = Vehicle(pcid: try PCID(pcid), customerID: customer)
        let allocator = try EMAIDAllocator(countryCode: country, providerID: provider)
        var issuance: (CertificateAuthorityContractIssuer, P256.KeyAgreement.PublicKey)?
        if let oemCert {
            guard let pki else { throw ValidationError("--oem-cert needs --pki") }
            let directory = try PKIDirectory(root: pki, password: password ?? ProcessInfo.processInfo.environment["PNC_PKI_PASSWORD"])
            guard let cert = try CertificateFile.certificates(atPath: oemCert).first,
                let signing = P256.Signing.PublicKey(cert.publicKey)
            else { throw ValidationError("\(oemCert) holds no P-256 certificate") }
            issuance = (CertificateAuthorityContractIssuer(ca: try directory.authority(.moSubCA2)),
                        try P256.KeyAgreement.PublicKey(rawRepresentation: signing.rawRepresentation))
        }
        let days = validityDays
        let customerID = customer
        let chosen = issuance
        let contract = try await store.withStore { store in
            if try await store.customer(id: customerID) == nil { try await store.save(Customer(id: customerID, name: customerID)) }
            try await store.save(vehicle)
            let sequence = try await store.nextEMAIDSequence(countryCode: allocator.countryCode, providerID: allocator.providerID)
            let now = Date()
            var contract = Contract(
                emaid: try allocator.emaid(sequence: sequence), pcid: vehicle.pcid, customerID: customerID, validFrom: now,
                validTo: now.addingTimeInterval(Double(days) * 86_400))
            if let (issuer, recipient) = chosen {
                let key = P256.Signing.PrivateKey()
                let issued = try issuer.issueContractCertificate(
                    emaid: contract.emaid, publicKey: Array(key.publicKey.x963Representation), validityDays: days, now: now)
                var iv = [UInt8](repeating: 0, count: 16)
                var rng = SystemRandomNumberGenerator()
                for i in iv.indices { iv[i] = UInt8.random(in: 0...255, using: &rng) }
                contract.certificateChain = issued.chain
                contract.certificateSerial = issued.serial
                contract.keyPackage = try ISO2ContractKeyEncryption.encrypt(
                    contractKey: key, for: recipient, ephemeralKey: P256.KeyAgreement.PrivateKey(), iv: iv)
            }
            try await store.save(contract)
            return contract
        }
        print("contract \(contract.emaid.display) for vehicle \(contract.pcid) (customer \(contract.customerID))"
              + (contract.certificateChain.isEmpty ? "; certificate issued at the first CertificateInstallationReq" : "; certificate issued, key encrypted for the OEM provisioning certificate"))
    }
}

struct EMSPContractImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Register a contract certificate that already exists (the one a vehicle holds) as an active contract of the vehicle.",
        discussion: "The eMAID comes from the certificate's CN, validity and serial number from the certificate; the vehicle keeps the private key. With --pki the chain must validate to the PKI's MO root."
    )

    @Option(help: "PCID of the vehicle (CN of its OEM provisioning certificate).") var pcid: String
    @Option(help: "The contract chain (PEM or DER): contract certificate, MO Sub-CA 2, MO Sub-CA 1.") var chain: String
    @Option(help: "Customer id (created when new).") var customer: String = "default"
    @Option(help: "PKI folder made by `pnc pki init`: the chain must validate to its MO root.") var pki: String?
    @OptionGroup var store: EMSPStoreOptions

    func run() async throws {
        let vehicle = Vehicle(pcid: try PCID(pcid), customerID: customer)
        let certificates = try CertificateFile.certificates(atPath: chain)
        let roots = try pki.map { try CertificateFile.certificates(atPath: "\($0)/ca/\(CertificateRole.moRoot.rawValue)/cert.pem") }
        let contract = try Contract.importing(
            chain: certificates, pcid: vehicle.pcid, customerID: customer, trustedRoots: roots, at: Date())
        let customerID = customer
        try await store.withStore { store in
            if try await store.customer(id: customerID) == nil { try await store.save(Customer(id: customerID, name: customerID)) }
            if let existing = try await store.contract(emaid: contract.emaid), existing.pcid != vehicle.pcid {
                throw ValidationError("contract \(contract.emaid.display) belongs to vehicle \(existing.pcid)")
            }
            try await store.save(vehicle)
            try await store.save(contract)
        }
        let formatter = ISO8601DateFormatter()
        print("contract \(contract.emaid.display) for vehicle \(contract.pcid) (customer \(contract.customerID)); certificate imported, valid until \(formatter.string(from: contract.validTo))")
    }
}

struct EMSPContractList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List contracts (optionally of one vehicle).")
    @Option(help: "Only this vehicle.") var pcid: String?
    @OptionGroup var store: EMSPStoreOptions

    func run() async throws {
        let filter = try pcid.map { try PCID($0) }
        let contracts = try await store.withStore { store in
            if let filter { return try await store.contracts(pcid: filter) }
            return try await store.allContracts()
        }
        let formatter = ISO8601DateFormatter()
        for c in contracts {
            print("\(c.emaid.normalized)\t\(c.pcid)\t\(c.customerID)\t\(c.status.rawValue)\t\(formatter.string(from: c.validTo))\t\(c.certificateChain.isEmpty ? "no certificate" : "certificate")")
        }
    }
}

struct EMSPContractCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a contract and revoke its certificate in the PKI.")
    @Option(help: "eMAID of the contract.") var emaid: String
    @Option(help: "PKI folder whose MO Sub-CA 2 issued the certificate (needed when one was issued).") var pki: String?
    @Option(help: "PKI key password (or PNC_PKI_PASSWORD).") var password: String?
    @OptionGroup var store: EMSPStoreOptions

    func run() async throws {
        let id = try PnCCore.EMAID(emaid)
        let issuer: CertificateAuthorityContractIssuer? = try pki.map {
            CertificateAuthorityContractIssuer(ca: try PKIDirectory(root: $0, password: password ?? ProcessInfo.processInfo.environment["PNC_PKI_PASSWORD"]).authority(.moSubCA2))
        }
        let cancelled = try await store.withStore { store in
            guard let vehicleContract = try await store.contract(emaid: id) else { throw ValidationError("no contract \(id)") }
            var pool = try await store.loadPool(pcid: vehicleContract.pcid)
            let c = try pool.cancel(emaid: id)
            if let serial = c.certificateSerial {
                guard let issuer else { throw ValidationError("the contract has a certificate: give --pki to revoke it") }
                try issuer.revokeContractCertificate(serial: serial, reason: .cessationOfOperation, at: Date())
            }
            try await store.save(c)
            return c
        }
        print("contract \(cancelled.emaid.display) cancelled" + (cancelled.certificateSerial == nil ? "" : "; certificate revoked"))
    }
}
