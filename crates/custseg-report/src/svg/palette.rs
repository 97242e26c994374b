//! Colours: a categorical palette safe for colour-blind readers (Okabe & Ito, extended with two
//! of Paul Tol's muted colours), a sequential and a diverging colour map.

/// Categorical colours, in the order segments get them.
pub const CATEGORICAL: [&str; 10] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
    "#882255", "#44AA99",
];

/// The categorical colour of item `i` (cycling past the tenth).
pub fn categorical(i: usize) -> &'static str {
    CATEGORICAL[i % CATEGORICAL.len()]
}

/// Viridis, sampled at nine evenly spaced stops: perceptually uniform and readable in grey.
const SEQUENTIAL: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

/// ColorBrewer's RdBu, blue for negative and red for positive, white in the middle.
const DIVERGING: [(u8, u8, u8); 7] = [
    (33, 102, 172),
    (103, 169, 207),
    (209, 229, 240),
    (247, 247, 247),
    (253, 219, 199),
    (239, 138, 98),
    (178, 24, 43),
];

fn interpolate(stops: &[(u8, u8, u8)], t: f64) -> (u8, u8, u8) {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let position = t * (stops.len() - 1) as f64;
    let low = (position.floor() as usize).min(stops.len() - 2);
    let fraction = position - low as f64;
    let mix =
        |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * fraction).round() as u8;
    let (a, b) = (stops[low], stops[low + 1]);
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// A colour with its best text colour on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    /// Red, green, blue.
    pub rgb: (u8, u8, u8),
}

impl Fill {
    /// `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.rgb.0, self.rgb.1, self.rgb.2)
    }

    /// Black or white, whichever contrasts more (relative luminance, WCAG).
    pub fn text(self) -> &'static str {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let luminance = 0.2126 * channel(self.rgb.0)
            + 0.7152 * channel(self.rgb.1)
            + 0.0722 * channel(self.rgb.2);
        if luminance > 0.179 {
            "#000000"
        } else {
            "#ffffff"
        }
    }
}

/// The sequential colour of `t` in `[0, 1]`.
pub fn sequential(t: f64) -> Fill {
    Fill {
        rgb: interpolate(&SEQUENTIAL, t),
    }
}

/// The diverging colour of `t` in `[-1, 1]` (0 is white).
pub fn diverging(t: f64) -> Fill {
    Fill {
        rgb: interpolate(&DIVERGING, (t + 1.0) / 2.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_maps_hit_their_end_and_middle_stops() {
        assert_eq!(sequential(0.0).hex(), "#440154");
        assert_eq!(sequential(1.0).hex(), "#fde725");
        assert_eq!(diverging(0.0).hex(), "#f7f7f7");
        assert_eq!(diverging(-1.0).hex(), "#2166ac");
        assert_eq!(diverging(f64::NAN).hex(), "#2166ac");
    }

    #[test]
    fn text_contrasts_with_its_fill() {
        assert_eq!(sequential(0.0).text(), "#ffffff");
        assert_eq!(sequential(1.0).text(), "#000000");
    }
}
