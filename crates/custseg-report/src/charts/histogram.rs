//! Histograms: counts per bin, on a linear or logarithmic count axis.

use super::Chart;
use crate::svg::palette::categorical;
use crate::svg::scale::{Linear, short};
use crate::svg::{Anchor, Frame};

/// A histogram of pre-computed bins.
#[derive(Debug, Clone)]
pub struct Histogram<'a> {
    /// File stem.
    pub id: &'a str,
    /// Title.
    pub title: &'a str,
    /// Value axis label, with its unit.
    pub x_label: &'a str,
    /// Bin edges in plot coordinates (`counts.len() + 1` of them, increasing).
    pub edges: &'a [f64],
    /// Customers per bin.
    pub counts: &'a [u64],
    /// Tick positions (plot coordinates) and their labels (data units).
    pub ticks: &'a [(f64, String)],
    /// Count axis in powers of ten.
    pub log_counts: bool,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl Histogram<'_> {
    /// Draws the chart.
    pub fn draw(&self) -> Chart {
        let mut frame = Frame::new(self.width, self.height);
        frame.left = 52.0;
        let mut svg = frame.start(self.title, self.x_label, "customers");
        let max = self.counts.iter().copied().max().unwrap_or(0) as f64;
        let transform = |count: f64| {
            if self.log_counts {
                (count + 1.0).log10()
            } else {
                count
            }
        };
        let y = if self.log_counts {
            let top = transform(max).ceil().max(1.0);
            let scale = Linear::new((0.0, top), (frame.y1(), frame.y0()));
            for power in 0..=(top as i32) {
                let value = 10f64.powi(power);
                let position = scale.map(transform(value - 1.0));
                svg.line(
                    (frame.x0(), position),
                    (frame.x1(), position),
                    "#e3e3e3",
                    1.0,
                    false,
                );
                let label = if power == 0 {
                    "0".to_owned()
                } else {
                    short(value)
                };
                svg.text(
                    frame.x0() - 6.0,
                    position + 4.0,
                    &label,
                    11.0,
                    Anchor::End,
                    "#333",
                );
            }
            svg.line(
                (frame.x0(), frame.y0()),
                (frame.x0(), frame.y1()),
                "#666",
                1.0,
                false,
            );
            scale
        } else {
            frame.y_axis(&mut svg, 0.0, max, short)
        };
        let first = self.edges.first().copied().unwrap_or(0.0);
        let last = self.edges.last().copied().unwrap_or(1.0);
        let x = Linear::new((first, last), (frame.x0(), frame.x1()));
        for (i, count) in self.counts.iter().enumerate() {
            let (left, right) = (x.map(self.edges[i]), x.map(self.edges[i + 1]));
            let top = y.map(transform(*count as f64));
            let tip = format!("{count} customers");
            svg.rect(
                left + 0.5,
                top,
                right - left - 1.0,
                frame.y1() - top,
                categorical(0),
                Some(&tip),
            );
        }
        svg.line(
            (frame.x0(), frame.y1()),
            (frame.x1(), frame.y1()),
            "#666",
            1.0,
            false,
        );
        for (position, label) in self.ticks {
            let px = x.map(*position);
            svg.line((px, frame.y1()), (px, frame.y1() + 4.0), "#666", 1.0, false);
            svg.text(px, frame.y1() + 16.0, label, 11.0, Anchor::Middle, "#333");
        }
        Chart {
            id: self.id.to_owned(),
            title: self.title.to_owned(),
            svg: svg.finish(self.title),
        }
    }
}
