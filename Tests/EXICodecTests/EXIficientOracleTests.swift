import EXI
import Foundation
import ISO2Messages
import PnCTesting
import Testing
import XMLDSig

/// EXIficient (inside Josev's EXICodec.jar, PyPI iso15118==0.31.2) as the oracle for signed fragments: the same
/// content encoded by both must give the same bytes, since the digests of ISO 15118-2 §7.9.2.4 cover these bytes.
@Suite struct EXIficientOracleTests {
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()
    static let python = repository.appendingPathComponent(".build/peers/venv/bin/python")
    static let jar: URL? = {
        let lib = repository.appendingPathComponent(".build/peers/venv/lib")
        guard let versions = try? FileManager.default.contentsOfDirectory(atPath: lib.path) else { return nil }
        for v in versions.sorted() {
            let jar = lib.appendingPathComponent("\(v)/site-packages/iso15118/shared/EXICodec.jar")
            if FileManager.default.fileExists(atPath: jar.path) { return jar }
        }
        return nil
    }()
    static let javaAvailable: Bool = ["/usr/bin/java", "/usr/local/bin/java"].contains {
        FileManager.default.isExecutableFile(atPath: $0)
    } || ProcessInfo.processInfo.environment["JAVA_HOME"] != nil
    static var available: Bool { jar != nil && javaAvailable && FileManager.default.fileExists(atPath: python.path) }

    static let msgDef = "urn:iso:15118:2:2013:MsgDef"
    static let dsig = "http://www.w3.org/2000/09/xmldsig#"

    /// One line of Oracle/exicodec_oracle.py's input: EXICodec.jar's JSON encoder (`ns`, `json`), or EXIficient's own
    /// encoder on XML text with one of the grammars the jar ships (`grammar`, `xml`, `fragment`).
    struct OracleRequest: Encodable, Sendable {
        var ns: String?
        var json: String?
        var grammar: String?
        var xml: String?
        var fragment: Bool?
    }

    struct OracleFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs every request through one JVM and returns one answer per request.
    static func oracle(_ requests: [(ns: String, json: String)]) async throws -> [String] {
        try await oracle(requests: requests.map { OracleRequest(ns: $0.ns, json: $0.json) })
    }

