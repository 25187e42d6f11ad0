import Foundation
import Testing
import TokkiTestSupport
@testable import Tokki

/// Published chat templates rendered against transformers' own output
/// (scripts/fixtures/make_chat_template_fixtures.py), plus unit tests of the engine.
struct ChatTemplateTests {
    static let templates: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.url("templates").path)) ?? []
        return names.filter { $0.hasSuffix(".jinja") }.map { String($0.dropLast(6)) }.sorted()
    }()

    /// The current local time from the C library equals Foundation's calendar reading of it
    /// (taken just before and just after, so that a minute boundary in between is allowed).
    @Test func nowIsTheLocalTime() {
        func fields(_ d: Date) -> [Int] {
            let c = Calendar.current.dateComponents([.year, .month, .day, .hour, .minute], from: d)
            return [c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0]
        }
        let before = fields(Date())
        let now = ChatTemplate.Clock.now
        let after = fields(Date())
        let mine = [now.year, now.month, now.day, now.hour, now.minute]
        #expect(mine == before || mine == after, "\(mine) vs \(before) / \(after)")
        #expect((0...59).contains(now.second))
        #expect(now.weekday == (Calendar.current.component(.weekday, from: Date()) + 5) % 7 || mine != after)
    }

    @Test func enoughPublishedTemplates() throws {
        // Distinct sources: two models publishing the same template count once.
        let sources = try Set(Self.templates.map { try Data(contentsOf: Fixtures.url("templates/\($0).jinja")) })
        #expect(sources.count >= 15)
    }

    @Test(arguments: templates)
    func rendersLikeTransformers(_ name: String) throws {
        let source = try String(contentsOf: Fixtures.url("templates/\(name).jinja"), encoding: .utf8)
        let expected = try TemplateValue.parseJSON([UInt8](Fixtures.data("templates/\(name).expected.json")))
        guard case .object(let root) = expected, case .array(let cases)? = root["cases"],
              case .object(let tokenObject)? = root["special_tokens"], case .array(let clockParts)? = root["clock"]
        else { Issue.record("malformed fixture"); return }
        var tokens: [String: String] = [:]
        for (k, v) in tokenObject.members { if case .string(let s) = v { tokens[k] = s } }
        let c = clockParts.map { if case .int(let i) = $0 { i } else { 0 } }
        let clock = ChatTemplate.Clock(year: c[0], month: c[1], day: c[2], hour: c[3], minute: c[4], second: c[5])
        let template = try ChatTemplate(source)
        #expect(!cases.isEmpty)
        for case .object(let tc) in cases {
            guard case .string(let caseName)? = tc["name"], case .array(let messages)? = tc["messages"],
                  case .bool(let agp)? = tc["add_generation_prompt"], case .object(let extra)? = tc["extra"]
            else { Issue.record("malformed case"); continue }
            var tools: [TemplateValue]? = nil
            if case .array(let t)? = tc["tools"] { tools = t }
            let result = Result { () throws(ChatTemplateError) in
                try template.render(messages: messages, tools: tools, addGenerationPrompt: agp, specialTokens: tokens, extra: extra, clock: clock)
            }
            switch (tc["text"], result) {
            case (.string(let text)?, .success(let r)):
                #expect(r.text == text, "\(name) / \(caseName)")
                if case .array(let spans)? = tc["generation_spans"] {
                    let want = spans.map { s -> Range<Int> in
                        guard case .array(let p) = s, case .int(let a) = p[0], case .int(let b) = p[1] else { return 0..<0 }
                        return a..<b
                    }
                    #expect(r.generationSpans == want, "\(name) / \(caseName) spans")
                    let bytes = Array(r.text.utf8)
                    for (chars, byteRange) in zip(r.generationSpans, r.generationByteSpans) {
                        let scalars = Array(r.text.unicodeScalars)[chars]
                        #expect(Array(String(String.UnicodeScalarView(scalars)).utf8) == Array(bytes[byteRange]))
                    }
                }
            case (.string, .failure(let e)):
                Issue.record("\(name) / \(caseName): expected text, got \(e)")
            case (nil, .success(let r)):
                Issue.record("\(name) / \(caseName): expected an error \(String(describing: tc["error"])), got \(r.text.debugDescription)")
            case (nil, .failure(let e)):
                if case .object(let err)? = tc["error"], case .string(let type)? = err["type"], case .string(let message)? = err["message"],
                   type == "TemplateError" {
                    #expect(e == .raised(message), "\(name) / \(caseName)")
                }
            default:
                Issue.record("malformed case \(caseName)")
            }
        }
    }

    static func render(_ source: String, _ messages: [TemplateValue] = [], extra: TemplateObject = [:], limits: ChatTemplate.Limits = .init()) throws(ChatTemplateError) -> String {
        try ChatTemplate(source).render(messages: messages, extra: extra, clock: .init(year: 2024, month: 7, day: 26), limits: limits).text
    }

    @Test(arguments: [
        // trim_blocks, lstrip_blocks and `-` / `+` whitespace control, as jinja2 renders them.
        ("{% if true %}\nyes\n{% endif %}\nend", "yes\nend"),
        ("  {% if true %}x{% endif %}  y", "x  y"),
        ("a  {%- if true %} b {% endif -%}  c", "a b c"),
        ("line\n    {% if true %}\n    in\n    {% endif %}\n", "line\n    in\n"),
        ("  {%+ if true %}x{% endif %}", "  x"),
        ("{% if true +%}\nx{% endif %}", "\nx"),
        ("a {# c #}\nb\n  {# d #}\nc", "a b\nc"),
        ("x\r\ny\n", "x\ny"),
        // Loops.
        ("{% for x in [1, 2, 3] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}",
         "103TrueFalse3;212FalseFalse3;321FalseTrue3;"),
        ("{% for x in [1, 2, 3, 4] if x is even %}{{ x }}{{ loop.length }}{% endfor %}", "2242"),
        ("{% for x in [] %}a{% else %}empty{% endfor %}", "empty"),
        ("{% for x in [1, 2, 3] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}", "1"),
        ("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }} {% endfor %}", "a=1 b=2 "),
        ("{% for x in 'ab' %}{{ loop.previtem is defined }}{{ loop.nextitem }}{{ loop.cycle('o', 'e') }}{% endfor %}", "FalseboTruee"),
        ("{% set x = 1 %}{% for i in [1, 2] %}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}", "221"),
        // Chains of + and ~ written straight to the output (the values and errors of folding them).
        ("{{ 'a' + 'b' + 'c' }}|{{ 'x' ~ 1 ~ none ~ 'y' }}|{{ 'a' + 'b' ~ 1 }}|{{ [1] + [2] + [3] }}|{{ 1 + 2 + 3 }}|{{ missing ~ 'z' }}",
         "abc|x1Noney|ab1|[1, 2, 3]|6|z"),
        // Chains are flattened left-deep only: other operators and parentheses keep their operands.
        // (Outputs checked with jinja2: `~` binds tighter than `+`.)
        ("{{ 1 ~ 2 + 3 ~ 4 }}|{{ 'x' ~ 1 + 'y' }}|{{ 'a' + ('b' + 'c') + 'd' }}|{{ ('a' ~ 1) + 'b' }}|{{ 'a' + 'b' if false else 'e' }}|{{ 'a' ~ 'b' + 'c' ~ 'd' }}",
         "1234|x1y|abcd|a1b|e|abcd"),
        // str comparison is by code point: UTF-8 byte order; no canonical equivalence.
        ("{{ ['가', 'b', 'A', '🦀', 'é', 'ab', 'a'] | sort }} {{ '국' in '한국어' }}{{ '' in 'a' }}{{ '어x' in '한국어' }}{{ 'e\u{0301}' == 'é' }}{{ 'é' == 'é' }}{{ '가' < '나' }}{{ 'z' > '가' }}{{ 'ab' < 'a' }}",
         "['A', 'a', 'ab', 'b', 'é', '가', '🦀'] TrueTrueFalseFalseTrueTrueFalseFalse"),
        // A name set in one iteration is gone in the next (each iteration has its own scope).
        ("{% for i in [1, 2, 3] %}{% if i == 1 %}{% set x = 'one' %}{% endif %}{{ x is defined }}{% endfor %}", "TrueFalseFalse"),
        // Namespaces, block set, macros, filters.
        ("{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", "6"),
        ("{% set s %}A{{ 1 + 1 }}{% endset %}{{ s | lower }}", "a2"),
        ("{% macro m(a, b='d') %}[{{ a }}{{ b }}]{% endmacro %}{{ m(1) }}{{ m(2, b=3) }}", "[1d][23]"),
        ("{% filter upper %}hi {{ 'x' }}{% endfilter %}", "HI X"),
        // Python values and slicing.
        ("{{ [1, 'a', none, true, 1.0, (1,), {'k': \"it's\"}] }}", "[1, 'a', None, True, 1.0, (1,), {'k': \"it's\"}]"),
        ("{{ 1e15 }} {{ 1e16 }} {{ 0.1 + 0.2 }} {{ 10 / 4 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 1e-5 }}",
         "1000000000000000.0 1e+16 0.30000000000000004 2.5 -4 2 1024 1e-05"),
        ("{{ 'abcdef'[::-1] }} {{ [1, 2, 3, 4][-1:0:-2] }} {{ '한국어텍스트'[1:4] }} {{ '한국'|length }}", "fedcba [4, 2] 국어텍 2"),
        ("{{ '  a b  '.strip() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a b  c'.split(None, 1) }}|{{ 'xxhixx'.strip('x') }}", "a b|['a', 'b', '', 'c']|['a', 'b  c']|hi"),
        ("{{ 'Hello'.startswith(('x', 'He')) }} {{ 'hello world'.title() }} {{ 'ab'|upper }} {{ 'a-b c'|title }}", "True Hello World AB A-B C"),
        // tojson as transformers defines it.
        ("{{ {'a': \"q\\\"b\\\\n\\n\\u0001\", 'k': [1, 2.5, none, true], '한': '🦀'} | tojson }}",
         "{\"a\": \"q\\\"b\\\\n\\n\\u0001\", \"k\": [1, 2.5, null, true], \"한\": \"🦀\"}"),
        ("{{ {'b': 1, 'a': [1]} | tojson(indent=2, sort_keys=true) }}", "{\n  \"a\": [\n    1\n  ],\n  \"b\": 1\n}"),
        // Undefined.
        ("{{ missing }}|{% for x in missing %}x{% endfor %}|{{ missing is defined }}|{{ missing | default('d') }}|{{ missing == none }}", "||False|d|False"),
        ("{{ {'a': 1}.b is defined }} {{ [1][5] is defined }} {{ (none if false) is defined }}", "False False False"),
        // Tests and filters.
        ("{{ 3 is odd }}{{ 4 is divisibleby 2 }}{{ 'a' is in 'abc' }}{{ true is number }}{{ 1 is boolean }}{{ {} is mapping }}{{ 'x' is not string }}", "TrueTrueTrueTrueFalseTrueFalse"),
        ("{{ [{'n': 'b'}, {'n': 'a'}] | sort(attribute='n') | map(attribute='n') | join(',') }} {{ [3, 1, 3] | unique | list }}", "a,b [3, 1]"),
        ("{{ [{'r': 'x', 'v': 1}, {'r': 'y'}] | selectattr('r', 'equalto', 'y') | list | length }} {{ [0, 1, 2] | select | list }}", "1 [1, 2]"),
        ("{{ 'a\nb\n\nc' | indent(2) }}|{{ 'one two  three' | wordcount }}", "a\n  b\n\n  c|3"),
        ("{{ strftime_now('%d %b %Y %A') }}", "26 Jul 2024 Friday"),
    ])
    func engine(_ source: String, _ expected: String) throws {
        #expect(try Self.render(source) == expected)
    }

    @Test func errors() {
        // A chain folds left to right: the strings before a number, then the number.
        #expect(throws: ChatTemplateError.type("can only concatenate str (not \"int\") to str")) { try Self.render("{{ 'a' + 'b' + 1 + 'c' }}") }
        #expect(throws: ChatTemplateError.raised("no")) { try Self.render("{{ raise_exception('no') }}") }
        #expect(throws: ChatTemplateError.undefined("'x' is undefined")) { try Self.render("{{ x.y }}") }
        #expect(throws: ChatTemplateError.undefined("'dict object' has no attribute 'b'")) { try Self.render("{{ {'a': 1}.b.c }}") }
        #expect(throws: ChatTemplateError.type("can only concatenate str (not \"int\") to str")) { try Self.render("{{ 'a' + 1 }}") }
        // In a chain, the first failing step fails, before later operands are evaluated.
        #expect(throws: ChatTemplateError.type("can only concatenate str (not \"int\") to str")) { try Self.render("{{ 'a' + 'b' + 1 }}") }
        #expect(throws: ChatTemplateError.type("unsupported operand type(s) for +: 'int' and 'str'")) { try Self.render("{{ 1 + 'a' + missing.attr }}") }
        #expect(throws: ChatTemplateError.undefined("'missing' is undefined")) { try Self.render("{{ 'a' + missing + 'b' }}") }
        #expect(throws: ChatTemplateError.undefined("'missing' is undefined")) { try Self.render("{{ missing + 'a' }}") }
        do {
            _ = try ChatTemplate("line one\n{% if x %}\n{{ 1 + }}\n{% endif %}")
            Issue.record("expected a syntax error")
        } catch {
            guard case .syntax(let line, _, _) = error else { Issue.record("\(error)"); return }
            #expect(line == 3)
        }
        #expect(throws: ChatTemplateError.self) { try ChatTemplate("{% for x in y %}") }
        #expect(throws: ChatTemplateError.self) { try ChatTemplate("{{ 'unterminated }}") }
    }

    @Test func limits() {
        let small = ChatTemplate.Limits(maxOutputBytes: 10_000, maxSteps: 100_000, maxCallDepth: 20)
        #expect(throws: ChatTemplateError.self) { try Self.render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", limits: small) }
        #expect(throws: ChatTemplateError.self) { try Self.render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", limits: small) }
        #expect(throws: ChatTemplateError.self) { try Self.render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}") }
        #expect(throws: ChatTemplateError.self) { try Self.render("{{ 'x' * 100000 }}", limits: small) }
        #expect(throws: ChatTemplateError.limit("string exceeds 10000 bytes")) { try Self.render("{% set x = 'x' * 6000 %}{{ x + x }}", limits: small) }
        #expect(throws: ChatTemplateError.limit("string exceeds 10000 bytes")) { try Self.render("{% set x = 'x' * 6000 %}{{ 'a' ~ x ~ x }}", limits: small) }
        #expect(throws: ChatTemplateError.self) { try Self.render("{{ range(1000000) | length }}") }
        #expect(throws: ChatTemplateError.self) { try ChatTemplate(String(repeating: "{% if true %}", count: 500)) }
        #expect(throws: ChatTemplateError.self) { try ChatTemplate("{{ " + String(repeating: "(", count: 500) + "1" + String(repeating: ")", count: 500) + " }}") }
        #expect(throws: ChatTemplateError.security("access to attribute 'append' of 'list' object is unsafe.")) { try Self.render("{{ [].append(1) }}") }
    }

    @Test func generationSpans() throws {
        let t = try ChatTemplate("{% for m in messages %}<{{ m.role }}>{% if m.role == 'assistant' %}{% generation %}{{ m.content }}</s>{% endgeneration %}{% else %}{{ m.content }}{% endif %}{% endfor %}")
        let r = try t.render(messages: [["role": "user", "content": "안녕"], ["role": "assistant", "content": "네 🦀"]])
        #expect(r.text == "<user>안녕<assistant>네 🦀</s>")
        #expect(r.generationSpans == [19..<26])
        #expect(Array(Array(r.text.utf8)[r.generationByteSpans[0]]) == Array("네 🦀</s>".utf8))
    }

    /// A generation block inside a capture (`{% set %}` block, written later) keeps the scalar
    /// length it was recorded with; the character spans are counted on access, and a caller
    /// that edits the byte spans gets spans counted in the text, never a crash.
    @Test func generationSpansInsideCaptures() throws {
        let t = try ChatTemplate("{% for m in messages %}{% set block %}{% generation %}{{ m.content }}{% endgeneration %}{% endset %}[{{ block }}]{% endfor %}")
        var r = try t.render(messages: [["role": "user", "content": "가나"], ["role": "assistant", "content": "🦀é"]])
        #expect(r.text == "[가나][🦀é]")
        #expect(r.generationSpans.count == 2)
        #expect(r.generationSpans.map(\.count) == [2, 2])
        r.generationByteSpans.append(0..<4)   // "[가": 1 + 3 bytes, 2 scalars
        #expect(r.generationSpans.last == 0..<2)
    }
}
