//! Scatter plots of points coloured by group, with a legend.

use super::Chart;
use crate::svg::palette::categorical;
use crate::svg::scale::short;
use crate::svg::{Anchor, Frame};

/// The x range and the y range a scatter plot shows.
pub type View = ((f64, f64), (f64, f64));

/// A scatter plot.
#[derive(Debug, Clone)]
pub struct Scatter<'a> {
    /// File stem.
    pub id: &'a str,
    /// Title.
    pub title: &'a str,
    /// Horizontal axis label.
    pub x_label: &'a str,
    /// Vertical axis label.
    pub y_label: &'a str,
    /// Points: x, y and the index of their group.
    pub points: &'a [(f64, f64, usize)],
    /// Group names (the legend), by index.
    pub groups: &'a [String],
    /// The x and y ranges shown; points outside are left out (the caller says how many).
    pub view: View,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl Scatter<'_> {
    /// Draws the chart.
    pub fn draw(&self) -> Chart {
        let mut frame = Frame::new(self.width, self.height);
        let longest = self
            .groups
            .iter()
            .map(|g| g.chars().count())
            .max()
            .unwrap_or(0);
        frame.right = 44.0 + 7.0 * longest as f64;
        let mut svg = frame.start(self.title, self.x_label, self.y_label);
        let ((x_low, x_high), (y_low, y_high)) = self.view;
        let x = frame.x_axis(&mut svg, x_low, x_high, short);
        let y = frame.y_axis(&mut svg, y_low, y_high, short);
        let inside = |p: &&(f64, f64, usize)| {
            (x_low..=x_high).contains(&p.0) && (y_low..=y_high).contains(&p.1)
        };
        for (group, _) in self.groups.iter().enumerate() {
            for point in self.points.iter().filter(inside).filter(|p| p.2 == group) {
                svg.circle(
                    x.map(point.0),
                    y.map(point.1),
                    2.2,
                    categorical(group),
                    0.55,
                    None,
                );
            }
        }
        for (group, name) in self.groups.iter().enumerate() {
            let top = frame.y0() + 18.0 * group as f64;
            svg.circle(
                frame.x1() + 20.0,
                top + 6.0,
                5.0,
                categorical(group),
                1.0,
                None,
            );
            svg.text(
                frame.x1() + 30.0,
                top + 10.0,
                name,
                12.0,
                Anchor::Start,
                "#222",
            );
        }
        Chart {
            id: self.id.to_owned(),
            title: self.title.to_owned(),
            svg: svg.finish(self.title),
        }
    }
}
