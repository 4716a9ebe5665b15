public import ISO15118SECC
import Synchronization

/// An EVSE without hardware for `pnc station` and tests: DC output that reaches the requested voltage and the
/// requested current within its limits, an isolation monitor that reports Valid, contactors, and a meter that
/// integrates the delivered power over the caller's time steps.
public final class SimulatedEVSEController: EVSEController {
    private struct State {
        var energyWh: Double = 0
        var powerW: Double = 0
        var contactorsClosed = false
        var lastDelivery: ContinuousClock.Instant?
    }

    public let evseCapabilities: EVSECapabilities
    private let state = Mutex(State())

    public init(capabilities: EVSECapabilities) {
        self.evseCapabilities = capabilities
    }

    /// A 150 kW DC charger (150-920 V, up to 300 A).
    public static let dc = EVSECapabilities(
        energyTransfers: [.dcExtended, .dcCore], maximumPowerW: 150_000, maximumCurrentA: 300, minimumCurrentA: 0,
        maximumVoltageV: 920, minimumVoltageV: 150, nominalVoltageV: 400, meterID: "SIM-DC-1")
    /// A 22 kW three-phase AC charger (32 A, 230 V).
    public static let ac = EVSECapabilities(
        energyTransfers: [.acThreePhase, .acSinglePhase], maximumPowerW: 22_000, maximumCurrentA: 32, minimumCurrentA: 6,
        maximumVoltageV: 400, minimumVoltageV: 200, nominalVoltageV: 230, meterID: "SIM-AC-1")

    public func capabilities() async -> EVSECapabilities { self.evseCapabilities }

    public func cableCheck(voltage: Double) async throws -> IsolationLevel { .valid }

    public func setContactors(closed: Bool) async throws {
        self.state.withLock {
            $0.contactorsClosed = closed
            if !closed { $0.powerW = 0 }
            $0.lastDelivery = nil
        }
    }

    public func deliver(_ target: OutputTarget) async throws -> OutputMeasurement {
        let caps = self.evseCapabilities
        let isDC = caps.energyTransfers.contains { $0.isDC }
        let voltage = isDC ? min(max(target.voltageV, 0), caps.maximumVoltageV) : caps.nominalVoltageV
        var current = min(max(target.currentA, 0), caps.maximumCurrentA)
        var powerLimited = false
        if voltage > 0, voltage * current > caps.maximumPowerW {
            current = caps.maximumPowerW / voltage
            powerLimited = true
        }
        let now = ContinuousClock.now
        return self.state.withLock { state in
            let phases = isDC ? 1.0 : 3.0
            let power = state.contactorsClosed ? voltage * current * phases : 0
            if let last = state.lastDelivery {
                let elapsed = now - last
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                state.energyWh += state.powerW * seconds / 3600
            }
            state.lastDelivery = now
            state.powerW = power
            return OutputMeasurement(
                voltageV: voltage, currentA: state.contactorsClosed ? current : 0,
                currentLimitReached: target.currentA > caps.maximumCurrentA, voltageLimitReached: target.voltageV > caps.maximumVoltageV,
                powerLimitReached: powerLimited)
        }
    }

    public func meterReading() async throws -> MeterReading {
        self.state.withLock { MeterReading(energyWh: $0.energyWh, powerW: $0.powerW) }
    }
}
