import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import V2GPKI

/// Sends OCSP requests over HTTP with AsyncHTTPClient (RFC 6960 Appendix A.1).
///
/// POST with `application/ocsp-request` by default; ``Method/getWhenShort`` uses GET for requests whose encoding is
/// under 255 bytes, as RFC 5019 §5 recommends so that answers can be cached by HTTP proxies.
public struct OCSPHTTPTransport: OCSPTransport {
    public enum Method: Sendable { case post, getWhenShort }

    /// Largest response body accepted.
    public static let maximumResponseSize = 1 << 20

    private let client: HTTPClient
    private let method: Method
    private let timeout: TimeAmount

    public init(client: HTTPClient = .shared, method: Method = .post, timeout: TimeAmount = .seconds(10)) {
        self.client = client
        self.method = method
        self.timeout = timeout
    }

    public func send(request: [UInt8], to responderURL: String) async throws -> [UInt8] {
        var http: HTTPClientRequest
        let encoded = Data(request).base64EncodedString()
        if method == .getWhenShort, encoded.utf8.count < 255,
           let path = encoded.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
        {
            let base = responderURL.hasSuffix("/") ? responderURL : responderURL + "/"
            http = HTTPClientRequest(url: base + path)
            http.method = .GET
        } else {
            http = HTTPClientRequest(url: responderURL)
            http.method = .POST
            http.headers.add(name: "Content-Type", value: "application/ocsp-request")
            http.body = .bytes(ByteBuffer(bytes: request))
        }
        http.headers.add(name: "Accept", value: "application/ocsp-response")
        let response: HTTPClientResponse
        do {
            response = try await client.execute(http, timeout: timeout)
        } catch {
            throw V2GPKIError.make(.revocationUnavailable, "OCSP responder \(responderURL): \(error)", cause: error)
        }
        guard response.status == .ok else {
            throw V2GPKIError.make(.revocationUnavailable, "OCSP responder \(responderURL) answered HTTP \(response.status.code)")
        }
        guard response.headers.first(name: "Content-Type")?.lowercased().hasPrefix("application/ocsp-response") == true
        else {
            throw V2GPKIError.make(.revocationUnavailable, "OCSP responder \(responderURL) did not send application/ocsp-response")
        }
        do {
            var body = try await response.body.collect(upTo: Self.maximumResponseSize)
            return body.readBytes(length: body.readableBytes) ?? []
        } catch {
            throw V2GPKIError.make(.revocationUnavailable, "OCSP response from \(responderURL): \(error)", cause: error)
        }
    }
}
