import DINMessages
import EXI
import Foundation
import ISO20Messages
import ISO2Messages
import SAPMessages
import Testing

/// One line of ../shared/golden/v2g-captures: a V2GTP payload seen on the wire.
struct GoldenLine: Sendable, CustomTestStringConvertible {
    var file: String
    var line: Int
    var sender: String
    var payloadType: UInt16
    var exi: [UInt8]
    var testDescription: String { "\(file):\(line) \(sender) 0x\(String(payloadType, radix: 16))" }

    static let directory: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent().appendingPathComponent("shared/golden/v2g-captures")
    }()

    static var available: Bool { FileManager.default.fileExists(atPath: directory.path) }

    static func all() -> [GoldenLine] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        var out: [GoldenLine] = []
        for name in names.sorted() where name.hasSuffix(".jsonl") {
            guard let text = try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) else {
                continue
            }
            for (index, raw) in text.split(separator: "\n").enumerated() {
                guard let data = raw.data(using: .utf8),
                    let object = try? JSONSerialization.jsonObject(with: data) as? [String: String],
                    let type = object["payloadType"].flatMap({ UInt16($0.dropFirst(2), radix: 16) }),
                    let hex = object["exi"], let bytes = hexBytes(hex)
                else { continue }
                out.append(
                    GoldenLine(file: name, line: index + 1, sender: object["sender"] ?? "", payloadType: type, exi: bytes))
            }
        }
        return out
    }
}

func hexBytes(_ hex: String) -> [UInt8]? {
    let chars = Array(hex.utf8)
    guard chars.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(chars.count / 2)
    var i = 0
    while i < chars.count {
        guard let b = UInt8(String(decoding: chars[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
        out.append(b)
        i += 2
    }
    return out
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}
