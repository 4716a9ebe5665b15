import CSMS
import CSMSServer
import ChargingStation
import Foundation
import ISO15118SECC
import OCPPMessages
import OCPPTransport
import PnCCore
import Storage
import PnCTesting
import Testing

let trace = TraceID(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210)

@Suite("Charging station OCPP 2.0.1 client against our CSMS over WebSocket on loopback")
struct OCPPChargingStationTests {
    @Test("[OCPP2.0.1 B01 G01 G02] boot is accepted, the station is stored with its statuses")
    func boot() async throws {
        let folder = temporaryFolder("station-boot")
        let csms = TestCSMS(databasePath: folder + "/csms.sqlite")
        let running = try await csms.start()
        let station = try OCPPChargingStation(
            configuration: stationConfiguration(port: running.port, folder: folder + "/station"), logger: testLogger)
        try await withStation(station) { station in
            #expect(await station.wait(timeout: .seconds(60)) { $0.isOnline })
            #expect(station.registrationStatus == .accepted)
            #expect(station.heartbeatInterval == 300)
            let stored = try await running.application.store.station(id: "CS-PNC-1")
            #expect(stored != nil)
            // StatusNotification follows the accepted boot.
            var statuses: [ConnectorStatusRecord] = []
            try await pollWhile(every: .milliseconds(20)) {
                statuses = try await running.application.store.connectorStatuses(stationID: "CS-PNC-1")
                return statuses.isEmpty
            }
            #expect(statuses.map(\.status) == ["Available"])
        }
        await running.stop()
    }

    @Test("[OCPP2.0.1 B02 B03] a Pending boot is retried at the CSMS's interval until Accepted")
    func pendingBoot() async throws {
        let folder = temporaryFolder("station-pending")
        let csms = TestCSMS(databasePath: folder + "/csms.sqlite") {
            $0.bootPolicy = .pendingUnknown
            $0.bootRetryInterval = 1
        }
        let running = try await csms.start()
        let station = try OCPPChargingStation(
            configuration: stationConfiguration(port: running.port, folder: folder + "/station"), logger: testLogger)
        try await withStation(station) { station in
            #expect(await station.wait(timeout: .seconds(60)) { $0.registrationStatus == .pending })
            #expect(!station.isOnline)
            // An operator accepts the station; the next retry (1 s later) is Accepted.
            var record = try #require(try await running.application.store.station(id: "CS-PNC-1"))
            record.registration = .accepted
            try await running.application.store.saveStation(record)
            #expect(await station.wait(timeout: .seconds(60)) { $0.isOnline })
            #expect(station.bootCount >= 2)
        }
        await running.stop()
    }

    @Test("[OCPP2.0.1 C01 C07] Authorize: EIM token and contract mapped to the decision, trace id in customData")
    func authorize() async throws {
        let folder = temporaryFolder("station-authorize")
        let csms = TestCSMS(databasePath: folder + "/csms.sqlite")
        let running = try await csms.start()
        try await running.application.store.saveToken(IdTokenRecord(idToken: "RFID-1", type: "ISO14443", status: "Accepted"))
        try await running.application.store.saveToken(IdTokenRecord(idToken: "RFID-2", type: "ISO14443", status: "Blocked"))
        let station = try OCPPChargingStation(
            configuration: stationConfiguration(port: running.port, folder: folder + "/station"), logger: testLogger)
        try await withStation(station) { station in
            #expect(await station.wait(timeout: .seconds(60)) { $0.isOnline })
            let accepted = try await station.authorize(
                .init(identification: .external(idToken: "RFID-1", type: "ISO14443"), evseID: 1, traceID: trace))
            #expect(accepted.status == .accepted)
            let blocked = try await station.authorize(
                .init(identification: .external(idToken: "RFID-2", type: "ISO14443"), evseID: 1, traceID: trace))
            #expect(blocked.status == .blocked)
            let unknown = try await station.authorize(
                .init(identification: .external(idToken: "RFID-9", type: "ISO14443"), evseID: 1, traceID: trace))
            #expect(unknown.status == .unknown)
            let hash = CertificateHashData(
                hashAlgorithm: .sha256, issuerNameHash: String(repeating: "ab", count: 32),
                issuerKeyHash: String(repeating: "cd", count: 32), serialNumber: "1a2b", responderURL: "http://127.0.0.1/ocsp")
            let contract = try await station.authorize(
                .init(
                    identification: .contract(eMAID: "DE8AA001234567", certificateChainPEM: "", hashData: [hash]),
                    evseID: 1, traceID: trace))
            // The CSMS gives an answer for the contract (what it is depends on its PnC wiring); it is mapped, not lost.
            #expect(contract.detail?.hasPrefix("CSMS: ") == true)
        }
        await running.stop()
    }

