import CoreFoundation
import EXI
import Foundation
import ISO20Messages
import ISO2Messages
import MallocCounter
import SAPMessages
import XMLDSig

/// The EXI micro-benchmark behind `pnc bench exi` and `exi-bench`: encode and decode time per message in ns/op
/// (thread CPU time, doubling batches up to a budget, best of three) and malloc-family calls per operation.
/// dev/bench-exi-libcbv2g.sh runs it beside EVerest's libcbv2g on the same messages.
public enum EXIBenchmarks {
    public struct Sample {
        public var name: String
        /// Encodes into a new array (`exiEncoded()`).
        public var encode: () throws -> [UInt8]
        /// Encodes into the caller's buffer (`exiEncode(into:)`), as libcbv2g does; returns the size.
        public var encodeInto: (UnsafeMutableRawBufferPointer) throws -> Int
        public var decode: ([UInt8]) throws -> Void
    }

    static func pv(_ value: Int16, _ unit: ISO2Messages.UnitSymbol, _ multiplier: Int8 = 0) -> PhysicalValue {
        PhysicalValue(multiplier: multiplier, unit: unit, value: value)
    }

    static func iso2(_ body: BodyElement) -> ISO2Document {
        .v2gMessage(V2GMessage(header: MessageHeader(sessionID: [0x27, 0x5D, 0xE6, 0x4D, 0x83, 0x4B, 0x5D, 0x1F]), body: Body(bodyElement: body)))
    }

