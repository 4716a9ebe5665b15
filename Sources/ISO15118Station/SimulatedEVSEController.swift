public import ISO15118SECC
import Synchronization

/// An EVSE without hardware for `pnc station` and tests: DC output that reaches the requested voltage and the
/// requested current within its limits, an isolation monitor that reports Valid, contactors, and a meter that
/// integrates the delivered power over the caller's time steps. With discharge limits in its capabilities
/// (``EVSECapabilities/maximumDischargeCurrentA``, ISO 15118-20 BPT) a negative target current takes power back from
/// the vehicle, counted in the meter's ``MeterReading/dischargedWh`` register.
public final class SimulatedEVSEController: EVSEController {
    private struct State {
        var energyWh: Double = 0
        var dischargedWh: Double = 0
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
    /// A bidirectional 150 kW DC charger (DC_BPT): as ``dc`` and takes back up to 50 kW / 125 A.
    public static let dcBPT = EVSECapabilities(
        energyTransfers: [.dcExtended, .dcCore, .dcBPT], maximumPowerW: 150_000, maximumCurrentA: 300, minimumCurrentA: 0,
        maximumVoltageV: 920, minimumVoltageV: 150, nominalVoltageV: 400, meterID: "SIM-DC-BPT-1",
        maximumDischargePowerW: 50_000, maximumDischargeCurrentA: 125)
    /// A bidirectional 22 kW three-phase AC charger (AC_BPT): as ``ac`` and takes back up to 11 kW / 16 A.
    public static let acBPT = EVSECapabilities(
        energyTransfers: [.acThreePhase, .acSinglePhase, .acBPT], maximumPowerW: 22_000, maximumCurrentA: 32, minimumCurrentA: 6,
        maximumVoltageV: 400, minimumVoltageV: 200, nominalVoltageV: 230, meterID: "SIM-AC-BPT-1",
        maximumDischargePowerW: 11_000, maximumDischargeCurrentA: 16)
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
        var current = min(max(target.currentA, -caps.maximumDischargeCurrentA), caps.maximumCurrentA)
        var powerLimited = false
        let phaseCount = isDC ? 1.0 : 3.0
        if voltage > 0, voltage * current > caps.maximumPowerW {
            current = caps.maximumPowerW / voltage
            powerLimited = true
        }
        if voltage > 0, -voltage * current * phaseCount > caps.maximumDischargePowerW {
            current = -caps.maximumDischargePowerW / (voltage * phaseCount)
            powerLimited = true
        }
        let now = ContinuousClock.now
        return self.state.withLock { state in
            let phases = isDC ? 1.0 : 3.0
            let power = state.contactorsClosed ? voltage * current * phases : 0
            if let last = state.lastDelivery {
                let elapsed = now - last
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                let energy = state.powerW * seconds / 3600
                if energy >= 0 { state.energyWh += energy } else { state.dischargedWh -= energy }
            }
            state.lastDelivery = now
            state.powerW = power
            return OutputMeasurement(
                voltageV: voltage, currentA: state.contactorsClosed ? current : 0,
                currentLimitReached: target.currentA > caps.maximumCurrentA || target.currentA < -caps.maximumDischargeCurrentA,
                voltageLimitReached: target.voltageV > caps.maximumVoltageV,
                powerLimitReached: powerLimited)
        }
    }

    public func meterReading() async throws -> MeterReading {
        self.state.withLock { MeterReading(energyWh: $0.energyWh, powerW: $0.powerW, dischargedWh: $0.dischargedWh) }
    }
}
