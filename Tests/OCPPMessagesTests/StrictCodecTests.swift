import Foundation
import OCPPMessages
import Testing

func decode<T: OCPPJSONCodable>(_ type: T.Type, _ text: String) throws(OCPPMessagesError) -> T {
    try T(json: JSONValue.parse(text))
}

func failure<T: OCPPJSONCodable>(_ type: T.Type, _ text: String) -> OCPPMessagesError? {
    do {
        _ = try decode(type, text)
        return nil
    } catch {
        return error
    }
}

// Members in schema property order, the order the encoder writes.
let bootRequest201 = #"{"chargingStation":{"serialNumber":"SN-1","model":"PnC-CS","vendorName":"OpenPnC"},"reason":"PowerUp"}"#
let transactionEvent201 = #"{"eventType":"Started","meterValue":[{"sampledValue":[{"value":1500.5,"context":"Transaction.Begin","measurand":"Energy.Active.Import.Register","unitOfMeasure":{"unit":"Wh"}}],"timestamp":"2026-11-21T01:02:03.456Z"}],"timestamp":"2026-11-21T01:02:03.456Z","triggerReason":"Authorized","seqNo":0,"transactionInfo":{"transactionId":"TX-1","chargingState":"Charging"},"evse":{"id":1,"connectorId":1},"idToken":{"idToken":"DEABCC1234567890","type":"eMAID"}}"#

@Suite struct StrictCodecTests {
    @Test("Member order on the wire does not matter for decoding")
    func reordered() throws {
        // Member order on the wire is free; decoding does not depend on it.
        let text = #"{"reason":"PowerUp","chargingStation":{"vendorName":"OpenPnC","model":"PnC-CS","serialNumber":"SN-1"}}"#
        #expect(try decode(V201.BootNotificationRequest.self, text) == decode(V201.BootNotificationRequest.self, bootRequest201))
    }

    @Test("A valid 2.0.1 TransactionEvent decodes to typed fields and re-encodes (schema order) byte for byte")
    func roundTrip() throws {
        let event = try decode(V201.TransactionEventRequest.self, transactionEvent201)
        #expect(event.eventType == .started)
        #expect(event.seqNo == 0)
        #expect(event.idToken?.type == .eMAID)
        #expect(event.meterValue?.first?.sampledValue.first?.value == 1500.5)
        #expect(event.meterValue?.first?.sampledValue.first?.measurand == .energyActiveImportRegister)
        #expect(event.json.serializedString == transactionEvent201)
        let boot = try decode(V201.BootNotificationRequest.self, bootRequest201)
        #expect(boot.reason == .powerUp)
        #expect(boot.json.serializedString == bootRequest201)
    }

    @Test("OCPP-J 2.0.1 §4.3: a missing required property is an OccurrenceConstraintViolation naming the path")
    func missingRequired() throws {
        let error = try #require(failure(V201.BootNotificationRequest.self, #"{"chargingStation":{"model":"m"},"reason":"PowerUp"}"#))
        #expect(error.code == .occurrenceConstraintViolation)
        #expect(error.path == "chargingStation/vendorName")
        #expect(error.rpcErrorCode == .occurrenceConstraintViolation)
        #expect(error.rpcErrorCode.wireName(for: .v16) == "OccurenceConstraintViolation")
    }

    @Test("additionalProperties false: an unknown property is a FormatViolation")
    func unknownProperty() throws {
        let error = try #require(failure(V201.HeartbeatRequest.self, #"{"foo":1}"#))
        #expect(error.code == .formatViolation)
        #expect(error.path == "foo")
        #expect(error.rpcErrorCode.wireName(for: .v201) == "FormatViolation")
        #expect(error.rpcErrorCode.wireName(for: .v16) == "FormationViolation")
    }

    @Test("customData is the one extension point: extra vendor properties are kept and re-encoded")
    func customData() throws {
        let text = #"{"customData":{"vendorId":"org.openpnc","x":[1,2]}}"#
        let heartbeat = try decode(V201.HeartbeatRequest.self, text)
        #expect(heartbeat.customData?.vendorId == "org.openpnc")
        #expect(heartbeat.customData?.additionalProperties == [JSONMember("x", .array([.integer(1), .integer(2)]))])
        #expect(heartbeat.json.serializedString == text)
        #expect(failure(V201.HeartbeatRequest.self, #"{"customData":{"x":1}}"#)?.code == .occurrenceConstraintViolation)
    }

    @Test("maxLength counts characters: idToken of 36 passes, 37 is a PropertyConstraintViolation")
    func maxLength() throws {
        let ok = #"{"idToken":{"idToken":"\#(String(repeating: "é", count: 36))","type":"Central"}}"#
        _ = try decode(V201.AuthorizeRequest.self, ok)
        let long = #"{"idToken":{"idToken":"\#(String(repeating: "A", count: 37))","type":"Central"}}"#
        let error = try #require(failure(V201.AuthorizeRequest.self, long))
        #expect(error.code == .propertyConstraintViolation)
        #expect(error.path == "idToken/idToken")
    }

    @Test("An enum value outside the schema's list is a PropertyConstraintViolation")
    func enumValue() throws {
        let error = try #require(failure(V201.AuthorizeRequest.self, #"{"idToken":{"idToken":"x","type":"Foo"}}"#))
        #expect(error.code == .propertyConstraintViolation)
        #expect(error.path == "idToken/type")
    }

