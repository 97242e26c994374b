//! Horizontal bar charts: one bar per label, or a group of bars (one per series) per label.

use super::Chart;
use crate::svg::palette::categorical;
use crate::svg::scale::short;
use crate::svg::{Anchor, Frame};

/// A horizontal bar chart.
#[derive(Debug, Clone)]
pub struct Bars<'a> {
    /// File stem.
    pub id: &'a str,
    /// Title.
    pub title: &'a str,
    /// Value axis label, with its unit.
    pub x_label: &'a str,
    /// One name per series (shown as a legend when there are several).
    pub series: &'a [&'a str],
    /// Labels, top to bottom, each with one value per series.
    pub rows: &'a [(String, Vec<f64>)],
    /// Width.
    pub width: f64,
    /// Room for the labels on the left, at least (widened to fit the longest label).
    pub label_width: f64,
    /// Formats a value for its tooltip and the label at the bar's end.
    pub format: fn(f64) -> String,
}

impl Bars<'_> {
    /// Draws the chart.
    pub fn draw(&self) -> Chart {
        let groups = self.series.len().max(1);
        let bar = 14.0;
        let gap = 8.0;
        let legend = if groups > 1 { 22.0 } else { 0.0 };
        let band = groups as f64 * bar + gap;
        let mut frame = Frame::new(self.width, 0.0);
        let longest = self
            .rows
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0);
        frame.left = self.label_width.max(16.0 + 7.0 * longest as f64);
        frame.right = 70.0;
        frame.top = 34.0 + legend;
        frame.height = frame.top + band * self.rows.len().max(1) as f64 + frame.bottom;
        let mut svg = frame.start(self.title, self.x_label, "");
        let values = self.rows.iter().flat_map(|(_, v)| v.iter().copied());
        let (low, high) = values.fold((0.0f64, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
        let scale = frame.x_axis(&mut svg, low, high, short);
        let zero = scale.map(0.0);
        if groups > 1 {
            let mut x = frame.x0();
            for (s, name) in self.series.iter().enumerate() {
                svg.rect(x, 32.0, 12.0, 12.0, categorical(s), None);
                svg.text(x + 16.0, 42.0, name, 12.0, Anchor::Start, "#333");
                x += 30.0 + 7.0 * name.chars().count() as f64;
            }
        }
        for (row, (label, values)) in self.rows.iter().enumerate() {
            let top = frame.y0() + row as f64 * band + gap / 2.0;
            svg.text(
                frame.x0() - 6.0,
                top + groups as f64 * bar / 2.0 + 4.0,
                label,
                12.0,
                Anchor::End,
                "#222",
            );
            for (s, value) in values.iter().enumerate() {
                let end = scale.map(*value);
                let y = top + s as f64 * bar;
                let name = self.series.get(s).copied().unwrap_or("");
                let tip = format!("{label}: {name} {}", (self.format)(*value));
                svg.rect(
                    zero.min(end),
                    y + 1.0,
                    (end - zero).abs(),
                    bar - 2.0,
                    categorical(s),
                    Some(tip.trim()),
                );
                svg.text(
                    zero.max(end) + 4.0,
                    y + bar - 3.0,
                    &(self.format)(*value),
                    10.0,
                    Anchor::Start,
                    "#333",
                );
            }
        }
        Chart {
            id: self.id.to_owned(),
            title: self.title.to_owned(),
            svg: svg.finish(self.title),
        }
    }
}
