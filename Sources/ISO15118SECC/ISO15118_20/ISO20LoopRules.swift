import ISO20Messages

/// A charge-loop request the SECC refuses, with the response code to send.
struct ISO20LoopRefusal: Error {
    let code: ResponseCode
}

/// What the SECC regulates to for each -20 charge-loop request, by the control mode of the selected parameter set:
///
/// - scheduled: the vehicle sets the target (DC: EVTargetCurrent/EVTargetVoltage; AC: it draws up to the schedule's
///   power); BPT accepts a negative EVTargetCurrent down to the EVSE's and the vehicle's discharge limits.
/// - dynamic: the SECC sets the power from its plan within the vehicle's limits; it charges while the vehicle asks
///   for energy (EVTargetEnergyRequest > 0), and with BPT it discharges when the plan asks for it and the vehicle
///   allows it (EVMinimumV2XEnergyRequest, else EVMinimumEnergyRequest, below zero).
///
/// A control mode other than the selected one is refused with FAILED; a voltage above the EVSE maximum with
/// FAILED_WrongChargeParameter.
enum ISO20LoopRules {
    typealias Session = ISO20SECCStateMachine.Session
    typealias Kind = ISO20SECCStateMachine.LoopKind

    static func dc(
        _ loop: DC_ChargeLoopReq, session: Session, plannedPowerW: Double, configuration: ISO20SECCConfiguration
    ) -> Result<(Kind, OutputTarget), ISO20LoopRefusal> {
        let c = configuration.capabilities
        let kind: Kind
        let voltage: Double
        var current: Double
        switch (loop.clReqControlMode, session.isBPT, session.controlMode) {
        case (.scheduledDCCLReqControlMode(let mode), false, .scheduled):
            kind = .dcScheduled
            voltage = mode.evTargetVoltage.doubleValue
            current = mode.evTargetCurrent.doubleValue
            guard current >= 0 else { return .failure(ISO20LoopRefusal(code: .failedWrongChargeParameter)) }
            current = min(current, Self.chargeLimit(c, voltage))
        case (.bptScheduledDCCLReqControlMode(let mode), true, .scheduled):
            kind = .dcBPTScheduled
            voltage = mode.evTargetVoltage.doubleValue
            let requested = mode.evTargetCurrent.doubleValue
            let dischargeLimit = min(
                Self.dischargeLimit(c, voltage),
                mode.evMaximumDischargeCurrent?.doubleValue ?? session.evMaximumDischargeCurrentA)
            current = requested < 0 ? max(requested, -max(0, dischargeLimit)) : min(requested, Self.chargeLimit(c, voltage))
        case (.dynamicDCCLReqControlMode(let mode), false, .dynamic):
            kind = .dcDynamic
            voltage = loop.evPresentVoltage.doubleValue
            let power = mode.evTargetEnergyRequest.doubleValue > 0
                ? min(max(plannedPowerW, 0), mode.evMaximumChargePower.doubleValue) : 0
            current = voltage > 0 ? min(power / voltage, mode.evMaximumChargeCurrent.doubleValue, Self.chargeLimit(c, voltage)) : 0
        case (.bptDynamicDCCLReqControlMode(let mode), true, .dynamic):
            kind = .dcBPTDynamic
            voltage = loop.evPresentVoltage.doubleValue
            let floor = (mode.evMinimumV2XEnergyRequest ?? mode.evMinimumEnergyRequest).doubleValue
            if plannedPowerW < 0, floor < 0, voltage > 0 {
                let power = max(plannedPowerW, -mode.evMaximumDischargePower.doubleValue, -c.maximumDischargePowerW)
                current = max(power / voltage, -mode.evMaximumDischargeCurrent.doubleValue, -Self.dischargeLimit(c, voltage))
            } else if mode.evTargetEnergyRequest.doubleValue > 0, voltage > 0 {
                let power = min(max(plannedPowerW, 0), mode.evMaximumChargePower.doubleValue)
                current = min(power / voltage, mode.evMaximumChargeCurrent.doubleValue, Self.chargeLimit(c, voltage))
            } else {
                current = 0
            }
        default:
            return .failure(ISO20LoopRefusal(code: .failed))
        }
        guard voltage.isFinite, current.isFinite, voltage >= 0, voltage <= c.maximumVoltageV else {
            return .failure(ISO20LoopRefusal(code: .failedWrongChargeParameter))
        }
        return .success((kind, OutputTarget(voltageV: voltage, currentA: current)))
    }

