import ArgumentParser

/// `pnc pki`: the V2G PKI operator's commands.
struct PKICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract: "Operate the V2G PKI: revocation, CRLs and the OCSP responder.",
        subcommands: [
            PKIRevokeCommand.self,
            PKICRLCommand.self,
            PKIOCSPServeCommand.self,
            PKIOCSPLoadCommand.self,
        ]
    )
}
