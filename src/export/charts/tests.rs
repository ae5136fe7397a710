//! The charts drawn and read back: well-formed accessible SVG, every value written in words.

use super::*;

fn text(title: &str) -> ChartText {
    ChartText {
        id: "c1".into(),
        title: title.into(),
        desc: "Mô tả <b>".into(),
        low_reliability: "độ tin cậy thấp".into(),
        suppressed: "không công bố".into(),
        no_data: "chưa có dữ liệu".into(),
        decimal_comma: true,
    }
}

/// The SVG is one well-formed element: balanced tags, no raw `<` or `&` in text.
fn well_formed(svg: &str) {
    assert!(svg.starts_with("<svg class=\"chart\""), "{svg}");
    assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
    let opened = svg.matches("<text").count();
    assert_eq!(opened, svg.matches("</text>").count());
    for (i, _) in svg.match_indices('&') {
        let rest = &svg[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#39;"]
                .iter()
                .any(|e| rest.starts_with(e)),
            "raw & at {i}: {}",
            &rest[..rest.len().min(20)]
        );
    }
    assert!(!svg.contains("<script"), "{svg}");
    let opening = &svg[..svg.find('>').unwrap()];
    assert!(!opening.contains("width="), "no fixed size: {opening}");
}

#[test]
fn numbers_round_half_up_with_a_decimal_comma_in_vietnamese() {
    assert_eq!(number(84.125, 2, true), "84,13");
    assert_eq!(number(84.125, 2, false), "84.13");
    assert_eq!(number(84.04, 1, false), "84.0");
    assert_eq!(number(99.95, 1, false), "100.0");
    assert_eq!(number(-0.25, 1, false), "-0.3");
    assert_eq!(number(-0.01, 1, false), "0.0");
    assert_eq!(number(50.0, 0, true), "50");
}

#[test]
fn bars_keep_vietnamese_words_escape_text_and_write_every_value() {
    let svg = bars(
        &text("Chỉ số hài lòng & các yếu tố <2025>"),
        &[
            Bar {
                label: "Chỉ số hài lòng về sự phục vụ hành chính".into(),
                value: Some(84.125),
                ci: Some((80.0, 88.25)),
                mark: Mark::Ok,
                emphasis: true,
            },
            Bar {
                label: "Tiếp cận dịch vụ \"A\" <script>alert(1)</script>".into(),
                value: Some(70.0),
                ci: Some((55.0, 85.0)),
                mark: Mark::LowReliability,
                emphasis: false,
            },
            Bar {
                label: "Thủ tục hành chính".into(),
                value: None,
                ci: None,
                mark: Mark::Suppressed,
                emphasis: false,
            },
        ],
    )
    .unwrap();
    well_formed(&svg);
    // Diacritics survive as UTF-8 text (NFC as given), in the chart and its title.
    assert!(
        svg.contains(">\nChỉ số hài lòng về sự phục vụ hành chính\n</text>"),
        "{svg}"
    );
    assert!(svg.contains("Thủ tục hành chính"));
    assert!(
        svg.contains(
            "<title id=\"c1-title\">Chỉ số hài lòng &amp; các yếu tố &lt;2025&gt;</title>"
        )
    );
    assert!(svg.contains("<desc id=\"c1-desc\">Mô tả &lt;b&gt;</desc>"));
    assert!(svg.contains("role=\"img\" aria-labelledby=\"c1-title c1-desc\""));
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(svg.contains("&quot;A&quot;"));
    // Every value in words: numbers, the low-reliability word, the suppression word.
    assert!(svg.contains("84,1 [80,0–88,3]"), "{svg}");
    assert!(svg.contains("70,0 (độ tin cậy thấp) [55,0–85,0]"), "{svg}");
    assert!(svg.contains(">\nkhông công bố\n</text>"), "{svg}");
}

#[test]
fn a_distribution_numbers_its_levels() {
    let counts: Vec<(String, u64)> = [5u64, 5, 10, 40, 40]
        .iter()
        .enumerate()
        .map(|(i, c)| ((i + 1).to_string(), *c))
        .collect();
    let svg = distribution(&text("Phân bố"), &counts).unwrap();
    well_formed(&svg);
    assert!(svg.contains(">\n4: 40%\n</text>"), "{svg}");
    assert!(svg.contains(">\n5: 40%\n</text>"), "{svg}");
    assert!(
        svg.contains(">\n1\n</text>"),
        "narrow segments keep their level: {svg}"
    );
    assert_eq!(svg.matches("<rect").count(), 1 + 5, "background + 5 levels");
    let empty = distribution(&text("x"), &[("1".into(), 0)]).unwrap();
    assert!(empty.contains("chưa có dữ liệu"));
}

#[test]
fn lines_draw_a_panel_per_series_with_bands_and_labelled_points() {
    let steps: Vec<String> = ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let pt = |v: f64| {
        Some(Point {
            value: v,
            ci: Some((v - 5.0, v + 5.0)),
            mark: Mark::Ok,
        })
    };
    let series = vec![
        Series {
            label: "Chỉ số SIPAS".into(),
            points: vec![pt(80.0), pt(82.5), None, pt(85.0)],
        },
        Series {
            label: "Công chức".into(),
            points: vec![None, None, None, None],
        },
    ];
    let svg = lines(&text("Xu hướng"), &steps, &series).unwrap();
    well_formed(&svg);
    assert!(svg.contains(">\nChỉ số SIPAS\n</text>"));
    assert!(svg.contains(">\n82,5\n</text>"), "{svg}");
    assert!(svg.contains(">\n2025-Q3\n</text>"));
    // One band for the run of two points; the lone point gets a bar.
    assert_eq!(svg.matches("<polygon").count(), 1, "{svg}");
    assert!(svg.contains("chưa có dữ liệu"));
}

#[test]
fn a_caterpillar_writes_ranks_and_values() {
    let rows = vec![
        Ranked {
            label: "SO-TP".into(),
            value: 91.0,
            ci: Some((88.0, 94.0)),
            rank: 1,
            rank_low: 1,
            rank_high: 2,
        },
        Ranked {
            label: "SO-YT".into(),
            value: 72.25,
            ci: Some((65.0, 79.5)),
            rank: 2,
            rank_low: 1,
            rank_high: 2,
        },
    ];
    let svg = caterpillar(&text("Xếp hạng"), &rows).unwrap();
    well_formed(&svg);
    assert!(svg.contains(">\n1 (1–2). SO-TP\n</text>"), "{svg}");
    assert!(svg.contains(">\n72,3\n</text>"), "{svg}");
}
