import CLibFuzzer
import EXI
import ISO20Messages
import ISO2Messages
import XMLDSig

/// The fuzz target: any input must give a value or an EXIError (never a trap), and a decoded value must encode.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let f = try? ISO2Fragment(exi: bytes) { precondition((try? f.exiEncoded()) != nil) }
    if let f = try? ISO20Fragment(exi: bytes) { precondition((try? f.exiEncoded()) != nil) }
    if let f = try? XMLDSigFragment(exi: bytes) { precondition((try? f.exiEncoded()) != nil) }
    return 0
}

/// SwiftPM links executables with `main` renamed to `<Target>_main`; it hands the arguments to libFuzzer's driver.
@_cdecl("FuzzFragments_main")
public func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzOne)
}
