import FuzzDriver
import V2GPKI

/// Feeds arbitrary bytes to the PKI decoders: certificates (DER and PEM, EC and Ed448), PKCS#10 requests and private
/// keys.
/// Any input must end in a value or a typed error; a trap or a sanitizer report is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    _ = try? CertificateFile.certificates(from: bytes)
    _ = try? CertificateAuthority.parseCSR(bytes)
    _ = try? PrivateKeyFile.load(pem: String(decoding: bytes, as: UTF8.self), password: "fuzz")
    if let first = (try? CertificateFile.certificates(from: bytes))?.first {
        _ = CertificateLinter.lint(first)
    }
    // Ed448 (ISO 15118-20): certificates with their point decoding and signature check, RFC 8410 keys.
    if let first = (try? CertificateFile.ed448Certificates(from: bytes))?.first {
        _ = CertificateLinter.lint(first)
        _ = first.isSigned(by: first.publicKey)
    }
    _ = try? PrivateKeyFile.loadEd448(pem: String(decoding: bytes, as: UTF8.self), password: "fuzz")
    return 0
}

@_cdecl("FuzzPKI_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { fuzzOne($0, $1) }
}
