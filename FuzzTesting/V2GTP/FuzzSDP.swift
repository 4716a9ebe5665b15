// libFuzzer entry point for the SDP request/response parsers (ISO 15118-2 §7.10.1) and IPv6 text. Compiled together
// with Sources/V2GTP by FuzzTesting/run-v2gtp.sh; a crash or a failed round-trip check is a finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSDP(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    if let request = try? SDPRequest(datagram: bytes) {
        precondition(request.datagram == Array(bytes), "SDP request round-trip")
    }
    if let response = try? SDPResponse(datagram: bytes) {
        precondition(response.datagram == Array(bytes), "SDP response round-trip")
        precondition((try? IPv6Address(response.address.description)) == response.address, "IPv6 text round-trip")
    }
    if let text = String(validating: bytes, as: UTF8.self), let address = try? IPv6Address(text) {
        precondition((try? IPv6Address(address.description)) == address, "IPv6 text re-parse")
    }
    return 0
}
