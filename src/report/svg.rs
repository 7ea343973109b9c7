//! Small inline-SVG charts for the HTML report: a multi-series line chart and a bar chart.
//! No scripts, no external fonts; every label goes through `html::escape`. Hovering a point
//! or bar shows its value (an SVG `<title>`).

use super::escape::escape;
use std::fmt::Write;

/// Series colours (Tableau 10): distinct, and readable on white.
pub const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];

/// One line: a value per x position (None: no data for that run).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

#[derive(Debug, Clone)]
pub struct LineChart {
    pub title: String,
    /// Unit appended to values in tooltips and the y axis (`s`, ``).
    pub unit: String,
    pub x_labels: Vec<String>,
    pub series: Vec<Series>,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// Fill colour (a CSS colour literal chosen by the caller, never user text).
    pub colour: &'static str,
    /// Tooltip text.
    pub tooltip: String,
}

#[derive(Debug, Clone)]
pub struct BarChart {
    pub title: String,
    pub unit: String,
    pub bars: Vec<Bar>,
    pub width: u32,
    pub height: u32,
}

/// The top of a y axis with four ticks for data up to `v`: four times a round step (1, 1.5,
/// 2, 2.5, 3, 4, 5, 6, 8 x 10^k), whole steps for counts.
pub fn axis_max(v: f64, counts: bool) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return if counts { 4.0 } else { 1.0 };
    }
    let want = v / 4.0;
    let mag = 10f64.powf(want.log10().floor());
    let mut step = 10.0 * mag;
    for m in [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * mag >= want - 1e-9 {
            step = m * mag;
            break;
        }
    }
    if counts {
        step = step.ceil().max(1.0);
    }
    4.0 * step
}

/// A number for an axis or a tooltip: integers plain, small values with one decimal.
pub fn fmt_num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 || v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

const LEFT: f64 = 52.0;
const RIGHT: f64 = 14.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 30.0;
const LEGEND_ITEM_W: f64 = 190.0;
const LEGEND_ROW_H: f64 = 18.0;

fn open_svg(out: &mut String, w: f64, h: f64, title: &str, class: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="{}" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" role="img" font-family="system-ui, sans-serif" font-size="11"><title>{}</title>"#,
        escape(class),
        escape(title)
    );
}

fn y_axis(out: &mut String, w: f64, plot_h: f64, max: f64, unit: &str) {
    for i in 0..=4 {
        let v = max * i as f64 / 4.0;
        let y = TOP + plot_h - plot_h * i as f64 / 4.0;
        let _ = write!(
            out,
            r##"<line x1="{LEFT:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#d0d7de" stroke-width="1"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#57606a">{}</text>"##,
            w - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            escape(&format!("{}{unit}", fmt_num(v)))
        );
    }
}

/// A line chart with a legend under it. Height grows with the legend.
pub fn line_chart(c: &LineChart) -> String {
    let w = c.width as f64;
    let plot_h = c.height as f64 - TOP - BOTTOM;
    let per_row = (((w - LEFT) / LEGEND_ITEM_W).floor() as usize).max(1);
    let legend_rows = c.series.len().div_ceil(per_row);
    let h = c.height as f64 + legend_rows as f64 * LEGEND_ROW_H + 6.0;
    let plot_w = w - LEFT - RIGHT;
    let n = c.x_labels.len();
    let values = || c.series.iter().flat_map(|s| s.values.iter().flatten());
    let max = axis_max(
        values().fold(0.0f64, |a, &b| a.max(b)),
        values().all(|v| v.fract() == 0.0),
    );
    let x = |i: usize| {
        if n <= 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| TOP + plot_h - plot_h * (v / max).clamp(0.0, 1.0);
    let mut out = String::new();
    open_svg(&mut out, w, h, &c.title, "chart line-chart");
    let _ = write!(
        out,
        r##"<text x="{LEFT:.1}" y="16" font-size="13" font-weight="600" fill="#24292f">{}</text>"##,
        escape(&c.title)
    );
    y_axis(&mut out, w, plot_h, max, &c.unit);
    // X labels: at most ~10 shown so they never overlap.
    let step = n.div_ceil(10).max(1);
    for (i, l) in c.x_labels.iter().enumerate() {
        if i % step == 0 || i + 1 == n {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#57606a">{}</text>"##,
                x(i),
                TOP + plot_h + 18.0,
                escape(l)
            );
        }
    }
    if c.series.is_empty() || n == 0 {
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#57606a">no data</text>"##,
            LEFT + plot_w / 2.0,
            TOP + plot_h / 2.0
        );
    }
    for (si, s) in c.series.iter().enumerate() {
        let colour = PALETTE[si % PALETTE.len()];
        let _ = write!(
            out,
            r#"<g class="series"><title>{}</title>"#,
            escape(&s.name)
        );
        // Consecutive points with data form a segment.
        let mut seg: Vec<String> = Vec::new();
        let flush = |seg: &mut Vec<String>, out: &mut String| {
            if seg.len() > 1 {
                let _ = write!(
                    out,
                    r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
                    seg.join(" ")
                );
            }
            seg.clear();
        };
        for (i, v) in s.values.iter().enumerate().take(n) {
            match v {
                Some(v) => seg.push(format!("{:.1},{:.1}", x(i), y(*v))),
                None => flush(&mut seg, &mut out),
            }
        }
        flush(&mut seg, &mut out);
        for (i, v) in s.values.iter().enumerate().take(n) {
            if let Some(v) = v {
                let _ = write!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{colour}"><title>{}</title></circle>"#,
                    x(i),
                    y(*v),
                    escape(&format!(
                        "{} {}: {}{}",
                        s.name,
                        c.x_labels.get(i).map(String::as_str).unwrap_or(""),
                        fmt_num(*v),
                        c.unit
                    ))
                );
            }
        }
        out.push_str("</g>");
    }
    // Legend.
    for (si, s) in c.series.iter().enumerate() {
        let colour = PALETTE[si % PALETTE.len()];
        let lx = LEFT + (si % per_row) as f64 * LEGEND_ITEM_W;
        let ly = c.height as f64 + (si / per_row) as f64 * LEGEND_ROW_H;
        let name: String = if s.name.chars().count() > 28 {
            s.name.chars().take(27).chain(['\u{2026}']).collect()
        } else {
            s.name.clone()
        };
        let _ = write!(
            out,
            r##"<rect x="{lx:.1}" y="{:.1}" width="12" height="4" fill="{colour}"/><text x="{:.1}" y="{:.1}" fill="#24292f">{}</text>"##,
            ly - 4.0,
            lx + 16.0,
            ly,
            escape(&name)
        );
    }
    out.push_str("</svg>");
    out
}

