public import Foundation
public import ISO20Messages
import V2GPKI
import V2GSecurity
public import X509
public import XMLDSig
import SwiftASN1

/// What an ISO 15118-20 SECC needs for Plug & Charge: the MO root certificates contract chains are verified to,
/// and optionally the provider ids listed in AuthorizationSetupRes (`SupportedProviders`).
public struct ISO20PnCConfiguration: Sendable, Hashable {
    public var moRoots: [Certificate]
    public var supportedProviders: [String]
    /// Whether AuthorizationSetupRes offers CertificateInstallationService: set when the backend can relay
    /// certificate exchanges to an eMSP (``ChargingBackend/exchangeCertificate(_:)``).
    public var certificateInstallation: Bool

    public init(moRoots: [Certificate], supportedProviders: [String] = [], certificateInstallation: Bool = false) {
        self.moRoots = moRoots
        self.supportedProviders = supportedProviders
        self.certificateInstallation = certificateInstallation
    }
}

/// The checks on a PnC_AReqAuthorizationMode before the backend is asked (ISO 15118-20:2022 §8.3.5.3.5 and the
/// AuthorizationRes response codes): the contract chain to the MO roots at the session's time, the GenChallenge
/// sent in AuthorizationSetupRes, and the signature over the element with the contract key.
public enum ISO20ContractAuthorizationRules {
    /// A contract that passed every check: what the backend gets.
    public struct Contract: Sendable, Hashable {
        public var eMAID: String
        public var certificateChainPEM: String
        public var hashData: [CertificateHashData]
    }

    public enum Outcome: Sendable, Hashable {
        case accepted(Contract)
        case refused(ResponseCode)
    }

    /// - Returns: the contract, or the response code that refuses it.
    public static func check(
        _ mode: PnC_AReqAuthorizationMode, signature: Signature?, challenge: [UInt8],
        configuration: ISO20PnCConfiguration, at time: Date
    ) -> Outcome {
        let ders = [mode.contractCertificateChain.certificate] + mode.contractCertificateChain.subCertificates.certificate
        var chain: [Certificate] = []
        for der in ders {
            guard let certificate = try? Certificate(derEncoded: der) else { return .refused(.warningCertificateValidationError) }
            chain.append(certificate)
        }
        let validator = ChainValidator(roots: configuration.moRoots)
        let validated: ValidatedChain
        switch validator.validateOffline(chain: chain, at: time, role: .contract) {
        case .success(let value): validated = value
        case .failure(let failure): return .refused(Self.code(for: failure))
        }
        guard mode.genChallenge == challenge, challenge.count == 16 else { return .refused(.warningChallengeInvalid) }
        guard let signature else { return .refused(.failedSignatureError) }
        do {
            let key = try V2GVerifyingKey(certificateDER: mode.contractCertificateChain.certificate)
            try ISO20Signature.verify(signature, fragments: [(mode.id, .pnCAReqAuthorizationMode(mode))], key: key)
        } catch {
            return .refused(.failedSignatureError)
        }
        let pems = try? chain.map { try $0.serializeAsPEM().pemString }
        let hashData = try? CertificateHashData.chain(Array(validated.path.dropLast()), root: validated.root)
        guard let eMAID = Self.commonName(validated.leaf.subject), let pems, let hashData else {
            return .refused(ResponseCode.warningCertificateValidationError)
        }
        let pem = pems.joined(separator: "\n")
        return .accepted(Contract(eMAID: eMAID, certificateChainPEM: pem, hashData: hashData))
    }

    /// The -20 AuthorizationRes code for a chain failure.
    static func code(for failure: ChainValidationFailure) -> ResponseCode {
        switch failure {
        case .expired: .warningCertificateExpired
        case .notYetValid: .warningCertificateNotYetValid
        case .revoked: .warningCertificateRevoked
        case .unknownRoot, .emptyChain: .warningNoCertificateAvailable
        case .badSignature, .chainTooLong, .wrongRole, .issuerNotCA, .pathLengthExceeded, .revocationUnavailable:
            .warningCertificateValidationError
        }
    }

    static func commonName(_ name: DistinguishedName) -> String? {
        for rdn in name {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(attribute.value)
            }
        }
        return nil
    }
}
