// libFuzzer entry: every input is one WebSocket text message as a CSMS receives it. The frame is decoded and a
// CALL's payload is decoded with the action's generated type (2.0.1 and 1.6). Any outcome but a crash is fine;
// re-encoding a decoded frame must parse again.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOCPPFrame(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    do {
        let frame = try OCPPFrame.decode(bytes)
        if case .call(_, let action, let payload) = frame {
            _ = try? V201.Request(action: action, payload: payload)
            _ = try? V16.Request(action: action, payload: payload)
        }
        let again = try OCPPFrame.decode(frame.encoded())
        precondition(again == frame, "re-encoded frame differs")
    } catch {
        _ = error.rpcErrorCode
    }
    return 0
}
