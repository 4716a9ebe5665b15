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

    func closed(_ connection: OCPPConnection) {
        if connections[connection.stationID]?.connectionNumber == connection.connectionNumber {
            connections[connection.stationID] = nil
        }
    }

    public func connection(stationID: String) -> OCPPConnection? { connections[stationID] }

    public var count: Int { connections.count }

    public var stationIDs: [String] { connections.keys.sorted() }
}
