/// The energy transfer services of ISO 15118-20:2022 (Table 204) that OpenPnC's SECC and EVCC speak.
public enum ISO20EnergyService: UInt16, Hashable, Sendable, CaseIterable {
    case ac = 1
    case dc = 2
    /// AC bidirectional power transfer.
    case acBPT = 5
    /// DC bidirectional power transfer.
    case dcBPT = 6

    public var isDC: Bool { self == .dc || self == .dcBPT }
    public var isBPT: Bool { self == .acBPT || self == .dcBPT }

    /// The service for AC or DC, unidirectional or bidirectional.
    public static func of(dc: Bool, bpt: Bool) -> ISO20EnergyService {
        switch (dc, bpt) {
        case (true, true): .dcBPT
        case (true, false): .dc
        case (false, true): .acBPT
        case (false, false): .ac
        }
    }
}

/// The ServiceDetail parameter ControlMode (ISO 15118-20:2022 Tables 205-208): who decides the power during the
/// charge loop. Scheduled: the vehicle follows the SECC's schedule; dynamic: the SECC sets the power from the vehicle's
/// limits and energy requests.
public enum ISO20ControlMode: Int32, Hashable, Sendable, CaseIterable {
    case scheduled = 1
    case dynamic = 2

    /// The ControlMode of a ServiceDetailRes parameter set; nil when it has none or an unknown value.
    public static func of(_ set: ParameterSet) -> ISO20ControlMode? {
        for parameter in set.parameter where parameter.name == ISO20ServiceParameter.controlMode {
            if case .intValue(let value) = parameter.choice { return ISO20ControlMode(rawValue: value) }
        }
        return nil
    }
}

/// Names and values of ServiceDetail parameters (ISO 15118-20:2022 Tables 205-208).
public enum ISO20ServiceParameter {
    public static let connector = "Connector"
    public static let controlMode = "ControlMode"
    public static let evseNominalVoltage = "EVSENominalVoltage"
    public static let mobilityNeedsMode = "MobilityNeedsMode"
    public static let pricing = "Pricing"
    /// BPT: 1 unified (one channel for both directions), 2 separated.
    public static let bptChannel = "BPTChannel"
    /// BPT: 1 grid following, 2 grid forming.
    public static let generatorMode = "GeneratorMode"
    /// AC_BPT: 1 active, 2 passive islanding detection.
    public static let islandingDetection = "GridCodeIslandingDetectionMethod"
}