    /// The requests go to the oracle in a file and the answers come back in one: the program runs through
    /// `Peers.runAsync`, which polls with `Task.sleep`, so no cooperative thread waits on the JVM.
    static func oracle(requests: [OracleRequest]) async throws -> [String] {
        guard let jar else { throw OracleFailure(description: "EXICodec.jar not found") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pnc-exi-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("requests.jsonl"), output = folder.appendingPathComponent("answers.txt")
        let encoder = JSONEncoder()
        var lines = Data()
        for request in requests {
            lines.append(try encoder.encode(request))
            lines.append(0x0A)
        }
        try lines.write(to: input)
        let script = repository.appendingPathComponent("Tests/EXICodecTests/Oracle/exicodec_oracle.py")
        let run = try await Peers.runAsync(python.path, [script.path, jar.path, input.path, output.path], timeout: .seconds(300))
        guard run.status == 0, let answers = try? String(contentsOf: output, encoding: .utf8) else {
            throw OracleFailure(description: "oracle exited with \(run.status): \(run.output.suffix(2_000))")
        }
        return answers.split(separator: "\n").map(String.init)
    }

    static func b64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
    static func bytes(_ count: Int, _ seed: UInt8) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) } }

    struct Case {
        var name: String
        var ns: String
        var json: String
        var ours: () throws -> [UInt8]
    }

    static func cases() -> [Case] {
        let challenge = Array<UInt8>(1...16)
        let cert = bytes(300, 1), sub1 = bytes(200, 2), sub2 = bytes(250, 3)
        let key = bytes(48, 4), dh = [0x04] + bytes(64, 5), sig = bytes(64, 6), digest = bytes(32, 7)
        func reference(_ id: String) -> (String, Reference) {
            (
                ##"{"URI":"#\##(id)","Transforms":{"Transform":[{"Algorithm":"http://www.w3.org/TR/canonical-exi/"}]},"DigestMethod":{"Algorithm":"http://www.w3.org/2001/04/xmlenc#sha256"},"DigestValue":"\##(b64(digest))"}"##,
                Reference(
                    uri: "#\(id)", transforms: Transforms(transform: [Transform(algorithm: "http://www.w3.org/TR/canonical-exi/")]),
                    digestMethod: DigestMethod(algorithm: "http://www.w3.org/2001/04/xmlenc#sha256"), digestValue: digest)
            )
        }
        func signedInfo(_ ids: [String]) -> Case {
            let refs = ids.map(reference)
            return Case(
                name: "SignedInfo with \(ids.count) reference(s)", ns: dsig,
                json: #"{"SignedInfo":{"CanonicalizationMethod":{"Algorithm":"http://www.w3.org/TR/canonical-exi/"},"SignatureMethod":{"Algorithm":"http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"},"Reference":[\#(refs.map(\.0).joined(separator: ","))]}}"#,
                ours: {
                    try XMLDSigFragment.signedInfo(
                        SignedInfo(
                            canonicalizationMethod: CanonicalizationMethod(algorithm: "http://www.w3.org/TR/canonical-exi/"),
                            signatureMethod: SignatureMethod(algorithm: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"),
                            reference: refs.map(\.1))
                    ).exiEncoded()
                })
        }
        _ = sig
        return [
            Case(
                name: "AuthorizationReq", ns: msgDef,
                json: #"{"AuthorizationReq":{"Id":"ID1","GenChallenge":"\#(b64(challenge))"}}"#,
                ours: { try ISO2Fragment.authorizationReq(AuthorizationReq(id: "ID1", genChallenge: challenge)).exiEncoded() }),
            Case(
                name: "eMAID (element fragment grammar)", ns: msgDef, json: #"{"eMAID":{"Id":"id4","value":"DE1ABC2345678"}}"#,
                ours: { try ISO2Fragment.eMAID(.init(id: "id4", value: "DE1ABC2345678")).exiEncoded() }),
            Case(
                name: "ContractSignatureEncryptedPrivateKey", ns: msgDef,
                json: #"{"ContractSignatureEncryptedPrivateKey":{"Id":"id2","value":"\#(b64(key))"}}"#,
                ours: {
                    try ISO2Fragment.contractSignatureEncryptedPrivateKey(ContractSignatureEncryptedPrivateKey(id: "id2", value: key))
                        .exiEncoded()
                }),
            Case(
                name: "DHpublickey", ns: msgDef, json: #"{"DHpublickey":{"Id":"id3","value":"\#(b64(dh))"}}"#,
                ours: { try ISO2Fragment.dHpublickey(DiffieHellmanPublickey(id: "id3", value: dh)).exiEncoded() }),
            Case(
                name: "ContractSignatureCertChain", ns: msgDef,
                json: #"{"ContractSignatureCertChain":{"Id":"id1","Certificate":"\#(b64(cert))","SubCertificates":{"Certificate":["\#(b64(sub1))","\#(b64(sub2))"]}}}"#,
                ours: {
                    try ISO2Fragment.contractSignatureCertChain(
                        CertificateChain(id: "id1", certificate: cert, subCertificates: SubCertificates(certificate: [sub1, sub2]))
                    ).exiEncoded()
                }),
            Case(
                name: "MeteringReceiptReq", ns: msgDef,
                json: #"{"MeteringReceiptReq":{"Id":"ID1","SessionID":"0102030405060708","SAScheduleTupleID":1,"MeterInfo":{"MeterID":"Switch-Meter-123","MeterReading":12345,"SigMeterReading":"\#(b64(sig))","MeterStatus":0,"TMeter":1700000000}}}"#,
                ours: {
                    try ISO2Fragment.meteringReceiptReq(
                        MeteringReceiptReq(
                            id: "ID1", sessionID: [1, 2, 3, 4, 5, 6, 7, 8], saScheduleTupleID: 1,
                            meterInfo: MeterInfo(
                                meterID: "Switch-Meter-123", meterReading: 12345, sigMeterReading: sig, meterStatus: 0,
                                tMeter: 1_700_000_000))
                    ).exiEncoded()
                }),
            Case(
                name: "SalesTariff", ns: msgDef,
                json: #"{"SalesTariff":{"Id":"id5","SalesTariffID":1,"SalesTariffDescription":"Tariff","NumEPriceLevels":2,"SalesTariffEntry":[{"RelativeTimeInterval":{"start":0,"duration":3600},"EPriceLevel":1},{"RelativeTimeInterval":{"start":3600},"EPriceLevel":2}]}}"#,
                ours: {
                    try ISO2Fragment.salesTariff(
                        SalesTariff(
                            id: "id5", salesTariffID: 1, salesTariffDescription: "Tariff", numEPriceLevels: 2,
                            salesTariffEntry: [
                                SalesTariffEntry(timeInterval: .relativeTimeInterval(RelativeTimeInterval(start: 0, duration: 3600)), ePriceLevel: 1),
                                SalesTariffEntry(timeInterval: .relativeTimeInterval(RelativeTimeInterval(start: 3600)), ePriceLevel: 2),
                            ])
                    ).exiEncoded()
                }),
            Case(
                name: "CertificateInstallationReq", ns: msgDef,
                json: #"{"CertificateInstallationReq":{"Id":"ID1","OEMProvisioningCert":"\#(b64(cert))","ListOfRootCertificateIDs":{"RootCertificateID":[{"X509IssuerName":"CN=V2GRootCA,O=Test,C=DE","X509SerialNumber":12345}]}}}"#,
                ours: {
                    try ISO2Fragment.certificateInstallationReq(
                        CertificateInstallationReq(
                            id: "ID1", oemProvisioningCert: cert,
                            listOfRootCertificateIDs: ListOfRootCertificateIDs(rootCertificateID: [
                                X509IssuerSerial(x509IssuerName: "CN=V2GRootCA,O=Test,C=DE", x509SerialNumber: 12345)
                            ]))
                    ).exiEncoded()
                }),
            signedInfo(["ID1"]),
            signedInfo(["id1", "id2", "id3", "id4"]),
        ]
    }

    @Test(
        "[ISO 15118-2 §7.9.2.4] signed fragments and SignedInfo are byte-identical to EXIficient's",
        .enabled(if: available, "SKIPPED-PEER EXICodec.jar + Java 17: run dev/install-test-deps.sh (iso15118==0.31.2, openjdk-17-jre-headless)"))
    func signedFragmentsMatchEXIficient() async throws {
        let cases = Self.cases()
        let answers = try await Self.oracle(cases.map { ($0.ns, $0.json) })
        try #require(answers.count == cases.count, "oracle answered \(answers.count) of \(cases.count)")
        for (c, answer) in zip(cases, answers) {
            #expect(!answer.hasPrefix("ERR"), "\(c.name): \(answer)")
            let ours = hexString(try c.ours())
            #expect(ours == answer, "\(c.name)")
            // And our decoder reads EXIficient's bytes back to the same value.
            if let bytes = hexBytes(answer) {
                if c.ns == Self.dsig {
                    #expect(try XMLDSigFragment(exi: bytes).exiEncoded() == bytes, "\(c.name)")
                } else {
                    #expect(try ISO2Fragment(exi: bytes).exiEncoded() == bytes, "\(c.name)")
                }
            }
        }
    }
}
