import ArgumentParser

/// `pnc pki`: the V2G PKI — issue, lint, validate and revoke Plug & Charge certificates, publish CRLs, answer OCSP.
struct PKICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "Issue, lint, verify and revoke ISO 15118 Plug & Charge certificates; CRLs and the OCSP responder.",
        subcommands: [
            PKIInitCommand.self, PKIIssueCommand.self, PKILintCommand.self, PKIVerifyCommand.self,
            PKIRevokeCommand.self, PKICRLCommand.self, PKIOCSPServeCommand.self, PKIOCSPLoadCommand.self,
        ]
    )
}
