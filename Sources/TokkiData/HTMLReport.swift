/// The pieces of Tokki's self-contained HTML reports (`tokki compare`, `tokki profile`): one
/// style sheet, horizontal SVG bar charts, and a script that marks on `<body>` how many bars
/// were laid out with a width (`data-bars-drawn`), so that a headless browser can check that
/// the charts render. No network is needed to view a page.
enum HTMLReport {
    /// Colours of bars, in order.
    static let palette = ["#2f6fb0", "#d9822b", "#3a9a5b", "#b03a48", "#7a5bb0", "#6b7b8c", "#c0a020", "#2aa5a5"]

    /// Escapes text for HTML.
    static func escape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// The page's start: title, style and the opening of `<body>`.
    static func head(title: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="ko"><head><meta charset="utf-8"><title>\(escape(title))</title>
        <style>
        body{font-family:system-ui,"Noto Sans CJK KR",sans-serif;margin:24px;color:#222;max-width:1100px}
        h1{font-size:22px} h2{font-size:17px;margin-top:28px}
        .charts{display:flex;flex-wrap:wrap;gap:18px}
        .chart{border:1px solid #ddd;border-radius:6px;padding:8px 10px;background:#fafafa}
        .chart h3{font-size:13px;margin:0 0 4px 0;font-weight:600}
        table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ddd;padding:4px 8px;text-align:right;vertical-align:top}
        td:first-child,th:first-child{text-align:left} .pieces{font-family:monospace;text-align:left}
        td.text{text-align:left;white-space:pre-wrap;max-width:700px}
        .legend span{display:inline-block;margin-right:14px;font-size:13px} .legend i{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px}
        </style></head>
        <body data-bars-drawn="0">
        <h1>\(escape(title))</h1>

        """
    }

    /// The page's end: the bar-counting script and the closing tags.
    static let tail = """
        <script>
        window.addEventListener("load", function () {
          var drawn = 0;
          document.querySelectorAll("rect.bar").forEach(function (r) { if (r.getBBox().width > 0 && r.getBoundingClientRect().height > 0) drawn++; });
          document.body.setAttribute("data-bars-drawn", String(drawn));
        });
        </script>
        </body></html>

        """

    /// A titled horizontal bar chart: one bar per value (a value of 0 draws no bar), its label
    /// on the left and its text on the right.
    static func barChart(_ title: String, labels: [String], values: [Double], texts: [String], colours: [String],
                         labelWidth: Int = 150, width: Int = 300, barHeight: Int = 20) -> String {
        let maxValue = max(values.max() ?? 0, 1e-12)
        var h = "<div class=\"chart\"><h3>\(escape(title))</h3>"
        h += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(labelWidth + width + 70)\" height=\"\(values.count * (barHeight + 5) + 5)\" role=\"img\" aria-label=\"\(escape(title))\">"
        for (k, v) in values.enumerated() {
            let y = 5 + k * (barHeight + 5)
            let w = v > 0 ? max(1, Int((v / maxValue) * Double(width))) : 0
            let colour = colours[k % colours.count]
            h += "<text x=\"\(labelWidth - 6)\" y=\"\(y + barHeight * 3 / 4)\" text-anchor=\"end\" font-size=\"12\">\(escape(labels[k]))</text>"
            h += "<rect class=\"bar\" x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(w)\" height=\"\(barHeight)\" fill=\"\(colour)\"><title>\(escape(texts[k]))</title></rect>"
            h += "<text x=\"\(labelWidth + w + 5)\" y=\"\(y + barHeight * 3 / 4)\" font-size=\"12\">\(escape(texts[k]))</text>"
        }
        return h + "</svg></div>\n"
    }
}
