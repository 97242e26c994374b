//! Cutting logged predictions into windows: by day, by hour, or by a number of rows.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// How predictions are grouped over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WindowSpec {
    /// One window per calendar day (UTC).
    #[default]
    Day,
    /// One window per hour (UTC).
    Hour,
    /// Consecutive windows of this many predictions (the last may hold fewer).
    Rows(usize),
}

impl FromStr for WindowSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "day" | "daily" => Ok(Self::Day),
            "hour" | "hourly" => Ok(Self::Hour),
            other => match other.strip_prefix("rows:").map(str::parse::<usize>) {
                Some(Ok(n)) if n > 0 => Ok(Self::Rows(n)),
                _ => Err(format!(
                    "`{other}` is not a window: expected `day`, `hour` or `rows:N` with N > 0"
                )),
            },
        }
    }
}

impl fmt::Display for WindowSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Day => write!(f, "day"),
            Self::Hour => write!(f, "hour"),
            Self::Rows(n) => write!(f, "rows:{n}"),
        }
    }
}

/// The windows of predictions answered at `times` (RFC 3339, in log order): each window's
/// label and its range of rows. Time windows follow the time's own prefix (`YYYY-MM-DD` or
/// `YYYY-MM-DDTHH`); a row whose time sorts before its predecessor's starts no new window.
pub fn split_windows<'a>(
    times: impl Iterator<Item = &'a str>,
    spec: WindowSpec,
) -> Vec<(String, Range<usize>)> {
    let mut windows: Vec<(String, Range<usize>)> = Vec::new();
    if let WindowSpec::Rows(n) = spec {
        let total = times.count();
        return (0..total)
            .step_by(n)
            .map(|start| {
                let end = (start + n).min(total);
                (format!("rows {}-{end}", start + 1), start..end)
            })
            .collect();
    }
    for (i, time) in times.enumerate() {
        let label = match spec {
            WindowSpec::Hour => time
                .get(..13)
                .map_or_else(|| time.to_owned(), |hour| format!("{hour}:00")),
            _ => time.get(..10).unwrap_or(time).to_owned(),
        };
        match windows.last_mut() {
            Some((last, range)) if *last >= label => range.end = i + 1,
            _ => windows.push((label, i..i + 1)),
        }
    }
    windows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_follow_days_hours_and_row_counts() {
        let times = [
            "2026-12-01T10:00:00Z",
            "2026-12-01T10:59:59Z",
            "2026-12-01T11:00:00Z",
            "2026-12-02T00:00:01Z",
            "2026-12-02T00:30:00Z",
        ];
        let days = split_windows(times.iter().copied(), WindowSpec::Day);
        assert_eq!(
            days,
            vec![("2026-12-01".into(), 0..3), ("2026-12-02".into(), 3..5)]
        );
        let hours = split_windows(times.iter().copied(), WindowSpec::Hour);
        assert_eq!(hours.len(), 3);
        assert_eq!(hours[0], ("2026-12-01T10:00".into(), 0..2));
        let rows = split_windows(times.iter().copied(), WindowSpec::Rows(2));
        assert_eq!(
            rows.iter().map(|w| w.0.as_str()).collect::<Vec<_>>(),
            vec!["rows 1-2", "rows 3-4", "rows 5-5"]
        );
        assert_eq!("rows:500".parse::<WindowSpec>(), Ok(WindowSpec::Rows(500)));
        assert!("rows:0".parse::<WindowSpec>().is_err());
        assert!(
            "weekly"
                .parse::<WindowSpec>()
                .unwrap_err()
                .contains("weekly")
        );
    }
}
