import Foundation
import Synchronization
import V2GPKI

/// The OCSP answers of a set of CA folders, reading each folder's `database.json` again whenever it changes so that
/// `pnc pki revoke` takes effect on a running responder without a restart.
public final class OCSPResponderFolders: Sendable {
    private struct Loaded {
        var modified: Date?
        var size: Int?
        var authority: OCSPResponder.Authority
    }

    private let folders: [RevocationCAFolder]
    private let validity: TimeInterval
    private let state: Mutex<[Loaded]>

    /// - Parameters:
    ///   - directories: CA folders (see ``V2GPKI/RevocationCAFolder``).
    ///   - validity: nextUpdate − thisUpdate of every answer, in seconds.
    public init(directories: [URL], validity: TimeInterval, password: String? = nil) throws {
        let folders = try directories.map { try RevocationCAFolder(directory: $0, password: password) }
        var loaded: [Loaded] = []
        for folder in folders {
            let (modified, size) = Self.stamp(folder.databaseFile.url)
            loaded.append(
                Loaded(modified: modified, size: size, authority: try folder.ocspAuthority(database: try folder.databaseFile.load())))
        }
        self.folders = folders
        self.validity = validity
        self.state = Mutex(loaded)
    }

    /// The CA certificates served.
    public var issuers: [V2GPKI.RevocationCAFolder] { folders }

    private static func stamp(_ url: URL) -> (Date?, Int?) {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes?[.modificationDate] as? Date, (attributes?[.size] as? NSNumber)?.intValue)
    }

    /// The current authorities, reloading databases whose file changed; a database that fails to load keeps its
    /// previous state.
    public func authorities() -> [OCSPResponder.Authority] {
        // Stamp before reading: a write that lands during the read is seen on the next request.
        let stamps: [(Date?, Int?)] = folders.map { Self.stamp($0.databaseFile.url) }
        let stale = state.withLock { loaded in
            loaded.indices.filter { loaded[$0].modified != stamps[$0].0 || loaded[$0].size != stamps[$0].1 }
        }
        var fresh: [Int: CertificateDatabase] = [:]
        for index in stale {
            if let database = try? folders[index].databaseFile.load() { fresh[index] = database }
        }
        return state.withLock { loaded in
            for (index, database) in fresh {
                loaded[index].authority.database = database
                loaded[index].modified = stamps[index].0
                loaded[index].size = stamps[index].1
            }
            return loaded.map(\.authority)
        }
    }

    /// Answers a DER request at `now`.
    public func respond(to request: [UInt8], now: Date) -> [UInt8] {
        OCSPResponder(authorities: authorities(), validity: validity).respond(to: request, now: now)
    }
}
