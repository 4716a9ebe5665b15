import Testing
import V2GPKI

@Suite struct V2GPKIErrorTests {
    @Test("Errors compare by code and describe themselves without a cause's internals")
    func codes() {
        let e = V2GPKIError.make(.wrongPassword, "key seccLeaf.key")
        #expect(e.code == .wrongPassword)
        #expect(e.code != .badSignature)
        #expect(e.description == "V2GPKIError.wrongPassword: key seccLeaf.key")
    }
}
