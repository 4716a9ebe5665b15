import CLibFuzzer
import EXI
import SAPMessages

/// The fuzz target: any input must give a value or an EXIError (never a trap), and a decoded value must encode.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let document = try? SAPDocument(exi: bytes) {
        precondition((try? document.exiEncoded()) != nil, "decoded value does not encode")
    }
    return 0
}

/// SwiftPM links executables with `main` renamed to `<Target>_main`; it hands the arguments to libFuzzer's driver.
@_cdecl("FuzzSAP_main")
public func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzOne)
}