    /// The AC target active power (all phases; negative: discharge).
    static func ac(
        _ loop: AC_ChargeLoopReq, session: Session, plannedPowerW: Double, configuration: ISO20SECCConfiguration
    ) -> Result<(Kind, Double), ISO20LoopRefusal> {
        let c = configuration.capabilities
        switch (loop.clReqControlMode, session.isBPT, session.controlMode) {
        case (.scheduledACCLReqControlMode, false, .scheduled):
            return .success((.acScheduled, min(session.evMaximumPowerW, c.maximumPowerW, max(plannedPowerW, 0))))
        case (.bptScheduledACCLReqControlMode(let mode), true, .scheduled):
            // The vehicle follows the schedule; the SECC's target is the schedule within both sides' limits.
            let evCharge = mode.evMaximumChargePower?.doubleValue ?? session.evMaximumPowerW
            let evDischarge = mode.evMaximumDischargePower?.doubleValue ?? session.evMaximumDischargePowerW
            let power = plannedPowerW < 0
                ? max(plannedPowerW, -evDischarge, -c.maximumDischargePowerW) : min(plannedPowerW, evCharge, c.maximumPowerW)
            return .success((.acBPTScheduled, power))
        case (.dynamicACCLReqControlMode(let mode), false, .dynamic):
            let power = mode.evTargetEnergyRequest.doubleValue > 0
                ? min(max(plannedPowerW, 0), mode.evMaximumChargePower.doubleValue, c.maximumPowerW) : 0
            return .success((.acDynamic, power))
        case (.bptDynamicACCLReqControlMode(let mode), true, .dynamic):
            let floor = (mode.evMinimumV2XEnergyRequest ?? mode.evMinimumEnergyRequest).doubleValue
            let power: Double
            if plannedPowerW < 0, floor < 0 {
                power = max(plannedPowerW, -mode.evMaximumDischargePower.doubleValue, -c.maximumDischargePowerW)
            } else if mode.evTargetEnergyRequest.doubleValue > 0 {
                power = min(max(plannedPowerW, 0), mode.evMaximumChargePower.doubleValue, c.maximumPowerW)
            } else {
                power = 0
            }
            return .success((.acBPTDynamic, power))
        default:
            return .failure(ISO20LoopRefusal(code: .failed))
        }
    }

    static func chargeLimit(_ c: EVSECapabilities, _ voltage: Double) -> Double {
        voltage > 0 ? min(c.maximumCurrentA, c.maximumPowerW / voltage) : c.maximumCurrentA
    }

    static func dischargeLimit(_ c: EVSECapabilities, _ voltage: Double) -> Double {
        voltage > 0 ? min(c.maximumDischargeCurrentA, c.maximumDischargePowerW / voltage) : c.maximumDischargeCurrentA
    }
}

extension ISO20Responses {
    static func isDC(_ kind: ISO20SECCStateMachine.LoopKind) -> Bool {
        switch kind {
        case .dcScheduled, .dcDynamic, .dcBPTScheduled, .dcBPTDynamic: true
        case .acScheduled, .acDynamic, .acBPTScheduled, .acBPTDynamic: false
        }
    }

