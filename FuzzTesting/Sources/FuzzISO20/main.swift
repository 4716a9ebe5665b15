import CLibFuzzer
import EXI
import ISO20Messages

/// The fuzz target: any input must give a value or an EXIError (never a trap), and a decoded value must encode.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    // The first byte picks one of the five -20 schemas (payload types 0x8002-0x8006).
    guard let selector = bytes.first else { return 0 }
    let stream = Array(bytes.dropFirst())
    switch selector % 5 {
    case 0: if let d = try? ISO20CommonMessagesDocument(exi: stream) { precondition((try? d.exiEncoded()) != nil) }
    case 1: if let d = try? ISO20ACDocument(exi: stream) { precondition((try? d.exiEncoded()) != nil) }
    case 2: if let d = try? ISO20DCDocument(exi: stream) { precondition((try? d.exiEncoded()) != nil) }
    case 3: if let d = try? ISO20ACDPDocument(exi: stream) { precondition((try? d.exiEncoded()) != nil) }
    default: if let d = try? ISO20WPTDocument(exi: stream) { precondition((try? d.exiEncoded()) != nil) }
    }
    return 0
}

/// SwiftPM links executables with `main` renamed to `<Target>_main`; it hands the arguments to libFuzzer's driver.
@_cdecl("FuzzISO20_main")
public func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzOne)
}
