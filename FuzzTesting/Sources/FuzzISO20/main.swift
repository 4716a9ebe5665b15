import EXI
import ISO20Messages

/// libFuzzer entry: the first byte picks one of the five -20 schemas (payload types 0x8002-0x8006), the rest is
/// the EXI stream.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzISO20(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let all = Array(UnsafeRawBufferPointer(start: start, count: count))
    let bytes = Array(all.dropFirst())
    switch all[0] % 5 {
    case 0: if let d = try? ISO20CommonMessagesDocument(exi: bytes) { precondition((try? d.exiEncoded()) != nil) }
    case 1: if let d = try? ISO20ACDocument(exi: bytes) { precondition((try? d.exiEncoded()) != nil) }
    case 2: if let d = try? ISO20DCDocument(exi: bytes) { precondition((try? d.exiEncoded()) != nil) }
    case 3: if let d = try? ISO20ACDPDocument(exi: bytes) { precondition((try? d.exiEncoded()) != nil) }
    default: if let d = try? ISO20WPTDocument(exi: bytes) { precondition((try? d.exiEncoded()) != nil) }
    }
    return 0
}
