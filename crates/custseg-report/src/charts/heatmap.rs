//! Heatmaps: a grid of coloured cells with their values written in.

use super::Chart;
use crate::svg::palette::{Fill, diverging, sequential};
use crate::svg::scale::short;
use crate::svg::{Anchor, Frame};

/// How values map to colours.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Colours {
    /// Viridis from `low` to `high`.
    Sequential {
        /// Value at the dark end.
        low: f64,
        /// Value at the bright end.
        high: f64,
    },
    /// Blue below zero, red above, white at zero; `limit` is full colour.
    Diverging {
        /// Absolute value at full colour.
        limit: f64,
    },
}

impl Colours {
    fn fill(self, value: f64) -> Fill {
        match self {
            Self::Sequential { low, high } => {
                let span = if high > low { high - low } else { 1.0 };
                sequential((value - low) / span)
            }
            Self::Diverging { limit } => diverging(value / if limit > 0.0 { limit } else { 1.0 }),
        }
    }

    fn ends(self) -> (f64, f64) {
        match self {
            Self::Sequential { low, high } => (low, high),
            Self::Diverging { limit } => (-limit, limit),
        }
    }
}

/// A heatmap.
#[derive(Debug, Clone)]
pub struct Heatmap<'a> {
    /// File stem.
    pub id: &'a str,
    /// Title.
    pub title: &'a str,
    /// Column axis label.
    pub x_label: &'a str,
    /// Row axis label.
    pub y_label: &'a str,
    /// Column labels, left to right.
    pub columns: &'a [String],
    /// Row labels, top to bottom.
    pub rows: &'a [String],
    /// Cell values (`None`: an empty cell), `values[row][column]`.
    pub values: &'a [Vec<Option<f64>>],
    /// Text written in each cell (same shape as `values`; empty strings write nothing).
    pub labels: &'a [Vec<String>],
    /// The colour scale.
    pub colours: Colours,
    /// Name of the colour scale's quantity, with its unit.
    pub legend: &'a str,
    /// Room for the row labels, at least (widened to fit the longest).
    pub row_label_width: f64,
    /// Column labels are turned 40 degrees (long names).
    pub slanted_columns: bool,
    /// Width.
    pub width: f64,
    /// Height of one cell.
    pub cell_height: f64,
}

impl Heatmap<'_> {
    /// Draws the chart.
    pub fn draw(&self) -> Chart {
        let mut frame = Frame::new(self.width, 0.0);
        let longest = self
            .rows
            .iter()
            .map(|r| r.chars().count())
            .max()
            .unwrap_or(0);
        frame.left = self.row_label_width.max(14.0 + 6.4 * longest as f64);
        frame.right = 90.0;
        frame.bottom = if self.slanted_columns { 150.0 } else { 48.0 };
        frame.height = frame.top + self.cell_height * self.rows.len().max(1) as f64 + frame.bottom;
        let mut svg = frame.start(self.title, self.x_label, "");
        if !self.y_label.is_empty() {
            svg.vertical_text(14.0, (frame.y0() + frame.y1()) / 2.0, self.y_label, 12.0);
        }
        let cell_width = (frame.x1() - frame.x0()) / self.columns.len().max(1) as f64;
        for (r, row) in self.rows.iter().enumerate() {
            let y = frame.y0() + r as f64 * self.cell_height;
            svg.text(
                frame.x0() - 6.0,
                y + self.cell_height / 2.0 + 4.0,
                row,
                11.0,
                Anchor::End,
                "#222",
            );
            for (c, column) in self.columns.iter().enumerate() {
                let x = frame.x0() + c as f64 * cell_width;
                let Some(value) = self.values.get(r).and_then(|v| v.get(c)).copied().flatten()
                else {
                    svg.rect(
                        x,
                        y,
                        cell_width - 1.0,
                        self.cell_height - 1.0,
                        "#f2f2f2",
                        None,
                    );
                    continue;
                };
                let fill = self.colours.fill(value);
                let label = self
                    .labels
                    .get(r)
                    .and_then(|l| l.get(c))
                    .map_or("", String::as_str);
                let tip = format!(
                    "{row} × {column}: {}",
                    if label.is_empty() {
                        short(value)
                    } else {
                        label.to_owned()
                    }
                );
                svg.rect(
                    x,
                    y,
                    cell_width - 1.0,
                    self.cell_height - 1.0,
                    &fill.hex(),
                    Some(&tip),
                );
                if !label.is_empty() && cell_width >= 26.0 {
                    let size = if cell_width < 44.0 { 9.0 } else { 11.0 };
                    svg.text(
                        x + cell_width / 2.0,
                        y + self.cell_height / 2.0 + 4.0,
                        label,
                        size,
                        Anchor::Middle,
                        fill.text(),
                    );
                }
            }
        }
        for (c, column) in self.columns.iter().enumerate() {
            let x = frame.x0() + (c as f64 + 0.5) * cell_width;
            if self.slanted_columns {
                svg.rotated_text(x, frame.y1() + 12.0, column, 11.0, -40.0, Anchor::End);
            } else {
                svg.text(x, frame.y1() + 16.0, column, 11.0, Anchor::Middle, "#333");
            }
        }
        // Colour legend: a strip of eleven steps with the end values.
        let (low, high) = self.colours.ends();
        let strip_x = frame.x1() + 20.0;
        let step = (frame.y1() - frame.y0()).max(60.0) / 11.0;
        for i in 0..11 {
            let value = high - (high - low) * i as f64 / 10.0;
            svg.rect(
                strip_x,
                frame.y0() + i as f64 * step,
                14.0,
                step + 0.5,
                &self.colours.fill(value).hex(),
                None,
            );
        }
        svg.text(
            strip_x + 18.0,
            frame.y0() + 10.0,
            &short(high),
            10.0,
            Anchor::Start,
            "#333",
        );
        svg.text(
            strip_x + 18.0,
            frame.y0() + 11.0 * step,
            &short(low),
            10.0,
            Anchor::Start,
            "#333",
        );
        svg.rotated_text(
            strip_x + 58.0,
            frame.y0() + 5.5 * step,
            self.legend,
            10.0,
            -90.0,
            Anchor::Middle,
        );
        Chart {
            id: self.id.to_owned(),
            title: self.title.to_owned(),
            svg: svg.finish(self.title),
        }
    }
}
