import ArgumentParser
import AsyncHTTPClient
import Foundation
import PKIHTTP
import SwiftASN1
import V2GPKI
import SwiftASN1
import X509

/// `pnc pki ocsp-load`: a bounded OCSP load generator; measures signed responses per second of any RFC 6960
/// responder (ours or `openssl ocsp -port`), checking every answer.
struct PKIOCSPLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ocsp-load",
        abstract: "Send N OCSP requests (POST, fresh nonce each) with C in flight; report verified answers per second.")

    @Option(help: "Responder URL.") var url: String
    @Option(help: "The issuing CA certificate (PEM).") var issuer: String
    @Option(help: "The certificate asked about (PEM).") var cert: String
    @Option(help: "Total requests (1...1000000).") var requests: Int = 2000
    @Option(help: "Requests in flight (1...256).") var concurrency: Int = 8
    @Flag(help: "Verify every response's signature (by the issuer or its delegated responder).") var verify = false

    func run() async throws {
        guard (1...1_000_000).contains(requests), (1...256).contains(concurrency) else {
            throw ValidationError("--requests must be 1...1000000 and --concurrency 1...256")
        }
        let issuerCertificate = try Certificate(pemEncoded: String(contentsOfFile: issuer, encoding: .utf8))
        let certificate = try Certificate(pemEncoded: String(contentsOfFile: cert, encoding: .utf8))
        let certID = try OCSPCertID(certificate: certificate, issuer: issuerCertificate)
        let transport = OCSPHTTPTransport()
        let verifyAll = verify
        let url = self.url
        let total = requests
        let start = ContinuousClock.now
        let counts = try await withThrowingTaskGroup(of: (ok: Int, failed: Int).self) { group in
            for worker in 0..<concurrency {
                let share = total / concurrency + (worker < total % concurrency ? 1 : 0)
                group.addTask {
                    var ok = 0
                    var failed = 0
                    for _ in 0..<share {
                        let nonce = OCSPNonce.makeExtension((0..<16).map { _ in UInt8.random(in: 0...255) })
                        var request = OCSPRequest(requests: [OCSPSingleRequest(certID: certID)])
                        request.extensions = [nonce]
                        do {
                            let bytes = try await transport.send(request: try request.derBytes(), to: url)
                            if verifyAll {
                                _ = try OCSPResponseVerifier.verify(
                                    responseBytes: bytes, certID: certID, issuer: issuerCertificate, nonce: nonce,
                                    now: Date())
                            } else {
                                guard try OCSPResponse(derBytes: bytes).status == .successful else {
                                    failed += 1
                                    continue
                                }
                            }
                            ok += 1
                        } catch {
                            failed += 1
                        }
                    }
                    return (ok, failed)
                }
            }
            var sum = (ok: 0, failed: 0)
            for try await part in group {
                sum.ok += part.ok
                sum.failed += part.failed
            }
            return sum
        }
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(counts.ok) / max(seconds, 1e-9)
        print(
            String(
                format: "%d ok, %d failed in %.2f s: %.0f responses/s (concurrency %d%@)", counts.ok, counts.failed,
                seconds, rate, concurrency, verifyAll ? ", each verified" : ""))
        if counts.failed > 0 { throw ExitCode(1) }
    }
}
