/// The SECC's view of the charger's power electronics, isolation monitor, contactors and meter.
///
/// Like ``ChargingBackend`` it is called by a driver, never by the state machines, whose actions ask for these
/// operations and whose inputs carry the answers. A charger vendor implements it over its hardware; OpenPnC ships
/// simulators for AC and DC.
public protocol EVSEController: Sendable {
    /// What this EVSE can deliver; asked once per session (ServiceDiscovery, ChargeParameterDiscovery).
    func capabilities() async -> EVSECapabilities

    /// DC: runs the isolation test of the cable at the given voltage (CableCheck) and reports the result.
    func cableCheck(voltage: Double) async throws -> IsolationLevel

    /// Closes (true) or opens (false) the output contactors (PowerDelivery Start / Stop).
    func setContactors(closed: Bool) async throws

    /// DC: regulates to the target (PreCharge, CurrentDemand) and reports what is present at the output.
    /// AC: `target.currentA` is the maximum current per phase the vehicle may draw.
    func deliver(_ target: OutputTarget) async throws -> OutputMeasurement

    /// The meter register and present power (MeterInfo, MeteringReceipt, OCPP meter values).
    func meterReading() async throws -> MeterReading
}

/// The energy transfer modes an EVSE offers (ISO 15118-2 EnergyTransferModeType, -20 service ids, DIN DC).
public enum EnergyTransfer: String, Hashable, Sendable, Codable, CaseIterable {
    case acSinglePhase = "AC_single_phase_core", acThreePhase = "AC_three_phase_core"
    case dcCore = "DC_core", dcExtended = "DC_extended", dcComboCore = "DC_combo_core", dcUnique = "DC_unique"
    /// ISO 15118-20 bidirectional power transfer.
    case acBPT = "AC_BPT", dcBPT = "DC_BPT"

    public var isDC: Bool {
        switch self {
        case .acSinglePhase, .acThreePhase, .acBPT: false
        case .dcCore, .dcExtended, .dcComboCore, .dcUnique, .dcBPT: true
        }
    }
}

/// What an EVSE can deliver.
public struct EVSECapabilities: Hashable, Sendable {
    public var energyTransfers: [EnergyTransfer]
    public var maximumPowerW: Double
    public var maximumCurrentA: Double
    public var minimumCurrentA: Double
    public var maximumVoltageV: Double
    public var minimumVoltageV: Double
    /// AC: the nominal phase voltage.
    public var nominalVoltageV: Double
    /// The meter's identifier (MeterInfo.MeterID).
    public var meterID: String
    /// Bidirectional power transfer (ISO 15118-20 AC_BPT, DC_BPT): the most power the EVSE takes back from the
    /// vehicle, in W (a positive figure; 0 when it cannot discharge).
    public var maximumDischargePowerW: Double
    /// The most current the EVSE takes back from the vehicle, in A (a positive figure; 0 when it cannot discharge).
    public var maximumDischargeCurrentA: Double

    /// Whether the power electronics can take power back from the vehicle for `transfer` (``EnergyTransfer/acBPT`` or
    /// ``EnergyTransfer/dcBPT`` listed, with discharge limits above zero).
    public func canDischarge(_ transfer: EnergyTransfer) -> Bool {
        self.energyTransfers.contains(transfer) && self.maximumDischargePowerW > 0 && self.maximumDischargeCurrentA > 0
    }

    public init(
        energyTransfers: [EnergyTransfer], maximumPowerW: Double, maximumCurrentA: Double, minimumCurrentA: Double,
        maximumVoltageV: Double, minimumVoltageV: Double, nominalVoltageV: Double, meterID: String,
        maximumDischargePowerW: Double = 0, maximumDischargeCurrentA: Double = 0
    ) {
        self.maximumDischargePowerW = max(0, maximumDischargePowerW)
        self.maximumDischargeCurrentA = max(0, maximumDischargeCurrentA)
        self.energyTransfers = energyTransfers
        self.maximumPowerW = maximumPowerW
        self.maximumCurrentA = maximumCurrentA
        self.minimumCurrentA = minimumCurrentA
        self.maximumVoltageV = maximumVoltageV
        self.minimumVoltageV = minimumVoltageV
        self.nominalVoltageV = nominalVoltageV
        self.meterID = meterID
    }
}

/// The isolation monitor's verdict (ISO 15118-2 isolationLevelType, DIN isolationLevelType).
public enum IsolationLevel: String, Hashable, Sendable, Codable {
    case invalid = "Invalid", valid = "Valid", warning = "Warning", fault = "Fault", noIMD = "No_IMD"
}

/// A regulation target. A negative current asks a bidirectional EVSE to take power back from the vehicle
/// (ISO 15118-20 BPT: the current flows from the vehicle to the grid).
public struct OutputTarget: Hashable, Sendable {
    public var voltageV: Double
    public var currentA: Double

    public init(voltageV: Double, currentA: Double) {
        self.voltageV = voltageV
        self.currentA = currentA
    }
}

/// What is present at the output after a regulation step.
public struct OutputMeasurement: Hashable, Sendable {
    public var voltageV: Double
    public var currentA: Double
    public var currentLimitReached: Bool
    public var voltageLimitReached: Bool
    public var powerLimitReached: Bool

    public init(
        voltageV: Double, currentA: Double, currentLimitReached: Bool = false, voltageLimitReached: Bool = false,
        powerLimitReached: Bool = false
    ) {
        self.voltageV = voltageV
        self.currentA = currentA
        self.currentLimitReached = currentLimitReached
        self.voltageLimitReached = voltageLimitReached
        self.powerLimitReached = powerLimitReached
    }
}

/// The meter register.
public struct MeterReading: Hashable, Sendable {
    /// The energy register in Wh (monotonic).
    public var energyWh: Double
    /// The present power in W (negative when discharging, BPT).
    public var powerW: Double
    /// The register of energy taken back from the vehicle in Wh (monotonic; BPT only, else 0).
    public var dischargedWh: Double

    public init(energyWh: Double, powerW: Double, dischargedWh: Double = 0) {
        self.energyWh = energyWh
        self.powerW = powerW
        self.dischargedWh = dischargedWh
    }
}

/// Work for the power electronics that the DIN SPEC 70121 and ISO 15118-20 session machines hand to their driver;
/// the driver runs it on the ``EVSEController`` and reports a ``SECCControllerReply``.
public enum SECCControllerCommand: Hashable, Sendable {
    /// ``EVSEController/cableCheck(voltage:)``.
    case cableCheck(voltageV: Double)
    /// ``EVSEController/deliver(_:)``.
    case deliver(OutputTarget)
    /// ``EVSEController/setContactors(closed:)``.
    case setContactors(closed: Bool)
}

/// The controller's answer to a ``SECCControllerCommand``.
public enum SECCControllerReply: Hashable, Sendable {
    case isolation(IsolationLevel)
    case output(OutputMeasurement)
    case contactorsSet
    /// The controller threw; the detail is for logs only.
    case failed(String)
}
