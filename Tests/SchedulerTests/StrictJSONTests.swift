import Foundation
import Testing

@testable import Scheduler

/// The strict JSON reader of request bodies: what Foundation's writer produces is read back exactly, and
/// what RFC 8259 forbids (or a lenient YAML reader would have accepted) is refused with its place.
@Suite struct StrictJSONTests {
    /// The text of a value as read, to compare with what was written.
    func plain(_ v: ConfigValue) -> Any {
        switch v.shape {
        case let .scalar(text, .text): return text
        case let .scalar(text, .number): return Double(text)!
        case let .scalar(text, .bool): return text == "true"
        case .scalar: return NSNull()
        case let .sequence(items): return items.map(plain)
        case let .mapping(entries): return Dictionary(uniqueKeysWithValues: entries.map { ($0.key, plain($0.value)) })
        }
    }

    /// A random JSON value of text (every plane of Unicode, controls included), numbers, flags, nulls, lists and
    /// objects.
    func randomValue(_ rng: inout SeededRandom, depth: Int) -> Any {
        switch rng.next() % (depth > 3 ? 4 : 6) {
        case 0:
            var s = ""
            for _ in 0..<(rng.next() % 12) {
                let pick = rng.next() % 4
                let value: UInt64 =
                    pick == 0 ? rng.next() % 0x20 : pick == 1 ? 0x1F600 + rng.next() % 0x50 : 0x20 + rng.next() % 0x3000
                if let scalar = Unicode.Scalar(UInt32(value)) { s.unicodeScalars.append(scalar) }
            }
            return s
        case 1: return Double(Int64(bitPattern: rng.next()) % 1_000_000) / 8
        case 2: return rng.next() % 2 == 0
        case 3: return NSNull()
        case 4: return (0..<(rng.next() % 4)).map { _ in randomValue(&rng, depth: depth + 1) }
        default:
            var d: [String: Any] = [:]
            for i in 0..<(rng.next() % 4) { d["k\(i)\u{1F680}\u{7}"] = randomValue(&rng, depth: depth + 1) }
            return d
        }
    }

    @Test func readsBackWhatFoundationWrites() throws {
        var rng = SeededRandom(seed: 28)
        for _ in 0..<300 {
            let value = ["v": randomValue(&rng, depth: 0)]
            let data = try JSONSerialization.data(withJSONObject: value)
            let read = try StrictJSON.parse(Array(data))
            let again = try JSONSerialization.data(withJSONObject: plain(read), options: .sortedKeys)
            #expect(again == (try JSONSerialization.data(withJSONObject: value, options: .sortedKeys)))
        }
    }