    public static func samples() -> [Sample] {
        let evseStatus = DC_EVSEStatus(
            notificationMaxDelay: 0, evseNotification: .none, evseIsolationStatus: .valid, evseStatusCode: .evseReady)
        let sap = SAPDocument.supportedAppProtocolReq(
            SupportedAppProtocolReq(appProtocol: [
                AppProtocol(protocolNamespace: "urn:din:70121:2012:MsgDef", versionNumberMajor: 2, versionNumberMinor: 0, schemaID: 1, priority: 1),
                AppProtocol(protocolNamespace: "urn:iso:15118:2:2013:MsgDef", versionNumberMajor: 2, versionNumberMinor: 0, schemaID: 2, priority: 2),
            ]))
        let sessionSetupReq = iso2(.sessionSetupReq(SessionSetupReq(evccID: [0x00, 0x7D, 0xFA, 0x07, 0x5E, 0x4A])))
        let sessionSetupRes = iso2(.sessionSetupRes(SessionSetupRes(responseCode: .okNewSessionEstablished, evseID: "DE*PNX*E12345*1", evseTimeStamp: 1_700_000_000)))
        let currentDemandReq = iso2(
            .currentDemandReq(
                CurrentDemandReq(
                    dcEVStatus: DC_EVStatus(evReady: true, evErrorCode: .noError, evresssoc: 55),
                    evTargetCurrent: pv(100, .a), evMaximumVoltageLimit: pv(450, .v), evMaximumCurrentLimit: pv(200, .a),
                    evMaximumPowerLimit: pv(90, .w, 3), bulkChargingComplete: false, chargingComplete: false,
                    remainingTimeToFullSoC: pv(1800, .s), remainingTimeToBulkSoC: pv(1200, .s), evTargetVoltage: pv(400, .v))))
        let currentDemandRes = iso2(
            .currentDemandRes(
                CurrentDemandRes(
                    responseCode: .ok, dcEVSEStatus: evseStatus, evsePresentVoltage: pv(398, .v), evsePresentCurrent: pv(99, .a),
                    evseCurrentLimitAchieved: false, evseVoltageLimitAchieved: false, evsePowerLimitAchieved: false,
                    evseMaximumVoltageLimit: pv(500, .v), evseMaximumCurrentLimit: pv(200, .a), evseMaximumPowerLimit: pv(150, .w, 3),
                    evseID: "DE*PNX*E12345*1", saScheduleTupleID: 1)))
        var schedule: [PMaxScheduleEntry] = []
        for hour in 0..<24 {
            let duration: UInt32? = hour == 23 ? 3600 : nil
            let interval = RelativeTimeInterval(start: UInt32(hour * 3600), duration: duration)
            schedule.append(PMaxScheduleEntry(timeInterval: .relativeTimeInterval(interval), pMax: pv(Int16(50 + hour), .w, 3)))
        }
        let cpdRes = iso2(
            .chargeParameterDiscoveryRes(
                ChargeParameterDiscoveryRes(
                    responseCode: .ok, evseProcessing: .finished,
                    saSchedules: .saScheduleList(
                        SAScheduleList(saScheduleTuple: [SAScheduleTuple(saScheduleTupleID: 1, pMaxSchedule: PMaxSchedule(pMaxScheduleEntry: schedule))])),
                    evseChargeParameter: .dcEVSEChargeParameter(
                        DC_EVSEChargeParameter(
                            dcEVSEStatus: evseStatus, evseMaximumCurrentLimit: pv(200, .a), evseMaximumPowerLimit: pv(150, .w, 3),
                            evseMaximumVoltageLimit: pv(500, .v), evseMinimumCurrentLimit: pv(0, .a), evseMinimumVoltageLimit: pv(150, .v),
                            evseCurrentRegulationTolerance: pv(5, .a), evsePeakCurrentRipple: pv(2, .a), evseEnergyToBeDelivered: pv(50, .wh, 3))))))
        func bytes(_ n: Int, _ seed: UInt8) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) } }
        func chain(_ id: String?) -> ISO2Messages.CertificateChain {
            ISO2Messages.CertificateChain(id: id, certificate: bytes(560, 1), subCertificates: SubCertificates(certificate: [bytes(520, 2), bytes(500, 3)]))
        }
        let digest = bytes(32, 9)
        let signedInfo = SignedInfo(
            canonicalizationMethod: CanonicalizationMethod(algorithm: "http://www.w3.org/TR/canonical-exi/"),
            signatureMethod: SignatureMethod(algorithm: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"),
            reference: ["id1", "id2", "id3", "id4"].map {
                Reference(
                    uri: "#\($0)", transforms: Transforms(transform: [Transform(algorithm: "http://www.w3.org/TR/canonical-exi/")]),
                    digestMethod: DigestMethod(algorithm: "http://www.w3.org/2001/04/xmlenc#sha256"), digestValue: digest)
            })
        let certRes = ISO2Document.v2gMessage(
            V2GMessage(
                header: MessageHeader(
                    sessionID: [1, 2, 3, 4, 5, 6, 7, 8],
                    signature: Signature(signedInfo: signedInfo, signatureValue: SignatureValue(value: bytes(64, 4)))),
                body: Body(
                    bodyElement: .certificateInstallationRes(
                        CertificateInstallationRes(
                            responseCode: .ok, saProvisioningCertificateChain: chain(nil), contractSignatureCertChain: chain("id1"),
                            contractSignatureEncryptedPrivateKey: ContractSignatureEncryptedPrivateKey(id: "id2", value: bytes(48, 5)),
                            dHpublickey: DiffieHellmanPublickey(id: "id3", value: [4] + bytes(64, 6)),
                            eMAID: EMAID(id: "id4", value: "DE8AA0012345670"))))))
        let dcLoop = ISO20DCDocument.dcChargeLoopReq(
            DC_ChargeLoopReq(
                header: ISO20Messages.MessageHeader(sessionID: bytes(8, 7), timeStamp: 1_700_000_000),
                displayParameters: DisplayParameters(presentSOC: 55, chargingComplete: false),
                meterInfoRequested: false, evPresentVoltage: RationalNumber(exponent: 0, value: 398),
                clReqControlMode: .scheduledDCCLReqControlMode(
                    Scheduled_DC_CLReqControlMode(
                        evTargetCurrent: RationalNumber(exponent: 0, value: 100), evTargetVoltage: RationalNumber(exponent: 0, value: 400),
                        evMaximumChargePower: RationalNumber(exponent: 3, value: 90)))))
        return [
            Sample(name: "SupportedAppProtocolReq", encode: { try sap.exiEncoded() }, encodeInto: { try sap.exiEncode(into: $0) }, decode: { _ = try SAPDocument(exi: $0) }),
            Sample(name: "SessionSetupReq", encode: { try sessionSetupReq.exiEncoded() }, encodeInto: { try sessionSetupReq.exiEncode(into: $0) }, decode: { _ = try ISO2Document(exi: $0) }),
            Sample(name: "SessionSetupRes", encode: { try sessionSetupRes.exiEncoded() }, encodeInto: { try sessionSetupRes.exiEncode(into: $0) }, decode: { _ = try ISO2Document(exi: $0) }),
            Sample(name: "CurrentDemandReq", encode: { try currentDemandReq.exiEncoded() }, encodeInto: { try currentDemandReq.exiEncode(into: $0) }, decode: { _ = try ISO2Document(exi: $0) }),
            Sample(name: "CurrentDemandRes", encode: { try currentDemandRes.exiEncoded() }, encodeInto: { try currentDemandRes.exiEncode(into: $0) }, decode: { _ = try ISO2Document(exi: $0) }),
            Sample(name: "ChargeParameterDiscoveryRes (SAScheduleList, 24 entries)", encode: { try cpdRes.exiEncoded() }, encodeInto: { try cpdRes.exiEncode(into: $0) }, decode: { _ = try ISO2Document(exi: $0) }),
            Sample(name: "-20 DC_ChargeLoopReq", encode: { try dcLoop.exiEncoded() }, encodeInto: { try dcLoop.exiEncode(into: $0) }, decode: { _ = try ISO20DCDocument(exi: $0) }),
            Sample(name: "CertificateInstallationRes (signed, 3 chains)", encode: { try certRes.exiEncoded() }, encodeInto: { try certRes.exiEncode(into: $0) }, decode: { _ = try ISO2Document(exi: $0) }),
        ]
    }

    /// CPU time of the calling thread in nanoseconds: on a shared machine, wall time would count other processes.
    public static func threadCPUTime() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) * 1e9 + Double(spec.tv_nsec)
    }

    /// Runs `body` in doubling batches until a batch takes `budget` nanoseconds of CPU; the best of three such
    /// batches, per call.
    public static func measure(_ budget: Double, _ body: () throws -> Void) rethrows -> Double {
        var iterations = 1
        while true {
            let start = threadCPUTime()
            for _ in 0..<iterations { try body() }
            let elapsed = threadCPUTime() - start
            if elapsed >= budget || iterations >= 1 << 26 { break }
            iterations *= 2
        }
        var best = Double.infinity
        for _ in 0..<3 {
            let start = threadCPUTime()
            for _ in 0..<iterations { try body() }
            best = min(best, (threadCPUTime() - start) / Double(iterations))
        }
        return best
    }

    /// Mean malloc-family calls per call of `body` on this thread, over `rounds` calls after one warm-up call; nil
    /// when allocations are not counted in this process (another allocator, or not glibc).
    public static func allocations(_ rounds: Int = 100, _ body: () throws -> Void) rethrows -> Double? {
        guard countsAllocations else { return nil }
        try body()
        let before = malloc_counter_thread_allocations()
        for _ in 0..<rounds { try body() }
        return Double(malloc_counter_thread_allocations() - before) / Double(rounds)
    }

    /// Whether an allocation made by the Swift runtime reaches the counter.
    public static let countsAllocations: Bool = {
        let before = malloc_counter_thread_allocations()
        let array = [UInt8](repeating: 1, count: Int.random(in: 64...128))
        let after = malloc_counter_thread_allocations()
        withExtendedLifetime(array) {}
        return after > before
    }()

    public static func format(_ allocations: Double?) -> String {
        guard let allocations else { return "n/a" }
        return allocations == allocations.rounded() ? String(Int(allocations)) : String(format: "%.2f", allocations)
    }

    /// Prints the report: a table, tab-separated lines (`tsv`) or each message's EXI as hex (`hex`).
    public static func run(milliseconds: Int, only: String?, hex: Bool, tsv: Bool) throws {
        let budget = Double(milliseconds) * 1e6 / 4
        let samples = Self.samples().filter { sample in only.map { sample.name.contains($0) } ?? true }
        if hex {
            for sample in samples { print("\(sample.name)\t\(EXIHex.string(try sample.encode()))") }
            return
        }
        #if DEBUG
        print("note: debug build; use `swift build -c release` for representative figures")
        #endif
        if !tsv {
            print(
                "message".padding(toLength: 56, withPad: " ", startingAt: 0)
                    + "bytes   encode ns/op   to array ns/op   decode ns/op   allocs/op enc/dec")
        }
        // One output buffer for every encode, as a V2G session reuses its send buffer (libcbv2g's harness does the
        // same with its exi_bitstream_t over a static buffer).
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 8)
        defer { buffer.deallocate() }
        for sample in samples {
            let bytes = try sample.encode()
            let size = try sample.encodeInto(buffer)
            guard size == bytes.count, buffer.prefix(size).elementsEqual(bytes) else {
                throw EXIError.unsupported("\(sample.name): exiEncode(into:) and exiEncoded() disagree")
            }
            try sample.decode(bytes)
            let encode = try Self.measure(budget) { _ = try sample.encodeInto(buffer) }
            let encodeArray = try Self.measure(budget) { _ = try sample.encode() }
            let decode = try Self.measure(budget) { try sample.decode(bytes) }
            let encodeAllocations = try Self.allocations { _ = try sample.encodeInto(buffer) }
            let encodeArrayAllocations = try Self.allocations { _ = try sample.encode() }
            let decodeAllocations = try Self.allocations { try sample.decode(bytes) }
            if tsv {
                let fields = [sample.name, String(bytes.count), String(format: "%.0f", encode), String(format: "%.0f", decode),
                    Self.format(encodeAllocations), Self.format(decodeAllocations), String(format: "%.0f", encodeArray),
                    Self.format(encodeArrayAllocations)]
                print(fields.joined(separator: "\t"))
                continue
            }
            let allocations = "\(Self.format(encodeAllocations))/\(Self.format(decodeAllocations))"
            let line = sample.name.padding(toLength: 56, withPad: " ", startingAt: 0)
                + String(format: "%5d   %12.0f   %12.0f   %12.0f   ", bytes.count, encode, encodeArray, decode)
                + allocations
            print(line)
        }
        if !tsv {
            print("encode: exiEncode(into:) a reused buffer; to array: exiEncoded(), which allocates the result")
            print("libcbv2g and EXICodec.jar side by side, same messages and method: dev/bench-exi-libcbv2g.sh")
        }
    }
}
