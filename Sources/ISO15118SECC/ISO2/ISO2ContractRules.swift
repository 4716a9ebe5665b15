import Foundation
import ISO2Messages
import V2GPKI
import V2GSecurity
import X509
import SwiftASN1
import XMLDSig

/// A contract the SECC accepted in PaymentDetailsReq: its chain, validated against the installed MO roots.
struct AcceptedContract: Hashable, Sendable {
    var eMAID: String
    /// DER of the contract leaf, whose key verifies AuthorizationReq and MeteringReceiptReq signatures.
    var leafDER: [UInt8]
    var chainPEM: String
    var hashData: [CertificateHashData]
}

/// PaymentDetails rules for Contract payment (ISO 15118-2:2014 §8.4.3.6, [V2G2-476] .. [V2G2-481]).
enum PaymentDetailsRules {
    enum Outcome: Hashable, Sendable {
        case success(AcceptedContract)
        case failure(ResponseCode)
    }

    /// Validates the contract chain at `time` against `roots` and compares its CN with the eMAID.
    /// - Returns: the accepted contract, or the response code for PaymentDetailsRes.
    static func evaluate(
        _ req: PaymentDetailsReq, roots: [Certificate], at time: Date
    ) -> Outcome {
        guard !roots.isEmpty else { return .failure(.failedNoCertificateAvailable) }
        var ders = [req.contractSignatureCertChain.certificate]
        ders += req.contractSignatureCertChain.subCertificates?.certificate ?? []
        var chain: [Certificate] = []
        for der in ders {
            guard let certificate = try? Certificate(derEncoded: der) else { return .failure(.failedCertChainError) }
            chain.append(certificate)
        }
        let validated: ValidatedChain
        switch ChainValidator(roots: roots).validateOffline(chain: chain, at: time) {
        case .success(let v): validated = v
        case .failure(.expired), .failure(.notYetValid): return .failure(.failedCertificateExpired)
        case .failure(.unknownRoot): return .failure(.failedNoCertificateAvailable)
        case .failure(.revoked): return .failure(.failedCertificateRevoked)
        case .failure: return .failure(.failedCertChainError)
        }
        // [V2G2-477]: the eMAID in the request is the contract certificate's subject CN (compared without separators).
        guard let cn = validated.leaf.subject.firstCommonName,
            Self.normalized(cn) == Self.normalized(req.eMAID)
        else { return .failure(.failedCertChainError) }
        let path = [validated.leaf] + validated.subCAs
        guard let hashData = try? CertificateHashData.chain(path, root: validated.root),
            let pem = try? path.map({ try $0.serializeAsPEM().pemString }).joined(separator: "\n")
        else { return .failure(.failedCertChainError) }
        return .success(
            AcceptedContract(
                eMAID: req.eMAID, leafDER: req.contractSignatureCertChain.certificate, chainPEM: pem + "\n",
                hashData: hashData))
    }

    static func normalized(_ eMAID: String) -> String {
        String(eMAID.uppercased().filter { $0 != "-" })
    }
}

/// Signature rules for requests signed with the contract key ([V2G2-475], [V2G2-771] .. [V2G2-776]).
enum ContractSignatureRules {
    /// Checks the AuthorizationReq of a Contract session: Id present, GenChallenge equal to the one sent in
    /// PaymentDetailsRes ([V2G2-475]), signature over the AuthorizationReq fragment with the contract key.
    static func authorizationCode(
        _ req: AuthorizationReq, signature: Signature?, challenge: [UInt8], contract: AcceptedContract
    ) -> ResponseCode {
        guard let id = req.id, !id.isEmpty, let genChallenge = req.genChallenge, genChallenge == challenge else {
            return .failedChallengeInvalid
        }
        return self.verify(signature, fragment: .authorizationReq(req), contract: contract)
            ? .ok : .failedSignatureError
    }

    /// Checks a MeteringReceiptReq signature with the contract key ([V2G2-798]).
    static func meteringReceiptCode(
        _ req: MeteringReceiptReq, signature: Signature?, sessionID: [UInt8], contract: AcceptedContract
    ) -> ResponseCode {
        guard req.sessionID == sessionID else { return .failedMeteringSignatureNotValid }
        return self.verify(signature, fragment: .meteringReceiptReq(req), contract: contract)
            ? .ok : .failedMeteringSignatureNotValid
    }

    static func verify(_ signature: Signature?, fragment: ISO2Fragment, contract: AcceptedContract) -> Bool {
        guard let signature, let key = try? V2GVerifyingKey(certificateDER: contract.leafDER) else { return false }
        do {
            try ISO2Signature.verify(signature, fragments: [fragment], key: key)
            return true
        } catch {
            return false
        }
    }
}

extension DistinguishedName {
    /// The first CN attribute as a string.
    var firstCommonName: String? {
        for rdn in self {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(describing: attribute.value)
            }
        }
        return nil
    }
}
