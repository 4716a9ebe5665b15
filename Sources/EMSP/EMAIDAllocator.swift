public import PnCCore

/// Allocates eMAIDs of one provider: country code + provider id + a 9-character instance from a sequence number,
/// with the ISO 15118-2 Annex H check character (computed by PnCCore's ``EMAID``).
///
/// The instance is the sequence number in base 36 (digits, then upper-case letters), left-padded with `0` to nine
/// characters, so allocation is deterministic and the next number is all the state a repository keeps.
public struct EMAIDAllocator: Sendable, Hashable {
    public let countryCode: String
    public let providerID: String
    /// The largest sequence number nine base-36 characters hold.
    public static let maximumSequence: UInt64 = 101_559_956_668_415  // 36^9 - 1

    public init(countryCode: String, providerID: String) throws(EMSPError) {
        do {
            _ = try EMAID(countryCode: countryCode, providerID: providerID, instance: "000000000")
        } catch {
            throw .make(.invalidParameter, "country code \(countryCode) / provider id \(providerID)", cause: error)
        }
        self.countryCode = countryCode.uppercased()
        self.providerID = providerID.uppercased()
    }

    /// The eMAID of sequence number `sequence`.
    public func emaid(sequence: UInt64) throws(EMSPError) -> EMAID {
        guard sequence <= Self.maximumSequence else { throw .make(.exhausted, "sequence \(sequence) beyond 36^9 - 1") }
        let digits = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        var n = sequence
        var instance: [Character] = Array(repeating: "0", count: 9)
        var i = 8
        while n > 0 && i >= 0 {
            instance[i] = digits[Int(n % 36)]
            n /= 36
            i -= 1
        }
        do {
            return try EMAID(countryCode: countryCode, providerID: providerID, instance: String(instance))
        } catch {
            throw .make(.invalidParameter, "instance \(String(instance))", cause: error)
        }
    }

    /// The sequence number of an eMAID this allocator issued, or `nil` for another provider's.
    public func sequence(of emaid: EMAID) -> UInt64? {
        guard emaid.countryCode == countryCode, emaid.providerID == providerID else { return nil }
        return UInt64(emaid.instance, radix: 36)
    }
}
