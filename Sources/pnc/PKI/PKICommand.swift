import ArgumentParser

/// `pnc pki`: the V2G PKI — issue, lint, validate and revoke Plug & Charge certificates.
struct PKICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "Issue, lint, verify and revoke ISO 15118 Plug & Charge certificates.",
        subcommands: [PKIInitCommand.self, PKIIssueCommand.self, PKILintCommand.self, PKIVerifyCommand.self]
    )
}
