//! Charts over an ordered category axis (months, k): columns or lines, with an optional
//! marked category.

use super::Chart;
use crate::svg::palette::categorical;
use crate::svg::scale::short;
use crate::svg::{Anchor, Frame};

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// One column per category.
    Columns,
    /// A line with a dot per category.
    Line,
}

/// One series: a value per category (`None` leaves a gap).
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Values, one per category.
    pub values: Vec<Option<f64>>,
    /// How it is drawn.
    pub mark: Mark,
}

/// A chart over categories.
#[derive(Debug, Clone)]
pub struct CategoryChart<'a> {
    /// File stem.
    pub id: &'a str,
    /// Title.
    pub title: &'a str,
    /// Category axis label.
    pub x_label: &'a str,
    /// Value axis label, with its unit.
    pub y_label: &'a str,
    /// Category labels, left to right.
    pub categories: &'a [String],
    /// The series.
    pub series: &'a [Series],
    /// A category to mark with a dashed line and this note (the chosen k).
    pub marked: Option<(usize, &'a str)>,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl CategoryChart<'_> {
    /// Draws the chart.
    pub fn draw(&self) -> Chart {
        let mut frame = Frame::new(self.width, self.height);
        let legend = self.series.len() > 1;
        if legend {
            frame.top += 20.0;
        }
        let mut svg = frame.start(self.title, self.x_label, self.y_label);
        let values = self.series.iter().flat_map(|s| s.values.iter().flatten());
        let (mut low, mut high) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in values {
            low = low.min(*v);
            high = high.max(*v);
        }
        if self.series.iter().any(|s| s.mark == Mark::Columns) {
            low = low.min(0.0);
            high = high.max(0.0);
        }
        let scale = frame.y_axis(&mut svg, low, high, short);
        let n = self.categories.len().max(1);
        let band = (frame.x1() - frame.x0()) / n as f64;
        let centre = |i: usize| frame.x0() + band * (i as f64 + 0.5);
        let every = (n as f64 * 38.0 / (frame.x1() - frame.x0()))
            .ceil()
            .max(1.0) as usize;
        for (i, label) in self.categories.iter().enumerate() {
            if i % every == 0 {
                svg.text(
                    centre(i),
                    frame.y1() + 16.0,
                    label,
                    11.0,
                    Anchor::Middle,
                    "#333",
                );
            }
        }
        if let Some((index, note)) = self.marked {
            let x = centre(index);
            svg.line((x, frame.y0()), (x, frame.y1()), "#D55E00", 1.5, true);
            svg.text(
                x + 4.0,
                frame.y0() + 12.0,
                note,
                11.0,
                Anchor::Start,
                "#D55E00",
            );
        }
        let columns = self
            .series
            .iter()
            .filter(|s| s.mark == Mark::Columns)
            .count()
            .max(1);
        let mut column_index = 0;
        for (s, series) in self.series.iter().enumerate() {
            let colour = categorical(s);
            match series.mark {
                Mark::Columns => {
                    let width = band * 0.8 / columns as f64;
                    for (i, value) in series.values.iter().enumerate() {
                        if let Some(value) = value {
                            let (zero, top) = (scale.map(0.0), scale.map(*value));
                            let x = centre(i) - band * 0.4 + column_index as f64 * width;
                            let tip = format!(
                                "{} {}: {}",
                                series.name,
                                self.categories[i],
                                short(*value)
                            );
                            svg.rect(
                                x,
                                zero.min(top),
                                width,
                                (zero - top).abs(),
                                colour,
                                Some(&tip),
                            );
                        }
                    }
                    column_index += 1;
                }
                Mark::Line => {
                    let mut run = Vec::new();
                    for (i, value) in series.values.iter().enumerate() {
                        match value {
                            Some(v) => run.push((centre(i), scale.map(*v))),
                            None => {
                                svg.polyline(&run, colour, 2.0);
                                run.clear();
                            }
                        }
                    }
                    svg.polyline(&run, colour, 2.0);
                    for (i, value) in series.values.iter().enumerate() {
                        if let Some(v) = value {
                            let tip =
                                format!("{} {}: {}", series.name, self.categories[i], short(*v));
                            svg.circle(centre(i), scale.map(*v), 3.5, colour, 1.0, Some(&tip));
                        }
                    }
                }
            }
        }
        if legend {
            let mut x = frame.x0();
            for (s, series) in self.series.iter().enumerate() {
                svg.rect(x, 34.0, 12.0, 12.0, categorical(s), None);
                svg.text(x + 16.0, 44.0, &series.name, 12.0, Anchor::Start, "#333");
                x += 30.0 + 7.0 * series.name.chars().count() as f64;
            }
        }
        Chart {
            id: self.id.to_owned(),
            title: self.title.to_owned(),
            svg: svg.finish(self.title),
        }
    }
}
