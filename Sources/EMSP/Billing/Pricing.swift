/// An amount of money in minor units (cents) of a currency; exact integer arithmetic.
public struct Money: Hashable, Sendable, Codable, CustomStringConvertible {
    public var cents: Int64
    public var currency: String

    public init(cents: Int64, currency: String) {
        self.cents = cents
        self.currency = currency
    }

    /// "12.34 EUR".
    public var description: String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction) \(currency)"
    }
}

/// A charging tariff. Prices are in micro-units of the currency (1 EUR = 1 000 000) so that prices like
/// 0.3949 EUR/kWh are exact; each price line is rounded half-up to cents, VAT is computed on the rounded net total
/// and rounded half-up to cents.
public struct Tariff: Hashable, Sendable, Codable {
    public var id: String
    /// ISO 4217 code.
    public var currency: String
    public var energyPricePerKWhMicros: Int64
    public var timePricePerHourMicros: Int64
    public var sessionFeeMicros: Int64
    /// VAT rate in basis points (1900 = 19 %).
    public var vatRateBasisPoints: Int64

    public init(
        id: String, currency: String, energyPricePerKWhMicros: Int64, timePricePerHourMicros: Int64 = 0,
        sessionFeeMicros: Int64 = 0, vatRateBasisPoints: Int64
    ) {
        self.id = id
        self.currency = currency
        self.energyPricePerKWhMicros = energyPricePerKWhMicros
        self.timePricePerHourMicros = timePricePerHourMicros
        self.sessionFeeMicros = sessionFeeMicros
        self.vatRateBasisPoints = vatRateBasisPoints
    }

    func validate() throws(EMSPError) {
        guard currency.utf8.count == 3, currency.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else {
            throw .make(.invalidParameter, "tariff: currency \(currency) is not an ISO 4217 code")
        }
        let limit: Int64 = 1_000_000_000_000  // one million currency units
        for price in [energyPricePerKWhMicros, timePricePerHourMicros, sessionFeeMicros] where price < 0 || price > limit {
            throw .make(.invalidParameter, "tariff: price \(price) µ\(currency) out of range")
        }
        guard (0...10_000).contains(vatRateBasisPoints) else {
            throw .make(.invalidParameter, "tariff: VAT rate \(vatRateBasisPoints) bp out of range")
        }
    }
}

/// A finished transaction to price.
public struct FinishedSession: Hashable, Sendable, Codable {
    public var transactionID: String
    public var stationID: String
    public var evseID: Int
    public var eMAID: String
    /// Seconds since 1970-01-01 UTC.
    public var start: Int64
    public var stop: Int64
    /// Delivered energy in Wh.
    public var energyWh: Int64
    /// How the session was authorized (OCPI AuthMethod: `AUTH_REQUEST`, `WHITELIST`, `COMMAND`).
    public var authMethod: String

    public init(
        transactionID: String, stationID: String, evseID: Int, eMAID: String, start: Int64, stop: Int64,
        energyWh: Int64, authMethod: String = "AUTH_REQUEST"
    ) {
        self.transactionID = transactionID
        self.stationID = stationID
        self.evseID = evseID
        self.eMAID = eMAID
        self.start = start
        self.stop = stop
        self.energyWh = energyWh
        self.authMethod = authMethod
    }

    public var durationSeconds: Int64 { stop - start }
}

/// One priced line of a CDR (OCPI CdrDimension-like).
public struct PriceLine: Hashable, Sendable, Codable {
    /// `ENERGY`, `TIME` or `FLAT` (OCPI TariffDimensionType).
    public var dimension: String
    public var description: String
    /// kWh for ENERGY, hours for TIME, 1 for FLAT, as text with the precision used.
    public var quantity: String
    public var unitPriceMicros: Int64
    public var amount: Money
}

