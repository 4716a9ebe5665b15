import Foundation

/// Writes a PKI in the file layout Josev (iso15118 0.31.2) reads under `PKI_PATH`:
/// `iso15118_2/certs/<name>Cert.{der,pem}`, the chain bundles `cpoCertChain.pem` and `oemCertChain.pem`,
/// `iso15118_2/private_keys/<name>.key` and the `*Password.txt` files, so one PKI serves both implementations.
public enum JosevLayout {
    /// Josev's certificate base names per role.
    static let names: [(CertificateRole, cert: String, key: String)] = [
        (.v2gRoot, "v2gRootCACert", "v2gRootCA"), (.cpoSubCA1, "cpoSubCA1Cert", "cpoSubCA1"),
        (.cpoSubCA2, "cpoSubCA2Cert", "cpoSubCA2"), (.secc, "seccLeafCert", "seccLeaf"),
        (.cpsSubCA1, "cpsSubCA1Cert", "cpsSubCA1"), (.cpsSubCA2, "cpsSubCA2Cert", "cpsSubCA2"),
        (.cps, "cpsLeafCert", "cpsLeaf"), (.moRoot, "moRootCACert", "moRootCA"), (.moSubCA1, "moSubCA1Cert", "moSubCA1"),
        (.moSubCA2, "moSubCA2Cert", "moSubCA2"), (.contract, "contractLeafCert", "contractLeaf"),
        (.oemRoot, "oemRootCACert", "oemRootCA"), (.oemSubCA1, "oemSubCA1Cert", "oemSubCA1"),
        (.oemSubCA2, "oemSubCA2Cert", "oemSubCA2"), (.oemProvisioning, "oemLeafCert", "oemLeaf"),
    ]

    /// Password files Josev reads next to the keys.
    static let passwordFiles = [
        "seccLeafPassword.txt", "oemLeafPassword.txt", "contractLeafPassword.txt", "cpsLeafPassword.txt",
        "moSubCA2LeafPassword.txt",
    ]

    /// Writes the layout under `pkiPath` (Josev's `PKI_PATH`).
    ///
    /// - Parameter password: Josev needs encrypted keys and the password in its `*Password.txt` files.
    public static func write(_ pki: PKIDirectory, to pkiPath: String, password: String) throws(V2GPKIError) {
        let base = "\(pkiPath)/iso15118_2"
        let certs = "\(base)/certs"
        let keys = "\(base)/private_keys"
        try pki.createDirectory(certs)
        try pki.createDirectory(keys)
        let leafFolders: [CertificateRole: String] = [.secc: "secc", .cps: "cps", .contract: "contract", .oemProvisioning: "oem-prov"]
        for (role, certName, keyName) in names {
            let folder = role.isCA ? pki.caDirectory(role) : pki.leafDirectory(leafFolders[role]!)
            let certificate = try CertificateFile.certificates(atPath: "\(folder)/cert.pem")[0]
            try pki.writeFile("\(certs)/\(certName).pem", CertificateFile.pem(certificate))
            try pki.writeData("\(certs)/\(certName).der", Data(certificate.derBytesChecked()))
            let label = role.isCA ? "ca/\(role.rawValue)/key" : "leaf/\(leafFolders[role]!)/key"
            let key = try pki.keyStore.signingKey(label: label)
            var rng = SystemRandomNumberGenerator()
            let pem = try PrivateKeyFile.pem(
                for: key, password: password, salt: (0..<16).map { _ in .random(in: 0...255, using: &rng) },
                iv: (0..<16).map { _ in .random(in: 0...255, using: &rng) }
            )
            try pki.writeFile("\(keys)/\(keyName).key", pem)
        }
        for (bundle, leaf) in [("cpoCertChain.pem", "secc"), ("oemCertChain.pem", "oem-prov")] {
            let chain = try CertificateFile.certificates(atPath: "\(pki.leafDirectory(leaf))/chain.pem")
            try pki.writeFile("\(certs)/\(bundle)", CertificateFile.pemBundle(chain))
        }
        for file in passwordFiles { try pki.writeFile("\(keys)/\(file)", password) }
    }
}
