// libFuzzer entry point for the V2GTP header and datagram parser (ISO 15118-2 §7.8.3). Compiled together with
// Sources/V2GTP by FuzzTesting/run-v2gtp.sh; a crash or a failed round-trip check is a finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzV2GTP(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    if let header = try? V2GTPHeader(decoding: bytes) {
        // what decodes re-encodes to the same 8 bytes
        precondition(header.bytes == Array(bytes.prefix(V2GTPHeader.size)), "header round-trip")
        _ = try? header.validate(acceptedTypes: PayloadType.sessionTypes, maximumPayloadLength: 65_536)
    }
    if let message = try? V2GTPMessage(
        datagram: bytes, acceptedTypes: PayloadType.sessionTypes.union(PayloadType.discoveryTypes),
        maximumPayloadLength: 65_536
    ) {
        precondition(message.bytes == Array(bytes), "datagram round-trip")
    }
    return 0
}
