import Foundation
public import X509
import SwiftASN1

/// Reading and writing certificates as DER, PEM and PEM bundles.
public enum CertificateFile {
    /// All certificates of a PEM bundle, or the single certificate of a DER file.
    ///
    /// - Throws: `.malformedEncoding` with the position of the first bad certificate.
    public static func certificates(from bytes: [UInt8]) throws(V2GPKIError) -> [Certificate] {
        let text = String(decoding: bytes, as: UTF8.self)
        if text.contains("-----BEGIN") {
            let documents: [PEMDocument]
            do { documents = try PEMDocument.parseMultiple(pemString: text) } catch {
                throw .make(.malformedEncoding, "PEM armour or base64 is broken", cause: error)
            }
            var result: [Certificate] = []
            for (index, document) in documents.enumerated() {
                guard document.discriminator == "CERTIFICATE" else {
                    throw .make(.malformedEncoding, "PEM block \(index + 1) is \(document.discriminator), not CERTIFICATE")
                }
                do { result.append(try Certificate(derEncoded: document.derBytes)) } catch {
                    throw .make(.malformedEncoding, "certificate \(index + 1) of the bundle does not parse", cause: error)
                }
            }
            guard !result.isEmpty else { throw .make(.malformedEncoding, "no certificate in the PEM text") }
            return result
        }
        do { return [try Certificate(derEncoded: bytes)] } catch {
            throw .make(.malformedEncoding, "not a DER certificate (\(bytes.count) bytes)", cause: error)
        }
    }

    /// Certificates from a file (PEM bundle or DER).
    public static func certificates(atPath path: String) throws(V2GPKIError) -> [Certificate] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .make(.missingFile, "cannot read \(path)") }
        do { return try certificates(from: Array(data)) } catch {
            throw .make(error.code, "\(path): \(error.detail)", cause: error.cause)
        }
    }

    /// All Ed448 certificates of a PEM bundle, or the single certificate of a DER file.
    ///
    /// - Throws: `.unsupportedAlgorithm` when a certificate parses but its key is not Ed448; `.malformedEncoding`
    ///   otherwise.
    public static func ed448Certificates(from bytes: [UInt8]) throws(V2GPKIError) -> [Ed448Certificate] {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.contains("-----BEGIN") else { return [try Ed448Certificate(derEncoded: bytes)] }
        let documents: [PEMDocument]
        do { documents = try PEMDocument.parseMultiple(pemString: text) } catch {
            throw .make(.malformedEncoding, "PEM armour or base64 is broken", cause: error)
        }
        var result: [Ed448Certificate] = []
        for (index, document) in documents.enumerated() {
            guard document.discriminator == "CERTIFICATE" else {
                throw .make(.malformedEncoding, "PEM block \(index + 1) is \(document.discriminator), not CERTIFICATE")
            }
            do { result.append(try Ed448Certificate(derEncoded: document.derBytes)) } catch {
                throw .make(error.code, "certificate \(index + 1) of the bundle: \(error.detail)", cause: error.cause)
            }
        }
        guard !result.isEmpty else { throw .make(.malformedEncoding, "no certificate in the PEM text") }
        return result
    }

    /// Ed448 certificates from a file (PEM bundle or DER).
    public static func ed448Certificates(atPath path: String) throws(V2GPKIError) -> [Ed448Certificate] {
        guard let data = FileManager.default.contents(atPath: path) else { throw .make(.missingFile, "cannot read \(path)") }
        do { return try ed448Certificates(from: Array(data)) } catch {
            throw .make(error.code, "\(path): \(error.detail)", cause: error.cause)
        }
    }

    /// PEM text of one certificate.
    public static func pem(_ certificate: Certificate) throws(V2GPKIError) -> String {
        do { return try certificate.serializeAsPEM().pemString } catch {
            throw .make(.malformedEncoding, "cannot serialise certificate", cause: error)
        }
    }

    /// PEM bundle of several certificates, in order.
    public static func pemBundle(_ certificates: [Certificate]) throws(V2GPKIError) -> String {
        var out = ""
        for c in certificates { out += try pem(c) + "\n" }
        return out
    }
}