    /// The charge-loop response in the control mode of the request, with the EVSE's limits (BPT: discharge limits).
    static func chargeLoop(
        _ kind: ISO20SECCStateMachine.LoopKind, header: MessageHeader, measurement m: OutputMeasurement,
        targetPowerW: Double, phases: Double, capabilities c: EVSECapabilities
    ) -> ISO20Response {
        let maxPower = RationalNumber(c.maximumPowerW)
        let maxCurrent = RationalNumber(c.maximumCurrentA)
        let maxVoltage = RationalNumber(c.maximumVoltageV)
        let dischargePower = RationalNumber(c.maximumDischargePowerW)
        let dischargeCurrent = RationalNumber(c.maximumDischargeCurrentA)
        let dcMode: CLResControlModeGroupDC
        let acMode: CLResControlModeGroupAC
        let presentAC = RationalNumber(m.voltageV * m.currentA * phases)
        switch kind {
        case .dcScheduled:
            dcMode = .scheduledDCCLResControlMode(Scheduled_DC_CLResControlMode(
                evseMaximumChargePower: maxPower, evseMaximumChargeCurrent: maxCurrent, evseMaximumVoltage: maxVoltage))
        case .dcBPTScheduled:
            dcMode = .bptScheduledDCCLResControlMode(BPT_Scheduled_DC_CLResControlMode(
                evseMaximumChargePower: maxPower, evseMaximumChargeCurrent: maxCurrent, evseMaximumVoltage: maxVoltage,
                evseMaximumDischargePower: dischargePower, evseMaximumDischargeCurrent: dischargeCurrent,
                evseMinimumVoltage: RationalNumber(c.minimumVoltageV)))
        case .dcDynamic:
            dcMode = .dynamicDCCLResControlMode(Dynamic_DC_CLResControlMode(
                evseMaximumChargePower: maxPower, evseMinimumChargePower: RationalNumber(0),
                evseMaximumChargeCurrent: maxCurrent, evseMaximumVoltage: maxVoltage))
        case .dcBPTDynamic:
            dcMode = .bptDynamicDCCLResControlMode(BPT_Dynamic_DC_CLResControlMode(
                evseMaximumChargePower: maxPower, evseMinimumChargePower: RationalNumber(0),
                evseMaximumChargeCurrent: maxCurrent, evseMaximumVoltage: maxVoltage,
                evseMaximumDischargePower: dischargePower, evseMinimumDischargePower: RationalNumber(0),
                evseMaximumDischargeCurrent: dischargeCurrent, evseMinimumVoltage: RationalNumber(c.minimumVoltageV)))
        case .acScheduled:
            acMode = .scheduledACCLResControlMode(Scheduled_AC_CLResControlMode(
                evseTargetActivePower: RationalNumber(targetPowerW), evsePresentActivePower: presentAC))
            return .acChargeLoop(AC_ChargeLoopRes(header: header, responseCode: .ok, clResControlMode: acMode))
        case .acBPTScheduled:
            acMode = .bptScheduledACCLResControlMode(BPT_Scheduled_AC_CLResControlMode(
                evseTargetActivePower: RationalNumber(targetPowerW), evsePresentActivePower: presentAC))
            return .acChargeLoop(AC_ChargeLoopRes(header: header, responseCode: .ok, clResControlMode: acMode))
        case .acDynamic:
            acMode = .dynamicACCLResControlMode(Dynamic_AC_CLResControlMode(
                evseTargetActivePower: RationalNumber(targetPowerW), evsePresentActivePower: presentAC))
            return .acChargeLoop(AC_ChargeLoopRes(header: header, responseCode: .ok, clResControlMode: acMode))
        case .acBPTDynamic:
            acMode = .bptDynamicACCLResControlMode(BPT_Dynamic_AC_CLResControlMode(
                evseTargetActivePower: RationalNumber(targetPowerW), evsePresentActivePower: presentAC))
            return .acChargeLoop(AC_ChargeLoopRes(header: header, responseCode: .ok, clResControlMode: acMode))
        }
        return .dcChargeLoop(DC_ChargeLoopRes(
            header: header, responseCode: .ok,
            evsePresentCurrent: RationalNumber(m.currentA), evsePresentVoltage: RationalNumber(m.voltageV),
            evsePowerLimitAchieved: m.powerLimitReached, evseCurrentLimitAchieved: m.currentLimitReached,
            evseVoltageLimitAchieved: m.voltageLimitReached, clResControlMode: dcMode))
    }