    @Test("[OCPP2.0.1 E01 E02 E06 J02] a transaction with meter values is stored on the CSMS with seqNo and trace id")
    func transaction() async throws {
        let folder = temporaryFolder("station-tx")
        let csms = TestCSMS(databasePath: folder + "/csms.sqlite")
        let running = try await csms.start()
        let station = try OCPPChargingStation(
            configuration: stationConfiguration(port: running.port, folder: folder + "/station"), logger: testLogger)
        try await withStation(station) { station in
            #expect(await station.wait(timeout: .seconds(60)) { $0.isOnline })
            let start = Date().timeIntervalSince1970
            let id = try await station.transactionStarted(
                .init(
                    evseID: 1, sessionID: "0102030405060708", identification: .external(idToken: "RFID-1", type: "ISO14443"),
                    meterStartWh: 1000, timestamp: start, traceID: trace))
            for step in 1...3 {
                try await station.transactionUpdated(
                    .init(
                        transactionID: id, meterWh: 1000 + Double(step) * 500, powerW: 50_000, stateOfCharge: 40 + step,
                        timestamp: start + Double(step) * 10, traceID: trace))
            }
            try await station.transactionEnded(
                .init(transactionID: id, meterStopWh: 2600, reason: .evDisconnected, timestamp: start + 40, traceID: trace))
            #expect(await station.wait(timeout: .seconds(60)) { $0.journal.pending.isEmpty })
            let record = try #require(try await running.application.store.transaction(stationID: "CS-PNC-1", transactionID: id))
            #expect(record.eventCount == 5)
            #expect(record.lastSeqNo == 4)
            #expect(record.endedAt != nil)
            #expect(record.stoppedReason == "EVDisconnected")
            let samples = try await running.application.store.meterSamples(stationID: "CS-PNC-1", transactionID: id, limit: 100)
            let energy = samples.filter { $0.measurand == "Energy.Active.Import.Register" }.map(\.value).sorted()
            #expect(energy == [1000, 1500, 2000, 2500, 2600])
            let events = try await running.application.store.events(stationID: "CS-PNC-1", transactionID: id)
            #expect(events.map(\.seqNo) == [0, 1, 2, 3, 4])
            #expect(events.allSatisfy { $0.payload.contains(#""traceId":"\#(trace.rawValue)""#) })
            #expect(events.allSatisfy { $0.payload.contains(#""vendorId":"org.openpnc""#) })
        }
        await running.stop()
    }