/// A bar chart (one bar per label), values on hover.
pub fn bar_chart(c: &BarChart) -> String {
    let w = c.width as f64;
    let h = c.height as f64;
    let plot_h = h - TOP - BOTTOM;
    let plot_w = w - LEFT - RIGHT;
    let n = c.bars.len().max(1);
    let max = axis_max(
        c.bars.iter().map(|b| b.value).fold(0.0f64, f64::max),
        c.bars.iter().all(|b| b.value.fract() == 0.0),
    );
    let slot = plot_w / n as f64;
    let bw = (slot * 0.7).max(1.0);
    let mut out = String::new();
    open_svg(&mut out, w, h, &c.title, "chart bar-chart");
    let _ = write!(
        out,
        r##"<text x="{LEFT:.1}" y="16" font-size="12" font-weight="600" fill="#24292f">{}</text>"##,
        escape(&c.title)
    );
    y_axis(&mut out, w, plot_h, max, &c.unit);
    let step = n.div_ceil(10).max(1);
    for (i, b) in c.bars.iter().enumerate() {
        let bh = plot_h * (b.value / max).clamp(0.0, 1.0);
        let bx = LEFT + slot * i as f64 + (slot - bw) / 2.0;
        let _ = write!(
            out,
            r#"<rect x="{bx:.1}" y="{:.1}" width="{bw:.1}" height="{bh:.1}" fill="{}"><title>{}</title></rect>"#,
            TOP + plot_h - bh,
            b.colour,
            escape(&b.tooltip)
        );
        if i % step == 0 || i + 1 == c.bars.len() {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#57606a">{}</text>"##,
                bx + bw / 2.0,
                TOP + plot_h + 16.0,
                escape(&b.label)
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_maxima() {
        assert_eq!(axis_max(0.0, false), 1.0);
        assert_eq!(axis_max(231.0, false), 240.0);
        assert_eq!(axis_max(300.1, false), 320.0);
        assert_eq!(axis_max(42.0, false), 60.0);
        assert_eq!(axis_max(2.0, true), 4.0);
        assert_eq!(axis_max(9.0, true), 12.0);
        assert!((axis_max(0.3, false) - 0.32).abs() < 1e-9);
    }

    #[test]
    fn labels_are_escaped_and_gaps_split_lines() {
        let svg = line_chart(&LineChart {
            title: "<b>t</b>".into(),
            unit: "s".into(),
            x_labels: vec!["#1".into(), "#2".into(), "#3".into()],
            series: vec![Series {
                name: "<script>alert(1)</script>".into(),
                values: vec![Some(1.0), None, Some(3.0)],
            }],
            width: 400,
            height: 200,
        });
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
        // Gap: no polyline with a single point, two circles.
        assert_eq!(svg.matches("<polyline").count(), 0);
        assert_eq!(svg.matches("<circle").count(), 2);
    }
}