    /// ServiceDetailRes (ISO 15118-20:2022 Tables 205-208): one parameter set per offered control mode, each with the
    /// service's connector, MobilityNeedsMode 1 (provided by the vehicle) and Pricing 0; AC adds EVSENominalVoltage;
    /// BPT adds BPTChannel 1 (unified) and GeneratorMode 1 (grid following), AC_BPT also
    /// GridCodeIslandingDetectionMethod 1 (active).
    static func serviceDetail(
        _ header: MessageHeader, service: ISO20EnergyService, configuration: ISO20SECCConfiguration,
        parameterSets: [(id: UInt16, mode: ISO20ControlMode)]
    ) -> ServiceDetailRes {
        let c = configuration.capabilities
        typealias P = ISO20ServiceParameter
        let sets = parameterSets.map { set -> ParameterSet in
            var parameters: [Parameter] = []
            if service.isDC {
                parameters.append(Parameter(name: P.connector, choice: .intValue(2)))
            } else {
                parameters.append(Parameter(name: P.connector, choice: .intValue(c.energyTransfers.contains(.acThreePhase) ? 2 : 1)))
            }
            parameters.append(Parameter(name: P.controlMode, choice: .intValue(set.mode.rawValue)))
            if !service.isDC {
                parameters.append(Parameter(name: P.evseNominalVoltage, choice: .intValue(Int32(clamping: Int(c.nominalVoltageV)))))
            }
            parameters.append(Parameter(name: P.mobilityNeedsMode, choice: .intValue(1)))
            parameters.append(Parameter(name: P.pricing, choice: .intValue(0)))
            if service.isBPT {
                parameters.append(Parameter(name: P.bptChannel, choice: .intValue(1)))
                parameters.append(Parameter(name: P.generatorMode, choice: .intValue(1)))
                if !service.isDC { parameters.append(Parameter(name: P.islandingDetection, choice: .intValue(1))) }
            }
            return ParameterSet(parameterSetID: set.id, parameter: parameters)
        }
        return ServiceDetailRes(
            header: header, responseCode: .ok, serviceID: service.rawValue,
            serviceParameterList: ServiceParameterList(parameterSet: sets))
    }

    /// One schedule tuple from the power plan, anchored at `now`: the ChargingSchedule carries the plan (negative
    /// entries ask a BPT vehicle to discharge), followed by the EVSE's maximum up to 24 hours; for BPT a
    /// DischargingSchedule carries the EVSE's discharge limit (negative power). Each schedule has a one-level price
    /// schedule (Josev, iso15118 0.31.2, rejects a ChargingSchedule without one although the schema allows it).
    static func schedule(
        plan: [ISO20PowerPlanEntry], maximumPowerW: Double, dischargeLimitW: Double?, now: UInt64, supportingPoints: UInt16
    ) -> Scheduled_SEResControlMode {
        let limit = max(1, min(Int(supportingPoints), 1024))
        var entries: [PowerScheduleEntry] = []
        var total: UInt64 = 0
        for entry in plan.prefix(max(1, limit - 1)) where entry.durationSeconds > 0 {
            let power = min(max(entry.powerW, -(dischargeLimitW ?? 0)), maximumPowerW)
            entries.append(PowerScheduleEntry(duration: entry.durationSeconds, power: RationalNumber(power)))
            total += UInt64(entry.durationSeconds)
        }
        if total < 86_400, entries.count < limit {
            entries.append(PowerScheduleEntry(duration: UInt32(86_400 - total), power: RationalNumber(maximumPowerW)))
        }
        let prices = PriceLevelSchedule(
            timeAnchor: now, priceScheduleID: 1, numberOfPriceLevels: 1,
            priceLevelScheduleEntries: PriceLevelScheduleEntryList(priceLevelScheduleEntry: [
                PriceLevelScheduleEntry(duration: 86_400, priceLevel: 0)
            ]))
        let charging = ChargingSchedule(
            powerSchedule: PowerSchedule(timeAnchor: now, powerScheduleEntries: PowerScheduleEntryList(powerScheduleEntry: entries)),
            choice: .priceLevelSchedule(prices))
        let discharging = dischargeLimitW.map { limit in
            ChargingSchedule(
                powerSchedule: PowerSchedule(
                    timeAnchor: now,
                    powerScheduleEntries: PowerScheduleEntryList(powerScheduleEntry: [
                        PowerScheduleEntry(duration: 86_400, power: RationalNumber(-limit))
                    ])),
                choice: .priceLevelSchedule(prices))
        }
        return Scheduled_SEResControlMode(scheduleTuple: [
            ScheduleTuple(
                scheduleTupleID: ISO20SECCStateMachine.scheduleTupleID, chargingSchedule: charging,
                dischargingSchedule: discharging)
        ])
    }
}
