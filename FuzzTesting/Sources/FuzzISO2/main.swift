import EXI
import ISO2Messages

/// libFuzzer entry: any input must give a value or an EXIError, and a decoded value must re-encode.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzISO2(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    if let document = try? ISO2Document(exi: bytes) {
        precondition((try? document.exiEncoded()) != nil, "decoded value does not encode")
    }
    return 0
}
