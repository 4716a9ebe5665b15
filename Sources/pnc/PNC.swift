import ArgumentParser

@main
struct PNC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pnc",
        abstract: "OpenPnC: ISO 15118 Plug & Charge — PKI, EXI, charger, vehicle, CSMS and eMSP.",
        subcommands: [
            IDCommand.self, PKICommand.self, EXICommand.self, SDPCommand.self, CSMSCommand.self, BenchCommand.self,
            DemoCommand.self, StationCommand.self, EVCommand.self, EMSPCommand.self,
        ]
    )
}
