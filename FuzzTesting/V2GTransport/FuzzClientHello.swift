// libFuzzer entry point for the TLS ClientHello parser (RFC 5246 §7.4.1.2, RFC 8446 §4.1.2, RFC 6066 §3 and §6)
// that chooses the ISO 15118 TLS profile and chain. Compiled together with
// Sources/V2GTransport/TLSClientHello.swift and V2GTransportError.swift by FuzzTesting/run-clienthello.sh; a crash,
// an untyped error or a broken invariant is a finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientHello(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let typed: Set<String> = ["malformedClientHello", "clientHelloTooLarge"]
    do {
        if let (hello, consumed) = try TLSClientHello.parse(stream: bytes) {
            precondition(consumed > 0 && consumed <= bytes.count, "consumed within the input")
            // the same records alone parse to the same ClientHello
            precondition((try? TLSClientHello(records: Array(bytes[..<consumed]))) == hello, "prefix re-parse")
            for authority in hello.trustedCAKeys ?? [] {
                switch authority {
                case .keySHA1Hash(let hash), .certSHA1Hash(let hash): precondition(hash.count == 20, "SHA-1 size")
                case .x509Name(let name): precondition(!name.isEmpty, "DN not empty")
                case .preAgreed: break
                }
            }
        }
    } catch let error as V2GTransportError {
        precondition(typed.contains(error.code.name), "unexpected code \(error.code)")
    } catch {
        preconditionFailure("untyped error \(error)")
    }
    // the body parser alone, on the raw input
    do {
        _ = try TLSClientHello(body: bytes[...])
    } catch let error as V2GTransportError {
        precondition(error.code.name == "malformedClientHello", "body parser code \(error.code)")
    } catch {
        preconditionFailure("untyped error \(error)")
    }
    return 0
}
