/// What the SECC does with a PreCharge target voltage above the EVSE's maximum voltage (DIN SPEC 70121 PreChargeReq,
/// ISO 15118-20 DC_PreChargeReq).
///
/// The vehicle announced its limits in ChargeParameterDiscovery and the EVSE its own, so a target above the EVSE's
/// maximum voltage is a wrong charge parameter; ``refuse`` answers it with FAILED_WrongChargeParameter and ends the
/// session. ``clampToMaximum`` is an explicit, lenient choice for vehicles (and vehicle simulators) that send a
/// target the EVSE cannot reach: the output is driven to the EVSE's maximum voltage, as power electronics saturate
/// there, and the response carries the voltage actually reached, so the vehicle sees that its target is not met and
/// decides itself (it ends the session at V2G_EVCC_PreCharge_Timeout if it cares).
public enum PreChargeAboveMaximum: String, Sendable, Hashable, CaseIterable {
    /// FAILED_WrongChargeParameter (the default).
    case refuse
    /// Deliver at most the EVSE's maximum voltage and answer OK with the present voltage.
    case clampToMaximum = "clamp"
}
