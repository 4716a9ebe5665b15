import ISO15118EVCC
import Testing

@Suite struct ContractSelectionTests {
    static let mo1 = "aa"
    static let mo2 = "bb"
    static let first = ContractSelection.Candidate(eMAID: "DEABC000000001", rootFingerprints: [mo1], notBefore: 0, notAfter: 1_000)
    static let second = ContractSelection.Candidate(eMAID: "DEABC000000002", rootFingerprints: [mo2], notBefore: 0, notAfter: 2_000)

    @Test("The first valid contract whose root the SECC offers is chosen, in the vehicle's order")
    func chooseByOfferedRoot() {
        #expect(ContractSelection.choose(from: [Self.first, Self.second], offeredRoots: [Self.mo2], now: 10) == 1)
        #expect(ContractSelection.choose(from: [Self.first, Self.second], offeredRoots: [Self.mo1, Self.mo2], now: 10) == 0)
        #expect(ContractSelection.choose(from: [Self.first, Self.second], offeredRoots: [], now: 10) == 0)
    }

    @Test("Expired, not yet valid or foreign-root contracts are never chosen")
    func noneFits() {
        #expect(ContractSelection.choose(from: [Self.first, Self.second], offeredRoots: [Self.mo1], now: 1_500) == nil)
        #expect(ContractSelection.choose(from: [Self.first], offeredRoots: ["cc"], now: 10) == nil)
        #expect(ContractSelection.choose(from: [Self.first], offeredRoots: [], now: -1) == nil)
        #expect(ContractSelection.choose(from: [], offeredRoots: [], now: 10) == nil)
    }

    @Test("A contract is updated once less than the renewal window of validity remains")
    func update() {
        #expect(ContractSelection.needsUpdate(Self.first, now: 100, renewalWindow: 500) == false)
        #expect(ContractSelection.needsUpdate(Self.first, now: 600, renewalWindow: 500) == true)
    }
}
