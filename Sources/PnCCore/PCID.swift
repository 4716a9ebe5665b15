/// A provisioning certificate identifier: the vehicle identity of Plug & Charge contract provisioning.
///
/// VDE-AR-E 2802-100-1: the OEM's WMI (3 characters), 14 characters of the OEM's own unique id and an optional check
/// character — 17 or 18 letters or digits. It is the CN of the OEM provisioning certificate, keys the contract pool,
/// and (ISO 15118-20) is part of the AAD of the encrypted contract key as 18 upper-case characters.
public struct PCID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Upper-case, 17 or 18 characters.
    public let value: String

    public init(_ text: some StringProtocol) throws(PnCCoreError) {
        let upper = String(text).uppercased()
        guard (17...18).contains(upper.utf8.count) else {
            throw .invalidLength("a PCID has 17 or 18 characters, got \(upper.utf8.count)")
        }
        guard upper.utf8.allSatisfy({ EMAIDCheckDigit.index(of: $0) != nil }) else {
            throw .invalidCharacter("a PCID has only letters and digits")
        }
        self.value = upper
    }

    /// World manufacturer identifier of the vehicle's OEM.
    public var wmi: String { String(value.prefix(3)) }

    public var description: String { value }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do { self = try PCID(try container.decode(String.self)) } catch let error as PnCCoreError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.detail)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
