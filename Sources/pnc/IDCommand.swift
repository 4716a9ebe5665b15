import ArgumentParser
import PnCCore

/// `pnc id`: parse, validate and format Plug & Charge identifiers.
struct IDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "id",
        abstract: "Validate and normalise eMAIDs, EVSEIDs and PCIDs.",
        subcommands: [EMAIDCommand.self, EVSEIDCommand.self, PCIDCommand.self]
    )

    struct EMAIDCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "emaid",
            abstract: "Check an eMAID (ISO 15118 or DIN SPEC 91286 form); print its forms, or compute a check digit."
        )
        @Argument(help: "eMAIDs, with or without separators and check character.") var values: [String]

        func run() throws {
            var failed = false
            for value in values {
                do {
                    let (emaid, form) = try EMAID.parse(value)
                    let note = form == .isoWithoutCheckDigit ? " (check digit computed)" : ""
                    print("\(value): ok \(emaid.normalized) \(emaid.display)\(emaid.dinForm.map { " din=\($0)" } ?? "")\(note)")
                } catch {
                    failed = true
                    print("\(value): error \(error.code): \(error.detail)")
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct EVSEIDCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "evseid", abstract: "Check an EVSEID.")
        @Argument var values: [String]
        func run() throws {
            var failed = false
            for value in values {
                do { print("\(value): ok \(try EVSEID(value).normalized)") } catch {
                    failed = true
                    print("\(value): error \(error.code): \(error.detail)")
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct PCIDCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pcid", abstract: "Check a PCID.")
        @Argument var values: [String]
        func run() throws {
            var failed = false
            for value in values {
                do { print("\(value): ok \(try PCID(value).value)") } catch {
                    failed = true
                    print("\(value): error \(error.code): \(error.detail)")
                }
            }
            if failed { throw ExitCode(1) }
        }
    }
}