    @Test("[OCPP2.0.1 E04 C15] CSMS stopped mid-transaction: events journaled, replayed in order and stored once")
    func offlineQueue() async throws {
        let folder = temporaryFolder("station-offline")
        let csms = TestCSMS(databasePath: folder + "/csms.sqlite")
        let first = try await csms.start()
        let port = first.port
        var configuration = stationConfiguration(port: port, folder: folder + "/station")
        var policy = OfflineAuthorizationPolicy()
        policy.localAuthList = ["RFID-LOCAL": .accepted]
        configuration.offlinePolicy = policy
        let station = try OCPPChargingStation(configuration: configuration, logger: testLogger)
        try await withStation(station) { station in
            #expect(await station.wait(timeout: .seconds(60)) { $0.isOnline })
            let start = Date().timeIntervalSince1970
            let id = try await station.transactionStarted(
                .init(
                    evseID: 1, sessionID: "0A0B", identification: .external(idToken: "RFID-LOCAL", type: "ISO14443"),
                    meterStartWh: 0, timestamp: start, traceID: trace))
            try await station.transactionUpdated(
                .init(transactionID: id, meterWh: 100, powerW: 11_000, stateOfCharge: nil, timestamp: start + 1, traceID: trace))
            #expect(await station.wait(timeout: .seconds(60)) { $0.journal.pending.isEmpty })

            await first.stop()
            for step in 2...6 {
                try await station.transactionUpdated(
                    .init(
                        transactionID: id, meterWh: Double(step) * 100, powerW: 11_000, stateOfCharge: nil,
                        timestamp: start + Double(step), traceID: trace))
            }
            #expect(await station.wait(timeout: .seconds(60)) { !$0.isOnline })
            // Offline: the policy decides, with its reason.
            let local = try await station.authorize(
                .init(identification: .external(idToken: "RFID-LOCAL", type: "ISO14443"), evseID: 1, traceID: trace))
            #expect(local.status == .accepted)
            #expect(local.detail?.hasPrefix("offline:") == true)
            let stranger = try await station.authorize(
                .init(identification: .external(idToken: "RFID-X", type: "ISO14443"), evseID: 1, traceID: trace))
            #expect(stranger.status == .unknown)
            let contract = try await station.authorize(
                .init(identification: .contract(eMAID: "DE8AA001234567", certificateChainPEM: "", hashData: []), evseID: 1, traceID: trace))
            #expect(contract.status == .unknown && contract.certificateStatus == .noCertificateAvailable)
            try await station.transactionEnded(
                .init(transactionID: id, meterStopWh: 700, reason: .evDisconnected, timestamp: start + 7, traceID: trace))
            #expect(station.journal.pending.count >= 6)

            // The journal survives a restart of the station process: a second journal on the same file sees the queue.
            let reopened = try OfflineJournal(path: station.journal.path)
            #expect(reopened.pending.count == station.journal.pending.count)
            reopened.close()

            let second = try await csms.start(port: port)
            #expect(await station.wait(timeout: .seconds(60)) { $0.isOnline && $0.journal.pending.isEmpty })
            let record = try #require(try await second.application.store.transaction(stationID: "CS-PNC-1", transactionID: id))
            #expect(record.eventCount == 8)
            #expect(record.lastSeqNo == 7)
            #expect(record.stoppedReason == "EVDisconnected")
            let events = try await second.application.store.events(stationID: "CS-PNC-1", transactionID: id)
            #expect(events.map(\.seqNo) == Array(0...7))
            #expect(events.filter(\.offline).count >= 1)
            let samples = try await second.application.store.meterSamples(stationID: "CS-PNC-1", transactionID: id, limit: 100)
            #expect(samples.filter { $0.measurand == "Energy.Active.Import.Register" }.map(\.value).sorted()
                == [0, 100, 200, 300, 400, 500, 600, 700])
            await second.stop()
        }
    }

    @Test("[OCPP2.0.1 M03 M04 M05 A02 B05 B06] certificate store and device-model calls from the CSMS")
    func csmsCalls() async throws {
        let folder = temporaryFolder("station-certs")
        let root = try selfSignedRoot("V2G Root Test")
        let csms = TestCSMS(databasePath: folder + "/csms.sqlite") { $0.rootCertificatesToInstall = [("V2GRootCertificate", root)] }
        let running = try await csms.start()
        let station = try OCPPChargingStation(
            configuration: stationConfiguration(port: running.port, folder: folder + "/station"), logger: testLogger)
        try await withStation(station) { station in
            #expect(await station.wait(timeout: .seconds(60)) { $0.isOnline })
            // The CSMS installs its root after boot (commissioning).
            #expect(await station.wait(timeout: .seconds(60)) { (try? $0.certificates.installed().count) == 1 })
            let app = running.application
            let ids = try V201.GetInstalledCertificateIdsResponse(
                json: try await app.send(CSMSCall(V201.GetInstalledCertificateIdsRequest(certificateType: [.v2GRootCertificate])), to: "CS-PNC-1"))
            #expect(ids.status == .accepted)
            let hash = try #require(ids.certificateHashDataChain?.first?.certificateHashData)
            let mo = try selfSignedRoot("MO Root Test")
            let installed = try V201.InstallCertificateResponse(
                json: try await app.send(CSMSCall(V201.InstallCertificateRequest(certificateType: .moRootCertificate, certificate: mo)), to: "CS-PNC-1"))
            #expect(installed.status == .accepted)
            let garbage = try V201.InstallCertificateResponse(
                json: try await app.send(CSMSCall(V201.InstallCertificateRequest(certificateType: .moRootCertificate, certificate: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")), to: "CS-PNC-1"))
            #expect(garbage.status == .rejected)
            #expect(try station.certificates.installed().count == 2)
            let deleted = try V201.DeleteCertificateResponse(
                json: try await app.send(CSMSCall(V201.DeleteCertificateRequest(certificateHashData: hash)), to: "CS-PNC-1"))
            #expect(deleted.status == .accepted)
            let again = try V201.DeleteCertificateResponse(
                json: try await app.send(CSMSCall(V201.DeleteCertificateRequest(certificateHashData: hash)), to: "CS-PNC-1"))
            #expect(again.status == .notFound)
            #expect(try station.certificates.installed().map(\.type) == ["MORootCertificate"])

            // Device model.
            let set = try V201.SetVariablesResponse(
                json: try await app.send(
                    CSMSCall(
                        V201.SetVariablesRequest(setVariableData: [
                            .init(attributeValue: "false", component: .init(name: "AuthCtrlr"), variable: .init(name: "LocalAuthorizeOffline")),
                            .init(attributeValue: "abc", component: .init(name: "OCPPCommCtrlr"), variable: .init(name: "HeartbeatInterval")),
                            .init(attributeValue: "1", component: .init(name: "NoSuchCtrlr"), variable: .init(name: "X")),
                        ])), to: "CS-PNC-1"))
            #expect(set.setVariableResult.map(\.attributeStatus) == [.accepted, .rejected, .unknownComponent])
            #expect(station.offlinePolicy.localAuthorizeOffline == false)
            let get = try V201.GetVariablesResponse(
                json: try await app.send(
                    CSMSCall(
                        V201.GetVariablesRequest(getVariableData: [
                            .init(component: .init(name: "OCPPCommCtrlr"), variable: .init(name: "HeartbeatInterval")),
                            .init(component: .init(name: "SecurityCtrlr"), variable: .init(name: "Identity")),
                            .init(component: .init(name: "AuthCtrlr"), variable: .init(name: "Nope")),
                        ])), to: "CS-PNC-1"))
            #expect(get.getVariableResult.map(\.attributeValue) == ["300", "CS-PNC-1", nil])
            #expect(get.getVariableResult.last?.attributeStatus == .unknownVariable)

            // Remote control.
            let reset = try V201.ResetResponse(json: try await app.send(CSMSCall(V201.ResetRequest(type: .onIdle)), to: "CS-PNC-1"))
            #expect(reset.status == .accepted)
            let stop = try V201.RequestStopTransactionResponse(
                json: try await app.send(CSMSCall(V201.RequestStopTransactionRequest(transactionId: "nope")), to: "CS-PNC-1"))
            #expect(stop.status == .rejected)
            let start = try V201.RequestStartTransactionResponse(
                json: try await app.send(
                    CSMSCall(V201.RequestStartTransactionRequest(idToken: .init(idToken: "APP-1", type: .central), remoteStartId: 7)),
                    to: "CS-PNC-1"))
            #expect(start.status == .accepted)
            var commands = station.commands.makeAsyncIterator()
            #expect(await commands.next() == .reset(immediate: true))
            #expect(await commands.next() == .remoteStart(idToken: "APP-1", type: "Central", evseID: nil, remoteStartID: 7))

            // A02: TriggerMessage(SignV2GCertificate) → SignCertificate with a fresh CSR (no CA configured: Rejected).
            let trigger = try V201.TriggerMessageResponse(
                json: try await app.send(CSMSCall(V201.TriggerMessageRequest(requestedMessage: .signV2GCertificate)), to: "CS-PNC-1"))
            #expect(trigger.status == .accepted)
        }
        await running.stop()
    }

    @Test("[OCPP2.0.1 M02 M06] Get15118EVCertificate and GetCertificateStatus: CSMS refusal reason kept, offline is Failed")
    func certificateRelay() async throws {
        let folder = temporaryFolder("station-relay")
        let csms = TestCSMS(databasePath: folder + "/csms.sqlite")
        let running = try await csms.start()
        let station = try OCPPChargingStation(
            configuration: stationConfiguration(port: running.port, folder: folder + "/station"), logger: testLogger)
        let hash = CertificateHashData(
            hashAlgorithm: .sha256, issuerNameHash: String(repeating: "ab", count: 32),
            issuerKeyHash: String(repeating: "cd", count: 32), serialNumber: "1a2b", responderURL: "http://127.0.0.1/ocsp")
        try await withStation(station) { station in
            #expect(await station.wait(timeout: .seconds(60)) { $0.isOnline })
            let exchange = try await station.exchangeCertificate(
                .init(action: .install, schemaVersion: "urn:iso:15118:2:2013:MsgDef", exiRequest: [0x80, 0x98, 0x02], traceID: trace))
            // This CSMS has no contract service wired: the station keeps its reason code.
            #expect(exchange.status == .failed)
            #expect(exchange.detail == "CSMS: Failed (NoCPSConfigured)")
            let status = try await station.certificateStatus(.init(hashData: hash, traceID: trace))
            #expect(status.status == .failed && status.ocspResponse.isEmpty)
            await running.stop()
            let offline = try await station.exchangeCertificate(
                .init(action: .update, schemaVersion: "urn:iso:15118:2:2013:MsgDef", exiRequest: [0x80], traceID: trace))
            #expect(offline.status == .failed)
            #expect(offline.detail?.hasPrefix("offline:") == true)
        }
    }

    @Test("[OCPP2.0.1 A03] CertificateSigned with a chain that does not match the pending key is Rejected")
    func certificateSignedMismatch() async throws {
        let folder = temporaryFolder("station-signed")
        let csms = TestCSMS(databasePath: folder + "/csms.sqlite")
        let running = try await csms.start()
        let station = try OCPPChargingStation(
            configuration: stationConfiguration(port: running.port, folder: folder + "/station"), logger: testLogger)
        try await withStation(station) { station in
            #expect(await station.wait(timeout: .seconds(60)) { $0.isOnline })
            let app = running.application
            // A CSR makes a pending key; the CSMS has no CA, so nothing is signed.
            _ = try await app.send(CSMSCall(V201.TriggerMessageRequest(requestedMessage: .signV2GCertificate)), to: "CS-PNC-1")
            #expect(await station.wait(timeout: .seconds(60)) { FileManager.default.fileExists(atPath: $0.certificates.folder + "/secc/pending-key.pem") })
            let other = try selfSignedRoot("Not our key")
            let answer = try V201.CertificateSignedResponse(
                json: try await app.send(CSMSCall(V201.CertificateSignedRequest(certificateChain: other, certificateType: .v2GCertificate)), to: "CS-PNC-1"))
            #expect(answer.status == .rejected)
            #expect(station.certificates.seccChainPEM() == nil)
        }
        await running.stop()
    }
}

@Suite("Charging station state across a restart")
struct StationRestartTests {
    @Test("[OCPP2.0.1 E04] after a restart the journal still holds the undelivered events and seqNo continues")
    func restart() async throws {
        let folder = temporaryFolder("station-restart")
        // No CSMS at all: port 9 (discard) on loopback is closed.
        let configuration = stationConfiguration(port: 9, folder: folder)
        let first = try OCPPChargingStation(configuration: configuration, logger: testLogger)
        let id = try await first.transactionStarted(
            .init(
                evseID: 1, sessionID: "01", identification: .external(idToken: "RFID-1", type: "ISO14443"), meterStartWh: 0,
                timestamp: 1_767_225_600, traceID: trace))
        try await first.transactionUpdated(
            .init(transactionID: id, meterWh: 10, powerW: 1, stateOfCharge: nil, timestamp: 1_767_225_601, traceID: trace))
        first.journal.close()

        let second = try OCPPChargingStation(configuration: configuration, logger: testLogger)
        #expect(second.activeTransactionIDs == [id])
        try await second.transactionUpdated(
            .init(transactionID: id, meterWh: 20, powerW: 1, stateOfCharge: nil, timestamp: 1_767_225_602, traceID: trace))
        try await second.transactionEnded(
            .init(transactionID: id, meterStopWh: 30, reason: .local, timestamp: 1_767_225_603, traceID: trace))
        let seqNos = second.journal.pending.map { entry -> Int64 in
            guard case .object(let members) = entry.payload,
                case .integer(let seqNo)? = members.first(where: { $0.key == "seqNo" })?.value
            else { return -1 }
            return seqNo
        }
        #expect(seqNos == [0, 1, 2, 3])
        #expect(second.activeTransactionIDs.isEmpty)
        #expect(second.journal.pending.allSatisfy { entry in
            guard case .object(let members) = entry.payload else { return false }
            return members.contains { $0.key == "offline" && $0.value == .bool(true) }
        })
    }
}
