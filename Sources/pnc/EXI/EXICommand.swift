import ArgumentParser
import DINMessages
import EXI
import Foundation
import ISO20Messages
import ISO2Messages
import SAPMessages

/// `pnc exi`: decode, encode and check ISO 15118 EXI streams.
struct EXICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exi",
        abstract: "Decode, encode and check the EXI of SupportedAppProtocol, DIN SPEC 70121, ISO 15118-2 and -20.",
        subcommands: [Decode.self, Encode.self, Check.self]
    )

    enum Schema: String, ExpressibleByArgument, CaseIterable {
        case sap, din, iso2, iso20
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decode an EXI stream (hex) and print it as JSON.")
        @Option(help: "sap, din, iso2 or iso20 (default: from the payload type and the first event code).")
        var schema: Schema?
        @Option(help: "V2GTP payload type 0x8001...0x8006 (selects the -20 schema).") var payloadType: String?
        @Argument(help: "The EXI stream in hexadecimal.") var hex: String

        func run() throws {
            guard let bytes = EXIHex.bytes(hex.filter { !$0.isWhitespace }) else {
                throw ValidationError("not hexadecimal")
            }
            let type = try parsePayloadType(payloadType)
            let message = try EXIMessage(schema: schema, payloadType: type, exi: bytes)
            print(try message.json(pretty: true))
        }
    }

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Encode a JSON message and print the EXI as hex.")
        @Option(help: "sap, din, iso2 or iso20.") var schema: Schema
        @Option(help: "V2GTP payload type 0x8002...0x8006 for -20 (default: found from the JSON).")
        var payloadType: String?
        @Argument(help: "The message as JSON (as `pnc exi decode` prints it), or @FILE.") var json: String

        func run() throws {
            let text = json.hasPrefix("@") ? try String(contentsOfFile: String(json.dropFirst()), encoding: .utf8) : json
            let message = try EXIMessage(schema: schema, payloadType: try parsePayloadType(payloadType), json: Data(text.utf8))
            print(EXIHex.string(try message.exiEncoded()).lowercased())
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode and re-encode every line of V2GTP capture files ({\"sender\",\"payloadType\",\"exi\"}).")
        @Argument(help: "JSON Lines files.") var files: [String]

        func run() throws {
            var passed = 0
            var failed = 0
            for file in files {
                let text = try String(contentsOfFile: file, encoding: .utf8)
                for (index, line) in text.split(separator: "\n").enumerated() {
                    let place = "\(file):\(index + 1)"
                    guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                        let typeText = object["payloadType"] as? String, let hex = object["exi"] as? String,
                        let bytes = EXIHex.bytes(hex)
                    else {
                        failed += 1
                        print("\(place): FAIL unreadable line")
                        continue
                    }
                    do {
                        let type = try parsePayloadType(typeText)
                        let message = try EXIMessage(schema: nil, payloadType: type, exi: bytes)
                        let again = try message.exiEncoded()
                        if again == bytes {
                            passed += 1
                        } else {
                            failed += 1
                            print("\(place): FAIL re-encoding differs at bit \(firstDifferingBit(bytes, again))")
                        }
                    } catch {
                        failed += 1
                        print("\(place): FAIL \(error)")
                    }
                }
            }
            print("\(passed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode(1) }
        }
    }
}

func parsePayloadType(_ text: String?) throws -> UInt16? {
    guard let text else { return nil }
    let digits = text.lowercased().hasPrefix("0x") ? String(text.dropFirst(2)) : text
    guard let value = UInt16(digits, radix: 16), (0x8001...0x8006).contains(value) else {
        throw ValidationError("payload type must be 0x8001...0x8006")
    }
    return value
}

/// The index of the first bit where `a` and `b` differ (or the shorter length in bits).
func firstDifferingBit(_ a: [UInt8], _ b: [UInt8]) -> Int {
    for i in 0..<min(a.count, b.count) where a[i] != b[i] {
        return i * 8 + (a[i] ^ b[i]).leadingZeroBitCount
    }
    return min(a.count, b.count) * 8
}

/// A decoded message of any of the four families.
enum EXIMessage {
    case sap(SAPDocument)
    case din(DINDocument)
    case iso2(ISO2Document)
    case iso20CommonMessages(ISO20CommonMessagesDocument)
    case iso20AC(ISO20ACDocument)
    case iso20DC(ISO20DCDocument)
    case iso20ACDP(ISO20ACDPDocument)
    case iso20WPT(ISO20WPTDocument)

    /// The family of a 0x8001 stream from its first event code: SAP roots take 2 bits (0, 1), DIN and -2 roots
    /// 7 bits (`V2G_Message` = 77 in DIN, 76 in -2).
    static func family8001(_ bytes: [UInt8]) -> EXICommand.Schema {
        guard bytes.count >= 2 else { return .iso2 }
        if bytes[1] >> 6 < 2 { return .sap }
        return bytes[1] >> 1 == 77 ? .din : .iso2
    }

    init(schema: EXICommand.Schema?, payloadType: UInt16?, exi bytes: [UInt8]) throws {
        let family = schema ?? ((payloadType ?? 0x8001) == 0x8001 ? Self.family8001(bytes) : .iso20)
        switch family {
        case .sap: self = .sap(try SAPDocument(exi: bytes))
        case .din: self = .din(try DINDocument(exi: bytes))
        case .iso2: self = .iso2(try ISO2Document(exi: bytes))
        case .iso20:
            switch payloadType ?? 0x8002 {
            case 0x8003: self = .iso20AC(try ISO20ACDocument(exi: bytes))
            case 0x8004: self = .iso20DC(try ISO20DCDocument(exi: bytes))
            case 0x8005: self = .iso20ACDP(try ISO20ACDPDocument(exi: bytes))
            case 0x8006: self = .iso20WPT(try ISO20WPTDocument(exi: bytes))
            default: self = .iso20CommonMessages(try ISO20CommonMessagesDocument(exi: bytes))
            }
        }
    }

    init(schema: EXICommand.Schema, payloadType: UInt16?, json: Data) throws {
        let d = JSONDecoder()
        switch schema {
        case .sap: self = .sap(try d.decode(SAPDocument.self, from: json))
        case .din: self = .din(try d.decode(DINDocument.self, from: json))
        case .iso2: self = .iso2(try d.decode(ISO2Document.self, from: json))
        case .iso20:
            let attempts: [(UInt16, () throws -> EXIMessage)] = [
                (0x8002, { .iso20CommonMessages(try d.decode(ISO20CommonMessagesDocument.self, from: json)) }),
                (0x8003, { .iso20AC(try d.decode(ISO20ACDocument.self, from: json)) }),
                (0x8004, { .iso20DC(try d.decode(ISO20DCDocument.self, from: json)) }),
                (0x8005, { .iso20ACDP(try d.decode(ISO20ACDPDocument.self, from: json)) }),
                (0x8006, { .iso20WPT(try d.decode(ISO20WPTDocument.self, from: json)) }),
            ]
            var firstError: (any Error)?
            for (type, attempt) in attempts where payloadType == nil || payloadType == type {
                do {
                    self = try attempt()
                    return
                } catch {
                    firstError = firstError ?? error
                }
            }
            throw firstError ?? ValidationError("no -20 schema matches")
        }
    }

    func exiEncoded() throws -> [UInt8] {
        switch self {
        case .sap(let m): try m.exiEncoded()
        case .din(let m): try m.exiEncoded()
        case .iso2(let m): try m.exiEncoded()
        case .iso20CommonMessages(let m): try m.exiEncoded()
        case .iso20AC(let m): try m.exiEncoded()
        case .iso20DC(let m): try m.exiEncoded()
        case .iso20ACDP(let m): try m.exiEncoded()
        case .iso20WPT(let m): try m.exiEncoded()
        }
    }

    func json(pretty: Bool) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys]
        let data: Data
        switch self {
        case .sap(let m): data = try e.encode(m)
        case .din(let m): data = try e.encode(m)
        case .iso2(let m): data = try e.encode(m)
        case .iso20CommonMessages(let m): data = try e.encode(m)
        case .iso20AC(let m): data = try e.encode(m)
        case .iso20DC(let m): data = try e.encode(m)
        case .iso20ACDP(let m): data = try e.encode(m)
        case .iso20WPT(let m): data = try e.encode(m)
        }
        return String(decoding: data, as: UTF8.self)
    }
}
