//! Numbers written with a decimal comma (`2,55`), as spreadsheets export them in most of
//! continental Europe and Latin America, beside the decimal point (`2.55`).
//!
//! Such exports separate fields with semicolons, because the comma is taken; their numbers
//! may also group thousands with points (`1.234,50`). A file uses one convention throughout,
//! so it is settled once per file, by the first number that tells:
//! - `2,55` (a comma between digits) settles the comma, but only where the comma cannot be
//!   the field delimiter: in a comma-delimited file a quoted `"1,234"` is far more likely a
//!   thousands separator, so there auto-detection never picks the comma.
//! - `2.55`, `0.5` or `12.5` settles the point.
//! - `1.250` or `12.500.000` settles nothing where a fraction may stand (a price): a point
//!   then three digits is a decimal in one convention and a thousands separator in the
//!   other. It is read with a point (as every tool reads it by default) and remembered;
//!   should a decimal comma come later in the file, the read is an error naming the row that
//!   was assumed, never a silently wrong number. Where a whole number is expected (a
//!   quantity), `1.250` read with a point would be no whole number at all, so there it
//!   settles the comma (with the same error should a point have been assumed before).
//!
//! Hand-written: the number parsers in reach (Rust's, Arrow's CSV inference) read one fixed
//! convention, and pandas and polars also make the user say `decimal=','` up front.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// How numbers in text separate their fraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DecimalSeparator {
    /// Settled per file by its first number that tells (see the module documentation).
    #[default]
    Auto,
    /// `2.55`; a comma in a number is an error.
    Point,
    /// `2,55`, with optional thousands points (`1.234,50`); any other point is an error.
    Comma,
}

impl std::str::FromStr for DecimalSeparator {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "point" | "." | "dot" => Ok(Self::Point),
            "comma" | "," => Ok(Self::Comma),
            other => Err(format!(
                "unknown decimal separator `{other}`: expected point, comma or auto"
            )),
        }
    }
}

impl std::fmt::Display for DecimalSeparator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Point => "point",
            Self::Comma => "comma",
        })
    }
}

/// Why a number's text could not be read under the file's convention.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecimalError {
    /// A decimal comma or thousands points, after row `assumed_at` was read with a decimal
    /// point.
    CommaAfterPoint {
        /// The row whose ambiguous number was read with a point.
        assumed_at: u64,
        /// That number as written.
        assumed: String,
    },
    /// Not a number with a decimal comma (the convention settled or asked for).
    NotComma,
}

/// Reads number texts of one file under one decimal convention (see the module
/// documentation).
#[derive(Debug, Clone)]
pub struct DecimalParser {
    asked: DecimalSeparator,
    settled: Option<DecimalSeparator>,
    /// Whether auto-detection may settle the comma (not in a comma-delimited file).
    comma_possible: bool,
    /// The first ambiguous number read with a point, and its row, while nothing is settled.
    assumed: Option<(u64, String)>,
}

impl DecimalParser {
    /// A parser for `asked`; `comma_possible` says whether auto-detection may settle the
    /// comma (false for a comma-delimited file, and for typed inputs whose rare text
    /// numbers follow the program's own convention).
    pub fn new(asked: DecimalSeparator, comma_possible: bool) -> Self {
        let settled = (asked != DecimalSeparator::Auto).then_some(asked);
        Self {
            asked,
            settled,
            comma_possible,
            assumed: None,
        }
    }

    /// The convention in use, for the quality report: `point` or `comma`, and for `auto`
    /// what it settled on (`point` when no number told).
    pub fn settled(&self) -> String {
        match (self.asked, self.settled) {
            (DecimalSeparator::Auto, Some(settled)) => format!("auto: {settled}"),
            (DecimalSeparator::Auto, None) => "auto: point".to_owned(),
            (asked, _) => asked.to_string(),
        }
    }