    @Test("Wrong JSON types are TypeConstraintViolations (string for integer, integer for string, null)")
    func wrongTypes() throws {
        let text = transactionEvent201.replacingOccurrences(of: #""seqNo":0"#, with: #""seqNo":"0""#)
        #expect(failure(V201.TransactionEventRequest.self, text)?.code == .typeConstraintViolation)
        #expect(failure(V201.AuthorizeRequest.self, #"{"idToken":{"idToken":5,"type":"Central"}}"#)?.code == .typeConstraintViolation)
        #expect(failure(V201.AuthorizeRequest.self, #"{"idToken":null}"#)?.code == .typeConstraintViolation)
        #expect(failure(V201.AuthorizeRequest.self, #"[]"#)?.code == .typeConstraintViolation)
        // draft-06 integer: 1.0 is an integer, 1.5 is not
        let integral = transactionEvent201.replacingOccurrences(of: #""seqNo":0"#, with: #""seqNo":1.0"#)
        #expect(try decode(V201.TransactionEventRequest.self, integral).seqNo == 1)
        let fractional = transactionEvent201.replacingOccurrences(of: #""seqNo":0"#, with: #""seqNo":1.5"#)
        #expect(failure(V201.TransactionEventRequest.self, fractional)?.code == .typeConstraintViolation)
    }

    @Test("date-time must be RFC 3339: 'yesterday', a missing offset and 2026-02-30 are rejected")
    func dateTime() throws {
        for bad in ["yesterday", "2026-11-21T01:02:03", "2026-02-30T00:00:00Z", "2026-11-21 01:02:03Z", "2026-13-01T00:00:00Z"] {
            let text = #"{"timestamp":"\#(bad)","connectorStatus":"Available","evseId":1,"connectorId":1}"#
            #expect(failure(V201.StatusNotificationRequest.self, text)?.code == .propertyConstraintViolation, "\(bad)")
        }
        for good in ["2026-11-21T01:02:03Z", "2026-11-21T01:02:03.123456+01:00", "2024-02-29T23:59:60Z"] {
            let text = #"{"timestamp":"\#(good)","connectorStatus":"Available","evseId":1,"connectorId":1}"#
            #expect(try decode(V201.StatusNotificationRequest.self, text).timestamp.text == good)
        }
        #expect(try OCPPDateTime("1970-01-01T00:00:01Z").secondsSince1970 == 1)
        #expect(OCPPDateTime(secondsSince1970: 1_763_686_923.456).text == "2025-11-21T01:02:03.456Z")
    }

    @Test("minItems / maxItems: an empty array and 5 hash data entries are OccurrenceConstraintViolations")
    func items() throws {
        let hash = #"{"hashAlgorithm":"SHA256","issuerNameHash":"a","issuerKeyHash":"b","serialNumber":"1","responderURL":"http://x"}"#
        let five = Array(repeating: hash, count: 5).joined(separator: ",")
        let error = try #require(failure(V201.AuthorizeRequest.self, #"{"idToken":{"idToken":"x","type":"eMAID"},"iso15118CertificateHashData":[\#(five)]}"#))
        #expect(error.code == .occurrenceConstraintViolation)
        #expect(failure(V201.AuthorizeRequest.self, #"{"idToken":{"idToken":"x","type":"eMAID"},"iso15118CertificateHashData":[]}"#)?.code == .occurrenceConstraintViolation)
    }

    @Test("minimum / maximum: stateOfCharge 101 is a PropertyConstraintViolation")
    func range() throws {
        let text = #"{"evseId":1,"chargingNeeds":{"requestedEnergyTransfer":"DC","dcChargingParameters":{"evMaxCurrent":1,"evMaxVoltage":1,"stateOfCharge":101}}}"#
        let error = try #require(failure(V201.NotifyEVChargingNeedsRequest.self, text))
        #expect(error.code == .propertyConstraintViolation)
        #expect(error.path == "chargingNeeds/dcChargingParameters/stateOfCharge")
    }

    @Test("OCPP 1.6: MeterValues with string sampled values decodes; 2.0.1 DataTransfer data is any JSON")
    func v16() throws {
        let text = #"{"connectorId":1,"transactionId":7,"meterValue":[{"timestamp":"2026-11-21T01:02:03Z","sampledValue":[{"value":"1500","unit":"Wh"}]}]}"#
        let mv = try decode(V16.MeterValuesRequest.self, text)
        #expect(mv.meterValue.first?.sampledValue.first?.unit == .wh)
        #expect(mv.json.serializedString == text)
        #expect(failure(V16.DataTransferRequest.self, #"{"vendorId":"v","data":{"a":1}}"#)?.code == .typeConstraintViolation)
        let dt = try decode(V201.DataTransferRequest.self, #"{"vendorId":"v","data":{"a":1}}"#)
        #expect(dt.data == .object([JSONMember("a", .integer(1))]))
    }

    @Test("The action table decodes every known action and rejects an unknown one with NotImplemented")
    func actions() throws {
        #expect(V201.actions.count == 64)
        #expect(V16.actions.count == 39)
        let request = try V201.Request(action: "BootNotification", payload: JSONValue.parse(bootRequest201))
        #expect(request.action == "BootNotification")
        do {
            _ = try V201.Request(action: "FlyToTheMoon", payload: .object([]))
            Issue.record("unknown action decoded")
        } catch {
            #expect(error.code == .unknownAction)
            #expect(error.rpcErrorCode.wireName(for: .v201) == "NotImplemented")
        }
        for action in V201.actions { #expect(V201.requestType(for: action)?.action == action) }
        for action in V16.actions { #expect(V16.requestType(for: action)?.version == .v16) }
    }
}
