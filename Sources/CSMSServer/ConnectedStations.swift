import CSMS
import OCPPMessages
import NIOWebSocket
import OCPPTransport

/// The stations connected to this node, by id (the only state a CSMS node holds besides the database).
public actor ConnectedStations {
    private var connections: [String: OCPPConnection] = [:]

    public init() {}

    /// Registers a new connection; an older connection of the same station is closed (the station reconnected).
    func opened(_ connection: OCPPConnection) {
        if let old = connections[connection.stationID], old.connectionNumber != connection.connectionNumber {
            old.close(code: .policyViolation)
        }
        connections[connection.stationID] = connection
    }

    /// Forgets the connection; true when it was the station's current one (not replaced by a reconnect).
    @discardableResult
    func closed(_ connection: OCPPConnection) -> Bool {
        guard connections[connection.stationID]?.connectionNumber == connection.connectionNumber else { return false }
        connections[connection.stationID] = nil
        return true
    }

    public func connection(stationID: String) -> OCPPConnection? { connections[stationID] }

    public var count: Int { connections.count }

    public var stationIDs: [String] { connections.keys.sorted() }
}