    /// What to add to the error about a number text that did not parse under the point:
    /// a pointer to `--decimal comma` when the text is a number under the comma (`2,55`,
    /// or `1.250` where a whole number was expected), else nothing.
    pub fn hint(text: &str) -> &'static str {
        let text = text.trim();
        if comma_number(text).is_some() {
            " (a decimal comma? pass `--decimal comma`)"
        } else if grouped_whole(text).is_some() {
            " (thousands separated by points? pass `--decimal comma`)"
        } else {
            ""
        }
    }

    /// `text` (trimmed) as Rust's number parsers read it: unchanged under the point, with
    /// the thousands points dropped and the comma made a point under the comma. Row `row`
    /// is where it stands, for the error of a comma after an assumed point; `whole` says
    /// whether a whole number is expected there. A text that is no number in either
    /// convention comes back unchanged, for the caller's parse to refuse.
    pub fn normalise<'a>(
        &mut self,
        text: &'a str,
        row: u64,
        whole: bool,
    ) -> Result<Cow<'a, str>, DecimalError> {
        let text = text.trim();
        let bytes = text.as_bytes();
        let has_comma = bytes.contains(&b',');
        if !has_comma && !bytes.contains(&b'.') {
            return Ok(Cow::Borrowed(text));
        }
        match self.settled {
            Some(DecimalSeparator::Point) => Ok(Cow::Borrowed(text)),
            Some(DecimalSeparator::Comma) => {
                if has_comma {
                    comma_number(text)
                        .map(Cow::Owned)
                        .ok_or(DecimalError::NotComma)
                } else {
                    grouped_whole(text)
                        .map(Cow::Owned)
                        .ok_or(DecimalError::NotComma)
                }
            }
            _ => self.detect(text, row, has_comma, whole),
        }
    }

    /// [`Self::normalise`] while nothing is settled.
    fn detect<'a>(
        &mut self,
        text: &'a str,
        row: u64,
        has_comma: bool,
        whole: bool,
    ) -> Result<Cow<'a, str>, DecimalError> {
        let grouped = if has_comma {
            None
        } else {
            grouped_whole(text).filter(|_| self.comma_possible)
        };
        let comma_reading = if has_comma {
            comma_number(text).filter(|_| self.comma_possible)
        } else if whole {
            grouped.clone()
        } else {
            None
        };
        if let Some(read) = comma_reading {
            if let Some((assumed_at, assumed)) = self.assumed.take() {
                return Err(DecimalError::CommaAfterPoint {
                    assumed_at,
                    assumed,
                });
            }
            self.settled = Some(DecimalSeparator::Comma);
            return Ok(Cow::Owned(read));
        }
        if has_comma {
            return Ok(Cow::Borrowed(text));
        }
        if grouped.is_some() {
            // `1.250` where a fraction may stand: a decimal here, a thousand there. Read
            // as a decimal, remembered.
            self.assumed.get_or_insert_with(|| (row, text.to_owned()));
        } else if text.parse::<f64>().is_ok() {
            self.settled = Some(DecimalSeparator::Point);
            self.assumed = None;
        }
        Ok(Cow::Borrowed(text))
    }
}

/// `text` with a decimal comma (`2,55`, `-0,5`, `1.234,50`) in Rust's notation (`2.55`,
/// `-0.5`, `1234.50`); `None` when it is not one: digits on both sides of the one comma,
/// and thousands points, if any, every three digits before it.
fn comma_number(text: &str) -> Option<String> {
    let (whole, fraction) = text.split_once(',')?;
    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = if whole.contains('.') {
        grouped_whole(whole)?
    } else {
        let digits = whole.strip_prefix(['+', '-']).unwrap_or(whole);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        whole.to_owned()
    };
    Some(format!("{whole}.{fraction}"))
}