    @Test(arguments: [
        (#"{"a": "\ud83d\ude80"}"#, "🚀"),
        (#"{"a": "\u00e9\n\t\"\\\/"}"#, "é\n\t\"\\/"),
        (#"{"a": "\u0000"}"#, "\u{0}"),
    ])
    func decodesEscapes(text: String, expected: String) throws {
        let root = try ConfigNode.parseJSONObject(text)
        #expect(try root.required("a").string() == expected)
    }

    @Test(arguments: [
        ("", "the request body is empty; expected a JSON object"),
        ("[1]", "line 1: expected a JSON object"),
        (#"{"a": 1,}"#, "line 1: malformed JSON at column 9: expected a field name in double quotes"),
        (#"{a: 1}"#, "line 1: malformed JSON at column 2: expected a field name in double quotes"),
        (#"{"a": 01}"#, "line 1: malformed JSON at column 8: a number must not have leading zeros"),
        (#"{"a": 1.}"#, "line 1: malformed JSON at column 9: a decimal point needs digits after it"),
        (
            #"{"a": tru}"#,
            "line 1: malformed JSON at column 7: expected a value (an object, list, string, number, true, false or null)"
        ),
        (
            "{\"a\": \"x\ny\"}",
            "line 1: malformed JSON at column 9: a control character inside a string must be escaped (\\n, \\t, \\u0000)"
        ),
        (
            #"{"a": "\ud83d"}"#,
            "line 1: malformed JSON at column 14: a high surrogate (\\ud83d) must be followed by a low one"
        ),
        (#"{"a": "\q"}"#, "line 1: malformed JSON at column 9: '\\q' is not a JSON escape"),
        (#"{"a": 1} x"#, "line 1: malformed JSON at column 10: unexpected text after the JSON value"),
        ("{\n\"a\": 1,\n\"a\": 2}", "line 3: malformed JSON at column 1: the field 'a' is given twice"),
    ])
    func refusesWithThePlace(text: String, message: String) {
        #expect(throws: ConfigError.self) { try ConfigNode.parseJSONObject(text) }
        do {
            _ = try ConfigNode.parseJSONObject(text)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func nestingIsBoundedWhateverTheDepth() {
        let deep = String(repeating: #"{"a": "#, count: 200_000)
        do {
            _ = try ConfigNode.parseJSONObject(deep)
            Issue.record("a body nested 200,000 deep was accepted")
        } catch {
            #expect(error.message.hasSuffix("nested deeper than 32 levels"))
        }
    }

    @Test func textNamingThingsRefusesControlsAndDirectionOverrides() {
        #expect(TerminalText.labelProblem("train-7 🚀", maxLength: 64) == nil)
        #expect(TerminalText.labelProblem("a\u{1B}[2J", maxLength: 64)?.contains("\\u{1B} at position 2") == true)
        #expect(TerminalText.labelProblem("a\u{2067}b", maxLength: 64)?.contains("\\u{2067} at position 2") == true)
        #expect(
            TerminalText.labelProblem(String(repeating: "x", count: 65), maxLength: 64)
                == "must be at most 64 characters, not 65")
        #expect(TerminalText.escaped("x\u{1B}[31m\nFAKE\u{9B}") == "x\\u{1B}[31m\\nFAKE\\u{9B}")
        #expect(TerminalText.escaped("plain ünïcode") == "plain ünïcode")
    }

    @Test func hostListsAreCountedBeforeTheyAreExpanded() {
        #expect(RangeList.expandHosts("dgx[01-03],gpu7") == ["dgx01", "dgx02", "dgx03", "gpu7"])
        #expect(RangeList.expandHosts("dgx[000000001-999999999]") == nil)
        #expect(RangeList.expandHosts("dgx[0-9223372036854775807]") == nil)
        #expect(RangeList.expandHosts("dgx[1-4]", limit: 3) == nil)
        #expect(RangeList.expandHosts("dgx[1-3]", limit: 3)?.count == 3)
        #expect(RangeList.expandIntegers("0-99999999999") == nil)
        #expect(IntegerRange(first: Int.min, last: Int.max).count > 0)
    }

    @Test func timeTextPastTheBoundSaysSo() {
        #expect(TimeSpan.isTooLong("999999999999999d"))
        #expect(TimeSpan.isTooLong("9223372036854775807"))
        #expect(!TimeSpan.isTooLong("4h"))
        #expect(!TimeSpan.isTooLong("four hours"))
    }
}

/// The simulator's trace readers bound every time and count as the API's readers do (issue 28): a trace
/// is someone's file, and no value in it may trap the simulator.
@Suite struct TraceBoundsTests {
    func simulateRefusal(_ csv: String) -> String? {
        do {
            _ = try TraceCSV.parse(csv, file: "trace.csv")
            return nil
        } catch {
            return error.description
        }
    }

    @Test func timesPastACenturyAreRefusedWithTheBound() {
        #expect(
            simulateRefusal("id,submit,duration,gpus\nX,9223372036854775807,10,8\n")
                == "trace.csv:2: submit: at most 100 years (3153600000 s), not 9223372036854775807")
        #expect(
            simulateRefusal("id,submit,duration,gpus\nX,0,999999999999999d,8\n")
                == "trace.csv:2: duration: at most 100 years (3153600000 s), not '999999999999999d'")
        #expect(simulateRefusal("id,submit,duration,gpus\nX,0,3000,8\n") == nil)
    }

    @Test func aJobsHoldIsAtMostAnHour() {
        #expect(
            simulateRefusal("id,submit,duration,gpus,hold\nX,0,10,8,3601\n")
                == "trace.csv:2: hold: at most an hour (3600 s), not 3601")
        #expect(
            simulateRefusal("id,submit,duration,gpus,hold\nX,0,10,8,-1\n")
                == "trace.csv:2: hold: must not be negative ('-1')")
        #expect(simulateRefusal("id,submit,duration,gpus,hold\nX,0,10,8,0.055\nY,0,10,8,\n") == nil)
    }

    @Test func aPhillyTimestampOfAnyYearIsReadOrRefusedWithoutOverflow() {
        #expect(PhillyTrace.epochSeconds("9223372036854775807-01-01 00:00:00") == nil)
        #expect(PhillyTrace.epochSeconds("2017-10-09 07:01:55") == 1_507_532_515)
    }
}
