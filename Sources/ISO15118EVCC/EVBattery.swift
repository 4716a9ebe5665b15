/// A simple traction battery for the EV simulator: capacity, state of charge and the limits the vehicle announces.
public struct EVBattery: Hashable, Sendable {
    public var capacityWh: Double
    /// State of charge in percent (0 ... 100).
    public private(set) var stateOfCharge: Double
    public var maximumCurrentA: Double
    public var maximumVoltageV: Double
    /// The pack voltage the vehicle asks for in PreCharge and CurrentDemand.
    public var nominalVoltageV: Double
    /// The state of charge at which the vehicle ends charging.
    public var targetStateOfCharge: Double

    public init(
        capacityWh: Double, stateOfCharge: Double, maximumCurrentA: Double, maximumVoltageV: Double,
        nominalVoltageV: Double, targetStateOfCharge: Double = 100
    ) {
        self.capacityWh = max(1, capacityWh)
        self.stateOfCharge = min(100, max(0, stateOfCharge))
        self.maximumCurrentA = maximumCurrentA
        self.maximumVoltageV = maximumVoltageV
        self.nominalVoltageV = nominalVoltageV
        self.targetStateOfCharge = min(100, max(0, targetStateOfCharge))
    }

    /// The energy still needed to reach the target, in Wh.
    public var energyRequestWh: Double { max(0, (self.targetStateOfCharge - self.stateOfCharge) / 100 * self.capacityWh) }

    public var isFull: Bool { self.stateOfCharge >= self.targetStateOfCharge }

    /// Stores `energyWh` (negative values discharge); the state of charge stays within 0 ... 100.
    public mutating func charge(energyWh: Double) {
        guard energyWh.isFinite else { return }
        self.stateOfCharge = min(100, max(0, self.stateOfCharge + energyWh / self.capacityWh * 100))
    }
}