/// A whole number with thousands points (`1.250`, `-12.500.000`) without them; `None` when
/// the points do not group by three after a first group of one to three digits that does
/// not start with 0.
fn grouped_whole(text: &str) -> Option<String> {
    let (sign, digits) = match text.strip_prefix(['+', '-']) {
        Some(rest) => (&text[..1], rest),
        None => ("", text),
    };
    let mut groups = digits.split('.');
    let first = groups.next()?;
    let leading_ok = (1..=3).contains(&first.len())
        && !first.starts_with('0')
        && first.bytes().all(|b| b.is_ascii_digit());
    let mut out = format!("{sign}{first}");
    let mut rest = 0;
    for group in groups {
        if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out.push_str(group);
        rest += 1;
    }
    (leading_ok && rest > 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(parser: &mut DecimalParser, text: &str, row: u64) -> Result<String, DecimalError> {
        parser.normalise(text, row, false).map(Cow::into_owned)
    }

    #[test]
    fn comma_numbers_become_rust_numbers() {
        let mut parser = DecimalParser::new(DecimalSeparator::Comma, true);
        assert_eq!(read(&mut parser, "2,55", 1).unwrap(), "2.55");
        assert_eq!(read(&mut parser, " -0,5 ", 2).unwrap(), "-0.5");
        assert_eq!(read(&mut parser, "1.234,50", 3).unwrap(), "1234.50");
        assert_eq!(read(&mut parser, "12.500.000", 4).unwrap(), "12500000");
        assert_eq!(read(&mut parser, "17850", 5).unwrap(), "17850");
        // A point that groups nothing, or a comma without digits after it, is refused.
        assert_eq!(read(&mut parser, "2.55", 6), Err(DecimalError::NotComma));
        assert_eq!(read(&mut parser, "1.23,4", 7), Err(DecimalError::NotComma));
        assert_eq!(read(&mut parser, "3,", 8), Err(DecimalError::NotComma));
        assert_eq!(read(&mut parser, "0.250", 9), Err(DecimalError::NotComma));
        assert_eq!(parser.settled(), "comma");
    }

    #[test]
    fn the_point_leaves_every_text_as_it_is() {
        let mut parser = DecimalParser::new(DecimalSeparator::Point, true);
        for text in ["2.55", "2,55", "1.250", "abc"] {
            assert_eq!(read(&mut parser, text, 1).unwrap(), text);
        }
        assert_eq!(parser.settled(), "point");
        assert!(DecimalParser::hint("2,55").contains("decimal comma"));
        assert!(DecimalParser::hint("1.250").contains("thousands"));
        assert_eq!(DecimalParser::hint("2.55"), "");
        assert_eq!(DecimalParser::hint("1O"), "");
    }

    #[test]
    fn auto_settles_on_the_first_number_that_tells() {
        let mut parser = DecimalParser::new(DecimalSeparator::Auto, true);
        assert_eq!(read(&mut parser, "6", 1).unwrap(), "6");
        assert_eq!(parser.settled(), "auto: point");
        assert_eq!(read(&mut parser, "2,55", 1).unwrap(), "2.55");
        assert_eq!(read(&mut parser, "1.250", 2).unwrap(), "1250");
        assert_eq!(parser.settled(), "auto: comma");

        let mut parser = DecimalParser::new(DecimalSeparator::Auto, true);
        assert_eq!(read(&mut parser, "0.85", 1).unwrap(), "0.85");
        assert_eq!(read(&mut parser, "1.250", 2).unwrap(), "1.250");
        assert_eq!(read(&mut parser, "2,55", 3).unwrap(), "2,55");
        assert_eq!(parser.settled(), "auto: point");
    }

    #[test]
    fn a_comma_after_an_ambiguous_point_is_an_error_naming_its_row() {
        let mut parser = DecimalParser::new(DecimalSeparator::Auto, true);
        assert_eq!(read(&mut parser, "1.250", 4).unwrap(), "1.250");
        assert_eq!(read(&mut parser, "3.500", 5).unwrap(), "3.500");
        assert_eq!(
            read(&mut parser, "2,55", 9),
            Err(DecimalError::CommaAfterPoint {
                assumed_at: 4,
                assumed: "1.250".to_owned()
            })
        );
        // An unambiguous point settles it, and the comma is then only a bad number.
        let mut parser = DecimalParser::new(DecimalSeparator::Auto, true);
        read(&mut parser, "1.250", 4).unwrap();
        read(&mut parser, "0.5", 5).unwrap();
        assert_eq!(read(&mut parser, "2,55", 9).unwrap(), "2,55");
    }

    #[test]
    fn thousands_points_where_a_whole_number_stands_settle_the_comma() {
        let mut parser = DecimalParser::new(DecimalSeparator::Auto, true);
        assert_eq!(parser.normalise("1.200", 1, true).unwrap(), "1200");
        assert_eq!(parser.settled(), "auto: comma");
        assert_eq!(read(&mut parser, "2,55", 1).unwrap(), "2.55");
        // After a price read with an assumed point, the same quantity is a clash.
        let mut parser = DecimalParser::new(DecimalSeparator::Auto, true);
        assert_eq!(read(&mut parser, "1.250", 1).unwrap(), "1.250");
        assert!(matches!(
            parser.normalise("1.200", 2, true),
            Err(DecimalError::CommaAfterPoint { assumed_at: 1, .. })
        ));
        // Not in a comma-delimited file: there it stays as written (and is no whole number).
        let mut parser = DecimalParser::new(DecimalSeparator::Auto, false);
        assert_eq!(parser.normalise("1.200", 1, true).unwrap(), "1.200");
    }

    #[test]
    fn a_comma_delimited_file_never_detects_the_comma() {
        let mut parser = DecimalParser::new(DecimalSeparator::Auto, false);
        assert_eq!(read(&mut parser, "1,234", 1).unwrap(), "1,234");
        assert_eq!(read(&mut parser, "1.250", 2).unwrap(), "1.250");
        assert_eq!(read(&mut parser, "2,55", 3).unwrap(), "2,55");
        assert_eq!(parser.settled(), "auto: point");
        // Asked for explicitly, it is honoured anywhere.
        let mut parser = DecimalParser::new(DecimalSeparator::Comma, false);
        assert_eq!(read(&mut parser, "2,55", 1).unwrap(), "2.55");
    }

    #[test]
    fn separators_parse_from_their_names() {
        assert_eq!("Comma".parse(), Ok(DecimalSeparator::Comma));
        assert_eq!(",".parse(), Ok(DecimalSeparator::Comma));
        assert_eq!("point".parse(), Ok(DecimalSeparator::Point));
        assert_eq!("auto".parse(), Ok(DecimalSeparator::Auto));
        assert!("semicolon".parse::<DecimalSeparator>().is_err());
    }
}
