import EMSP
import PnCCore
import Testing

@Suite("eMAID allocation")
struct EMAIDAllocatorTests {
    @Test("[ISO15118-2 Annex H] allocated eMAIDs carry the check digit and parse back")
    func allocation() throws {
        let allocator = try EMAIDAllocator(countryCode: "de", providerID: "8aa")
        let first = try allocator.emaid(sequence: 1_234_567)
        #expect(first.withoutCheckDigit == "DE8AA00000QGLJ")
        for n: UInt64 in [0, 1, 35, 36, 1_234_567, EMAIDAllocator.maximumSequence] {
            let e = try allocator.emaid(sequence: n)
            #expect(e.normalized.count == 15)
            #expect(try EMAID(e.normalized) == e)
            #expect(allocator.sequence(of: e) == n)
        }
    }

    @Test("[ISO15118-2 Annex H] known vector: DE8AA001234567 has check digit 0")
    func vector() throws {
        // 001234567 in base 36 is 1*36^6+2*36^5+3*36^4+4*36^3+5*36^2+6*36+7.
        let n: UInt64 = 1 * 2_176_782_336 + 2 * 60_466_176 + 3 * 1_679_616 + 4 * 46_656 + 5 * 1_296 + 6 * 36 + 7
        let e = try EMAIDAllocator(countryCode: "DE", providerID: "8AA").emaid(sequence: n)
        #expect(e.normalized == "DE8AA0012345670")
    }

    @Test("[EMSP] bad provider and exhausted sequence give typed errors")
    func errors() throws {
        #expect { try EMAIDAllocator(countryCode: "D1", providerID: "8AA") } throws: {
            ($0 as? EMSPError)?.code == .invalidParameter
        }
        let a = try EMAIDAllocator(countryCode: "DE", providerID: "8AA")
        #expect { try a.emaid(sequence: EMAIDAllocator.maximumSequence + 1) } throws: {
            ($0 as? EMSPError)?.code == .exhausted
        }
        #expect(a.sequence(of: try EMAID("FRXYZ123456789")) == nil)
    }
}
