import EXI
import ISO20Messages
import ISO2Messages
import XMLDSig

/// libFuzzer entry for the signed-fragment decoders (-2, -20 and standalone xmldsig).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFragments(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    if let f = try? ISO2Fragment(exi: bytes) { precondition((try? f.exiEncoded()) != nil) }
    if let f = try? ISO20Fragment(exi: bytes) { precondition((try? f.exiEncoded()) != nil) }
    if let f = try? XMLDSigFragment(exi: bytes) { precondition((try? f.exiEncoded()) != nil) }
    return 0
}
