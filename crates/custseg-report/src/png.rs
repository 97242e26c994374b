//! PNG copies of the charts (`--format png`), rasterised with resvg at twice the CSS size so
//! they stay sharp on slides. Text uses the system's fonts (DejaVu Sans where installed).

use std::sync::Arc;

use resvg::{tiny_skia, usvg};

use crate::error::{Error, Result};

/// Turns SVG documents into PNG images; loads the system fonts once.
pub struct Rasteriser {
    options: usvg::Options<'static>,
}

impl Rasteriser {
    /// A rasteriser with the system's fonts.
    pub fn new() -> Self {
        let mut fonts = usvg::fontdb::Database::new();
        fonts.load_system_fonts();
        fonts.set_sans_serif_family("DejaVu Sans");
        Self {
            options: usvg::Options {
                fontdb: Arc::new(fonts),
                font_family: "DejaVu Sans".to_owned(),
                ..usvg::Options::default()
            },
        }
    }

    /// Fonts found (a PNG without fonts has no text).
    pub fn fonts(&self) -> usize {
        self.options.fontdb.len()
    }

    /// The PNG bytes of one SVG document.
    pub fn png(&self, name: &str, svg: &str) -> Result<Vec<u8>> {
        let tree = usvg::Tree::from_str(svg, &self.options).map_err(|e| Error::Png {
            chart: name.to_owned(),
            reason: e.to_string(),
        })?;
        let scale = 2.0;
        let size = tree.size();
        let (width, height) = (
            (size.width() * scale).ceil() as u32,
            (size.height() * scale).ceil() as u32,
        );
        let mut pixmap =
            tiny_skia::Pixmap::new(width.max(1), height.max(1)).ok_or_else(|| Error::Png {
                chart: name.to_owned(),
                reason: format!("cannot allocate a {width} x {height} image"),
            })?;
        resvg::render(
            &tree,
            tiny_skia::Transform::from_scale(scale, scale),
            &mut pixmap.as_mut(),
        );
        pixmap.encode_png().map_err(|e| Error::Png {
            chart: name.to_owned(),
            reason: e.to_string(),
        })
    }
}

impl Default for Rasteriser {
    fn default() -> Self {
        Self::new()
    }
}
