//! Axis scales, tick positions and number labels.

/// Maps a data interval onto a pixel interval, linearly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Linear {
    domain: (f64, f64),
    range: (f64, f64),
}

impl Linear {
    /// A scale from `domain` to `range`; an empty domain is widened so that it maps somewhere.
    pub fn new(domain: (f64, f64), range: (f64, f64)) -> Self {
        let (mut low, mut high) = domain;
        if !low.is_finite() || !high.is_finite() {
            (low, high) = (0.0, 1.0);
        }
        if high <= low {
            let pad = if low == 0.0 { 1.0 } else { low.abs() * 0.5 };
            (low, high) = (low - pad, high + pad);
        }
        Self {
            domain: (low, high),
            range,
        }
    }

    /// The pixel of `value`.
    pub fn map(&self, value: f64) -> f64 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        r0 + (value - d0) / (d1 - d0) * (r1 - r0)
    }

    /// The domain.
    pub fn domain(&self) -> (f64, f64) {
        self.domain
    }
}

/// About `count` round tick values covering `[low, high]`: steps of 1, 2 or 5 times a power
/// of ten. Returns the ticks and the widened domain they span.
pub fn nice_ticks(low: f64, high: f64, count: usize) -> (Vec<f64>, (f64, f64)) {
    let (low, high) = if low.is_finite() && high.is_finite() {
        (low.min(high), low.max(high))
    } else {
        (0.0, 1.0)
    };
    let span = if high > low {
        high - low
    } else if low == 0.0 {
        1.0
    } else {
        low.abs()
    };
    let raw = span / count.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    let start = (low / step).floor() * step;
    let mut end = (high / step).ceil() * step;
    if end <= start {
        end = start + step;
    }
    let steps = ((end - start) / step).round() as usize;
    // Round to the step's decimals, so that 3 x 0.1 is 0.3 and not 0.30000000000000004.
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let ticks = (0..=steps)
        .map(|i| {
            let value = start + i as f64 * step;
            format!("{value:.decimals$}").parse().unwrap_or(value)
        })
        .collect();
    (ticks, (start, end))
}

/// A compact label: `1.2k`, `3.4M`, `0.25`, `-12`.
pub fn short(value: f64) -> String {
    let magnitude = value.abs();
    let (scaled, suffix) = if magnitude >= 1e9 {
        (value / 1e9, "B")
    } else if magnitude >= 1e6 {
        (value / 1e6, "M")
    } else if magnitude >= 1e4 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let text = if suffix.is_empty() && magnitude < 10.0 && magnitude != magnitude.round() {
        let digits = if magnitude >= 1.0 { 1 } else { 2 };
        trim_zeros(format!("{scaled:.digits$}"))
    } else if scaled.abs() < 10.0 && !suffix.is_empty() {
        trim_zeros(format!("{scaled:.1}"))
    } else {
        format!("{scaled:.0}")
    };
    format!("{text}{suffix}")
}

fn trim_zeros(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// A table number: thousands separated, `decimals` after the point.
pub fn grouped(value: f64, decimals: usize) -> String {
    if !value.is_finite() {
        return "–".to_owned();
    }
    let text = format!("{:.decimals$}", value.abs());
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w.to_owned(), Some(f.to_owned())),
        None => (text, None),
    };
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(fraction) = fraction {
        out.push('.');
        out.push_str(&fraction);
    }
    let negative = value < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0');
    if negative { format!("−{out}") } else { out }
}

/// A percentage of a share in `[0, 1]`, one decimal.
pub fn percent(share: f64) -> String {
    if share.is_finite() {
        format!("{:.1} %", share * 100.0)
    } else {
        "–".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_data() {
        let (ticks, domain) = nice_ticks(3.2, 97.0, 5);
        assert_eq!(ticks, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(domain, (0.0, 100.0));
        let (ticks, _) = nice_ticks(0.0, 0.3, 3);
        assert_eq!(ticks, vec![0.0, 0.1, 0.2, 0.3]);
        let (ticks, domain) = nice_ticks(5.0, 5.0, 4);
        assert!(domain.0 <= 5.0 && domain.1 > 5.0 && ticks.len() >= 2);
    }

    #[test]
    fn labels_are_compact_and_tables_grouped() {
        assert_eq!(short(1_250_000.0), "1.2M");
        assert_eq!(short(45_000.0), "45k");
        assert_eq!(short(0.25), "0.25");
        assert_eq!(short(-12.0), "-12");
        assert_eq!(grouped(8_438_415.4, 0), "8,438,415");
        assert_eq!(grouped(-1234.5, 1), "−1,234.5");
        assert_eq!(grouped(-0.0001, 2), "0.00");
        assert_eq!(percent(0.1234), "12.3 %");
    }

    #[test]
    fn linear_scale_maps_ends_and_survives_empty_domains() {
        let scale = Linear::new((0.0, 10.0), (100.0, 0.0));
        assert_eq!(scale.map(0.0), 100.0);
        assert_eq!(scale.map(5.0), 50.0);
        assert!(Linear::new((3.0, 3.0), (0.0, 1.0)).map(3.0).is_finite());
    }
}
