import DINMessages
import EXI

/// libFuzzer entry: any input must give a value or an EXIError, and a decoded value must re-encode.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDIN(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    if let document = try? DINDocument(exi: bytes) {
        precondition((try? document.exiEncoded()) != nil, "decoded value does not encode")
    }
    return 0
}