/// A charge detail record (OCPI 2.2.1 CDR-like fields) with its priced lines and totals.
public struct ChargeDetailRecord: Hashable, Sendable, Codable {
    public var id: String
    public var session: FinishedSession
    public var tariffID: String
    public var currency: String
    public var lines: [PriceLine]
    public var totalExclVAT: Money
    public var vat: Money
    public var totalInclVAT: Money
    public var vatRateBasisPoints: Int64
    /// kWh with three decimals (OCPI total_energy).
    public var totalEnergyKWh: String
    /// Hours with four decimals (OCPI total_time).
    public var totalTimeHours: String
}

public enum Pricing {
    /// `numerator / denominator` rounded half-up (non-negative operands).
    static func roundedDivision(_ numerator: Int64, _ denominator: Int64) -> Int64 {
        (numerator + denominator / 2) / denominator
    }

    /// Fixed-point text of `value / 10^decimals`.
    static func fixed(_ value: Int64, decimals: Int) -> String {
        var divisor: Int64 = 1
        for _ in 0..<decimals { divisor *= 10 }
        let fraction = String(value % divisor)
        return "\(value / divisor)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// Prices a finished session into a CDR.
    /// - Throws: ``EMSPError`` `invalidParameter` for a session that cannot be priced (stop before start, negative
    ///   energy, more than 10 MWh or 31 days) or an invalid tariff (negative prices, VAT out of range, bad currency).
    public static func price(_ session: FinishedSession, tariff: Tariff, cdrID: String) throws(EMSPError)
        -> ChargeDetailRecord
    {
        try tariff.validate()
        guard session.stop >= session.start, session.durationSeconds <= 31 * 86_400 else {
            throw .make(.invalidParameter, "session \(session.transactionID) has an invalid duration")
        }
        guard (0...10_000_000).contains(session.energyWh) else {
            throw .make(.invalidParameter, "session \(session.transactionID) has an invalid energy \(session.energyWh) Wh")
        }
        let currency = tariff.currency
        var lines: [PriceLine] = []
        // µ·Wh / 1000 = µ per kWh · kWh; µ → cents: / 10 000. Together / 10 000 000, rounded once.
        if tariff.energyPricePerKWhMicros > 0 {
            let cents = roundedDivision(session.energyWh * tariff.energyPricePerKWhMicros, 10_000_000)
            lines.append(
                PriceLine(
                    dimension: "ENERGY", description: "Energy", quantity: fixed(session.energyWh, decimals: 3) + " kWh",
                    unitPriceMicros: tariff.energyPricePerKWhMicros, amount: Money(cents: cents, currency: currency)))
        }
        if tariff.timePricePerHourMicros > 0 {
            let cents = roundedDivision(session.durationSeconds * tariff.timePricePerHourMicros, 36_000_000)
            lines.append(
                PriceLine(
                    dimension: "TIME", description: "Charging time",
                    quantity: fixed(roundedDivision(session.durationSeconds * 10_000, 3600), decimals: 4) + " h",
                    unitPriceMicros: tariff.timePricePerHourMicros, amount: Money(cents: cents, currency: currency)))
        }
        if tariff.sessionFeeMicros > 0 {
            lines.append(
                PriceLine(
                    dimension: "FLAT", description: "Session fee", quantity: "1",
                    unitPriceMicros: tariff.sessionFeeMicros,
                    amount: Money(cents: roundedDivision(tariff.sessionFeeMicros, 10_000), currency: currency)))
        }
        let net = lines.reduce(Int64(0)) { $0 + $1.amount.cents }
        let vat = roundedDivision(net * tariff.vatRateBasisPoints, 10_000)
        return ChargeDetailRecord(
            id: cdrID, session: session, tariffID: tariff.id, currency: currency, lines: lines,
            totalExclVAT: Money(cents: net, currency: currency), vat: Money(cents: vat, currency: currency),
            totalInclVAT: Money(cents: net + vat, currency: currency), vatRateBasisPoints: tariff.vatRateBasisPoints,
            totalEnergyKWh: fixed(session.energyWh, decimals: 3),
            totalTimeHours: fixed(roundedDivision(session.durationSeconds * 10_000, 3600), decimals: 4))
    }
}
