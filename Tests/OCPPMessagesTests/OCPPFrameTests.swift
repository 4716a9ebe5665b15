import OCPPMessages
import Testing

func frameError(_ text: String) -> OCPPMessagesError? {
    do {
        _ = try OCPPFrame.decode(Array(text.utf8))
        return nil
    } catch {
        return error
    }
}

@Suite struct OCPPFrameTests {
    @Test("OCPP-J CALL, CALLRESULT and CALLERROR decode and re-encode byte for byte")
    func roundTrip() throws {
        for text in [
            #"[2,"19223201","BootNotification",{"reason":"PowerUp"}]"#,
            #"[3,"19223201",{"status":"Accepted"}]"#,
            #"[4,"19223201","NotImplemented","unknown action",{}]"#,
        ] {
            let frame = try OCPPFrame.decode(Array(text.utf8))
            #expect(String(decoding: frame.encoded(), as: UTF8.self) == text)
        }
    }

    @Test("Non-JSON text is RpcFrameworkError with message id -1 (2.0.1 Part 4 §4.2.3)")
    func notJSON() throws {
        let error = try #require(frameError("[2, \"1\", \"Heartbeat\", {"))
        #expect(error.code == .malformedJSON)
        let reply = OCPPFrame.callError(for: error, version: .v201)
        guard case .callError(let id, let code, _, _) = reply else { Issue.record("not a CALLERROR"); return }
        #expect(id == "-1")
        #expect(code == "RpcFrameworkError")
    }

    @Test("Frame shape errors keep the message id when it is readable")
    func shapes() throws {
        #expect(frameError(#"{"a":1}"#)?.code == .malformedFrame)
        #expect(frameError(#"[2]"#)?.code == .malformedFrame)
        #expect(frameError(#"[2,1,"Heartbeat",{}]"#)?.code == .malformedFrame)
        #expect(frameError(#"[2,"\#(String(repeating: "x", count: 37))","Heartbeat",{}]"#)?.code == .malformedFrame)
        let notObject = try #require(frameError(#"[2,"42","Heartbeat",[]]"#))
        #expect(notObject.code == .formatViolation)
        #expect(notObject.messageID == "42")
        let unknownType = try #require(frameError(#"[7,"43","Heartbeat",{}]"#))
        #expect(unknownType.code == .unsupportedMessageType)
        #expect(unknownType.messageID == "43")
        #expect(unknownType.rpcErrorCode.wireName(for: .v201) == "MessageTypeNotSupported")
    }

    @Test("JSON parser: escapes, surrogate pairs, duplicates, depth, trailing data, control characters")
    func parser() throws {
        #expect(try JSONValue.parse(#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#) == .string("a\"\\/\u{8}\u{c}\n\r\té😀"))
        #expect(try JSONValue.parse("-0.5e2") == .double(-50))
        #expect(try JSONValue.parse("9223372036854775807") == .integer(.max))
        #expect(try JSONValue.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
        for bad in [#"{"a":1,"a":2}"#, "[1,]", "01", "1.", "-", "tru", #""\ud800""#, "\"a\u{1}\"", "[1] x", "1e999", "",
                    String(repeating: "[", count: 100) + String(repeating: "]", count: 100)] {
            #expect(throws: OCPPMessagesError.self, "\(bad)") { try JSONValue.parse(bad) }
        }
        #expect(throws: OCPPMessagesError.self) { try JSONValue.parse([0x22, 0xC3, 0x28, 0x22]) }  // invalid UTF-8
        let text = #"{"s":"a\"b\n","n":[1,-2.5,true,false,null]}"#
        #expect(try JSONValue.parse(text).serializedString == text)
    }

    @Test("CALLERROR descriptions are cut to 255 characters")
    func descriptionLimit() {
        let frame = OCPPFrame.callError(messageID: "1", code: "GenericError", description: String(repeating: "x", count: 400), details: .object([]))
        #expect(frame.encoded().count == #"[4,"1","GenericError","",{}]"#.utf8.count + 255)
    }
}
