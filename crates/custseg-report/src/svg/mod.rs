//! A small SVG writer and the frame every chart is drawn in (title, plot area, axes).
//!
//! Written by hand rather than with `plotters`: text in these charts is laid out by the
//! browser (plotters' SVG backend needs font files to measure text at render time), each
//! mark carries a `<title>` tooltip with its exact value, and the output stays small enough
//! to inline dozens of charts into one page.

pub mod palette;
pub mod scale;

use std::fmt::Write as _;

use scale::Linear;

/// Escapes text for SVG and HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Horizontal text anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// Text starts at the point.
    Start,
    /// Text is centred on the point.
    Middle,
    /// Text ends at the point.
    End,
}

impl Anchor {
    fn name(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Middle => "middle",
            Self::End => "end",
        }
    }
}

/// An SVG document being written.
#[derive(Debug, Clone)]
pub struct Svg {
    width: f64,
    height: f64,
    body: String,
}

impl Svg {
    /// An empty drawing of this size (CSS pixels).
    pub fn new(width: f64, height: f64) -> Self {
        Self {
            width,
            height,
            body: String::new(),
        }
    }

    /// A rectangle, with an optional tooltip.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, tip: Option<&str>) {
        let _ = write!(
            self.body,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{fill}">"#,
            w.max(0.0),
            h.max(0.0)
        );
        self.tip_and_close(tip, "rect");
    }

    /// A circle, with an optional tooltip.
    pub fn circle(&mut self, x: f64, y: f64, r: f64, fill: &str, opacity: f64, tip: Option<&str>) {
        let _ = write!(
            self.body,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="{r:.1}" fill="{fill}" fill-opacity="{opacity}">"#
        );
        self.tip_and_close(tip, "circle");
    }

    fn tip_and_close(&mut self, tip: Option<&str>, element: &str) {
        if let Some(tip) = tip {
            let _ = write!(self.body, "<title>{}</title>", escape(tip));
        }
        let _ = write!(self.body, "</{element}>");
    }

    /// A straight line.
    pub fn line(&mut self, from: (f64, f64), to: (f64, f64), stroke: &str, width: f64, dash: bool) {
        let dash = if dash {
            r#" stroke-dasharray="4 3""#
        } else {
            ""
        };
        let _ = write!(
            self.body,
            r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{stroke}" stroke-width="{width}"{dash}/>"#,
            from.0, from.1, to.0, to.1
        );
    }

    /// A polyline through `points`.
    pub fn polyline(&mut self, points: &[(f64, f64)], stroke: &str, width: f64) {
        let mut list = String::new();
        for (x, y) in points {
            let _ = write!(list, "{x:.1},{y:.1} ");
        }
        let _ = write!(
            self.body,
            r#"<polyline points="{}" fill="none" stroke="{stroke}" stroke-width="{width}"/>"#,
            list.trim_end()
        );
    }

    /// Text at a point.
    pub fn text(&mut self, x: f64, y: f64, text: &str, size: f64, anchor: Anchor, fill: &str) {
        let _ = write!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" text-anchor="{}" fill="{fill}">{}</text>"#,
            anchor.name(),
            escape(text)
        );
    }

    /// Text rotated by -90 degrees around its point (a vertical axis label).
    pub fn vertical_text(&mut self, x: f64, y: f64, text: &str, size: f64) {
        let _ = write!(
            self.body,
            r##"<text x="{x:.1}" y="{y:.1}" font-size="{size}" text-anchor="middle" fill="#333" transform="rotate(-90 {x:.1} {y:.1})">{}</text>"##,
            escape(text)
        );
    }

    /// Text rotated by `degrees` around its point.
    pub fn rotated_text(
        &mut self,
        x: f64,
        y: f64,
        text: &str,
        size: f64,
        degrees: f64,
        anchor: Anchor,
    ) {
        let _ = write!(
            self.body,
            r##"<text x="{x:.1}" y="{y:.1}" font-size="{size}" text-anchor="{}" fill="#333" transform="rotate({degrees} {x:.1} {y:.1})">{}</text>"##,
            anchor.name(),
            escape(text)
        );
    }

    /// The finished document. `label` becomes its accessible name.
    pub fn finish(self, label: &str) -> String {
        format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{label}" font-family="DejaVu Sans, Verdana, Arial, sans-serif"><rect width="{w}" height="{h}" fill="#ffffff"/>{body}</svg>"##,
            w = self.width,
            h = self.height,
            label = escape(label),
            body = self.body
        )
    }
}

/// The layout of one chart: outer size, margins around the plot area, title and axis labels.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Outer width.
    pub width: f64,
    /// Outer height.
    pub height: f64,
    /// Left margin (room for tick labels).
    pub left: f64,
    /// Right margin.
    pub right: f64,
    /// Top margin (room for the title).
    pub top: f64,
    /// Bottom margin (room for tick and axis labels).
    pub bottom: f64,
}

impl Frame {
    /// A frame with default margins.
    pub fn new(width: f64, height: f64) -> Self {
        Self {
            width,
            height,
            left: 64.0,
            right: 16.0,
            top: 34.0,
            bottom: 48.0,
        }
    }

    /// Plot area's left edge.
    pub fn x0(&self) -> f64 {
        self.left
    }

    /// Plot area's right edge.
    pub fn x1(&self) -> f64 {
        self.width - self.right
    }

    /// Plot area's top edge.
    pub fn y0(&self) -> f64 {
        self.top
    }

    /// Plot area's bottom edge.
    pub fn y1(&self) -> f64 {
        self.height - self.bottom
    }

    /// A drawing with the title and axis labels in place.
    pub fn start(&self, title: &str, x_label: &str, y_label: &str) -> Svg {
        let mut svg = Svg::new(self.width, self.height);
        svg.text(self.width / 2.0, 20.0, title, 14.0, Anchor::Middle, "#111");
        if !x_label.is_empty() {
            svg.text(
                (self.x0() + self.x1()) / 2.0,
                self.height - 8.0,
                x_label,
                12.0,
                Anchor::Middle,
                "#333",
            );
        }
        if !y_label.is_empty() {
            svg.vertical_text(14.0, (self.y0() + self.y1()) / 2.0, y_label, 12.0);
        }
        svg
    }

    /// A vertical value axis with grid lines at round ticks; returns its scale.
    pub fn y_axis(&self, svg: &mut Svg, low: f64, high: f64, format: fn(f64) -> String) -> Linear {
        let (ticks, domain) = scale::nice_ticks(low, high, 5);
        let scale = Linear::new(domain, (self.y1(), self.y0()));
        for tick in ticks {
            let y = scale.map(tick);
            svg.line((self.x0(), y), (self.x1(), y), "#e3e3e3", 1.0, false);
            svg.text(
                self.x0() - 6.0,
                y + 4.0,
                &format(tick),
                11.0,
                Anchor::End,
                "#333",
            );
        }
        svg.line(
            (self.x0(), self.y0()),
            (self.x0(), self.y1()),
            "#666",
            1.0,
            false,
        );
        scale
    }

    /// A horizontal value axis with grid lines at round ticks; returns its scale.
    pub fn x_axis(&self, svg: &mut Svg, low: f64, high: f64, format: fn(f64) -> String) -> Linear {
        let (ticks, domain) = scale::nice_ticks(low, high, 6);
        let scale = Linear::new(domain, (self.x0(), self.x1()));
        for tick in ticks {
            let x = scale.map(tick);
            svg.line((x, self.y0()), (x, self.y1()), "#e3e3e3", 1.0, false);
            svg.text(
                x,
                self.y1() + 16.0,
                &format(tick),
                11.0,
                Anchor::Middle,
                "#333",
            );
        }
        svg.line(
            (self.x0(), self.y1()),
            (self.x1(), self.y1()),
            "#666",
            1.0,
            false,
        );
        scale
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_the_document_is_closed() {
        let mut svg = Svg::new(10.0, 10.0);
        svg.text(1.0, 2.0, "a < b & \"c\"", 10.0, Anchor::Start, "#000");
        let out = svg.finish("x");
        assert!(out.contains("a &lt; b &amp; &quot;c&quot;"));
        assert!(out.starts_with("<svg") && out.ends_with("</svg>"));
    }
}
