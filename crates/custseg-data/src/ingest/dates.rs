//! Reading invoice timestamps written in the ways real exports write them.
//!
//! Hand-written rather than `chrono::NaiveDateTime::parse_from_str` per value: a
//! log has one timestamp per line, the common shapes (`12/1/2010 8:26`, ISO) are
//! parsed here several times faster, and auto-detection needs to see the fields to
//! tell month-first from day-first. Explicit chrono patterns are still accepted.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

/// How timestamps in text are written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DateFormat {
    /// Detect per input: ISO, Excel serial numbers, or `m/d/y` vs `d/m/y` from the values.
    #[default]
    Auto,
    /// `2010-12-01 08:26:00`, `2010-12-01T08:26`, `2010-12-01`.
    Iso,
    /// Month first: `12/1/2010 8:26` (the UCI files).
    Mdy,
    /// Day first: `1/12/2010 8:26`, `01.12.2010 08:26`.
    Dmy,
    /// Excel serial day numbers (1900 date system), e.g. `40513.35`.
    Excel,
    /// A chrono pattern such as `%d/%m/%Y %H:%M`.
    Pattern(String),
}

impl std::str::FromStr for DateFormat {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "auto" => DateFormat::Auto,
            "iso" => DateFormat::Iso,
            "mdy" | "us" => DateFormat::Mdy,
            "dmy" | "eu" => DateFormat::Dmy,
            "excel" => DateFormat::Excel,
            _ if text.contains('%') => DateFormat::Pattern(text.to_owned()),
            _ => {
                return Err(format!(
                    "unknown date format `{text}`: expected auto, iso, mdy, dmy, excel or a chrono pattern like `%d/%m/%Y %H:%M`"
                ));
            }
        })
    }
}

impl TryFrom<String> for DateFormat {
    type Error = String;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<DateFormat> for String {
    fn from(format: DateFormat) -> String {
        format.to_string()
    }
}

impl std::fmt::Display for DateFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DateFormat::Auto => f.write_str("auto"),
            DateFormat::Iso => f.write_str("iso"),
            DateFormat::Mdy => f.write_str("mdy"),
            DateFormat::Dmy => f.write_str("dmy"),
            DateFormat::Excel => f.write_str("excel"),
            DateFormat::Pattern(pattern) => f.write_str(pattern),
        }
    }
}

/// Converts an Excel serial day number (1900 system) to a timestamp, rounded to
/// the nearest second (Excel keeps times as fractions of a day, so `8:26` is stored
/// as `0.35138888…`; rounding makes workbook and CSV copies of a log agree).
pub fn from_excel_serial(serial: f64) -> Option<NaiveDateTime> {
    if !serial.is_finite() || !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let seconds = (serial * 86_400.0).round() as i64;
    epoch.checked_add_signed(TimeDelta::seconds(seconds))
}

/// The numeric fields of a timestamp written with separators.
#[derive(Debug, Default, Clone, Copy)]
struct Fields {
    values: [u32; 7],
    count: usize,
    first_len: usize,
    afternoon: Option<bool>,
}

fn split_fields(text: &str) -> Option<Fields> {
    let mut fields = Fields::default();
    let mut current: Option<u32> = None;
    let mut digits = 0usize;
    let bytes = text.trim().as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        if byte.is_ascii_digit() {
            let value = current
                .unwrap_or(0)
                .checked_mul(10)?
                .checked_add(u32::from(byte - b'0'))?;
            current = Some(value);
            digits += 1;
        } else {
            if let Some(value) = current.take() {
                if fields.count == 7 {
                    return None;
                }
                if fields.count == 0 {
                    fields.first_len = digits;
                }
                fields.values[fields.count] = value;
                fields.count += 1;
                digits = 0;
            }
            match byte {
                b'/' | b'-' | b'.' | b':' | b' ' | b'T' => {}
                b'Z' if index + 1 == bytes.len() => {}
                b'A' | b'a' | b'P' | b'p' => {
                    let rest = &bytes[index..];
                    if rest.len() == 2 && (rest[1] == b'M' || rest[1] == b'm') {
                        fields.afternoon = Some(byte == b'P' || byte == b'p');
                        break;
                    }
                    return None;
                }
                _ => return None,
            }
        }
        index += 1;
    }
    if let Some(value) = current {
        if fields.count == 7 {
            return None;
        }
        if fields.count == 0 {
            fields.first_len = digits;
        }
        fields.values[fields.count] = value;
        fields.count += 1;
    }
    (fields.count >= 3).then_some(fields)
}

fn assemble(year: u32, month: u32, day: u32, fields: &Fields) -> Option<NaiveDateTime> {
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let mut hour = if fields.count > 3 {
        fields.values[3]
    } else {
        0
    };
    let minute = if fields.count > 4 {
        fields.values[4]
    } else {
        0
    };
    let second = if fields.count > 5 {
        fields.values[5]
    } else {
        0
    };
    match fields.afternoon {
        Some(true) if hour < 12 => hour += 12,
        Some(false) if hour == 12 => hour = 0,
        _ => {}
    }
    // a seventh field is a fraction of a second: kept to the second.
    date.and_hms_opt(hour, minute, second)
}

/// Which order a `a/b/yyyy` date has been settled to, in auto mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Undecided,
    MonthFirst,
    DayFirst,
}

/// Why a value could not be read as a timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateError {
    /// The value is not a timestamp in the expected format.
    Unparseable(String),
    /// Auto-detection had assumed month-first from earlier ambiguous values, and
    /// this value can only be day-first.
    Ambiguous {
        /// The 1-based record where month-first was first assumed.
        assumed_at: u64,
    },
}

/// Parses timestamps of one input column, settling the format from the values
/// themselves in [`DateFormat::Auto`] mode.
#[derive(Debug, Clone)]
pub struct DateParser {
    format: DateFormat,
    order: Order,
    assumed_month_first_at: Option<u64>,
}

/// The timestamp order a parser detected, from what [`DateParser::settled`] reported: a
/// reader of several files or sheets reads the ones after with it.
pub(crate) fn detected_order(settled: &str) -> Option<DateFormat> {
    match settled {
        "dmy (detected)" => Some(DateFormat::Dmy),
        "mdy (detected)" => Some(DateFormat::Mdy),
        _ => None,
    }
}

impl DateParser {
    /// A parser for `format`.
    pub fn new(format: DateFormat) -> Self {
        Self {
            format,
            order: Order::Undecided,
            assumed_month_first_at: None,
        }
    }

    /// What was settled, for the quality report: e.g. `mdy`, or `mdy (assumed)` when
    /// every `a/b/yyyy` value was ambiguous.
    pub fn settled(&self) -> String {
        match (&self.format, self.order) {
            (DateFormat::Auto, Order::DayFirst) => "dmy (detected)".to_owned(),
            (DateFormat::Auto, Order::MonthFirst) => "mdy (detected)".to_owned(),
            (DateFormat::Auto, Order::Undecided) if self.assumed_month_first_at.is_some() => {
                "mdy (assumed: every day-and-month pair was 12 or less)".to_owned()
            }
            (DateFormat::Auto, Order::Undecided) => "auto".to_owned(),
            (format, _) => format.to_string(),
        }
    }

    /// Parses `text` (record `row`, 1-based).
    pub fn parse(&mut self, text: &str, row: u64) -> Result<NaiveDateTime, DateError> {
        let unparseable = || DateError::Unparseable(self.expectation());
        match &self.format {
            DateFormat::Excel => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(from_excel_serial)
                .ok_or_else(unparseable),
            DateFormat::Pattern(pattern) => NaiveDateTime::parse_from_str(text.trim(), pattern)
                .or_else(|_| {
                    NaiveDate::parse_from_str(text.trim(), pattern)
                        .map(|date| date.and_hms_opt(0, 0, 0).unwrap_or_default())
                })
                .map_err(|_| unparseable()),
            DateFormat::Iso => {
                let fields = split_fields(text).ok_or_else(unparseable)?;
                if fields.first_len != 4 {
                    return Err(unparseable());
                }
                assemble(
                    fields.values[0],
                    fields.values[1],
                    fields.values[2],
                    &fields,
                )
                .ok_or_else(unparseable)
            }
            DateFormat::Mdy | DateFormat::Dmy => {
                let fields = split_fields(text).ok_or_else(unparseable)?;
                let (month, day) = if self.format == DateFormat::Mdy {
                    (fields.values[0], fields.values[1])
                } else {
                    (fields.values[1], fields.values[0])
                };
                if fields.first_len > 2 {
                    return Err(unparseable());
                }
                assemble(fields.values[2], month, day, &fields).ok_or_else(unparseable)
            }
            DateFormat::Auto => self.parse_auto(text, row),
        }
    }

    fn parse_auto(&mut self, text: &str, row: u64) -> Result<NaiveDateTime, DateError> {
        let expectation = self.expectation();
        let unparseable = || DateError::Unparseable(expectation.clone());
        let Some(fields) = split_fields(text) else {
            return text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(from_excel_serial)
                .ok_or_else(unparseable);
        };
        if fields.first_len == 4 {
            return assemble(
                fields.values[0],
                fields.values[1],
                fields.values[2],
                &fields,
            )
            .ok_or_else(unparseable);
        }
        let (first, second) = (fields.values[0], fields.values[1]);
        if self.order == Order::Undecided {
            if first > 12 && second <= 12 {
                if let Some(assumed_at) = self.assumed_month_first_at {
                    return Err(DateError::Ambiguous { assumed_at });
                }
                self.order = Order::DayFirst;
            } else if second > 12 && first <= 12 {
                self.order = Order::MonthFirst;
            } else if self.assumed_month_first_at.is_none() {
                self.assumed_month_first_at = Some(row);
            }
        }
        let (month, day) = match self.order {
            Order::DayFirst => (second, first),
            _ => (first, second),
        };
        assemble(fields.values[2], month, day, &fields).ok_or_else(|| {
            if self.order == Order::MonthFirst && first > 12 {
                DateError::Ambiguous {
                    assumed_at: self.assumed_month_first_at.unwrap_or(row),
                }
            } else {
                unparseable()
            }
        })
    }

    fn expectation(&self) -> String {
        match &self.format {
            DateFormat::Auto => {
                "expected a date such as `2010-12-01 08:26`, `12/1/2010 8:26` or an Excel serial number".to_owned()
            }
            DateFormat::Iso => "expected an ISO date such as `2010-12-01 08:26:00`".to_owned(),
            DateFormat::Mdy => "expected a month-first date such as `12/1/2010 8:26`".to_owned(),
            DateFormat::Dmy => "expected a day-first date such as `1/12/2010 8:26`".to_owned(),
            DateFormat::Excel => "expected an Excel serial day number such as `40513.35`".to_owned(),
            DateFormat::Pattern(pattern) => format!("expected a date in the format `{pattern}`"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn uci_month_first_dates_parse() {
        let mut parser = DateParser::new(DateFormat::Mdy);
        assert_eq!(
            parser.parse("12/1/2010 8:26", 1).unwrap(),
            at("2010-12-01 08:26:00")
        );
        assert_eq!(
            parser.parse("12/13/2010 18:05", 2).unwrap(),
            at("2010-12-13 18:05:00")
        );
    }

    #[test]
    fn iso_variants_parse() {
        let mut parser = DateParser::new(DateFormat::Iso);
        assert_eq!(
            parser.parse("2010-12-01 08:26:00", 1).unwrap(),
            at("2010-12-01 08:26:00")
        );
        assert_eq!(
            parser.parse("2010-12-01T08:26", 1).unwrap(),
            at("2010-12-01 08:26:00")
        );
        assert_eq!(
            parser.parse("2010-12-01", 1).unwrap(),
            at("2010-12-01 00:00:00")
        );
        assert_eq!(
            parser.parse("2010-12-01T08:26:07.250Z", 1).unwrap(),
            at("2010-12-01 08:26:07")
        );
    }

    #[test]
    fn excel_serial_rounds_to_the_second() {
        // 40513 is 2010-12-01; 0.35138888 of a day is 08:26:00 give or take a float ulp.
        let value = 40513.0 + (8.0 * 3600.0 + 26.0 * 60.0) / 86_400.0;
        assert_eq!(from_excel_serial(value).unwrap(), at("2010-12-01 08:26:00"));
        let mut parser = DateParser::new(DateFormat::Excel);
        assert_eq!(
            parser.parse("40513.5", 1).unwrap(),
            at("2010-12-01 12:00:00")
        );
    }

    #[test]
    fn auto_detects_day_first_from_a_day_over_twelve() {
        let mut parser = DateParser::new(DateFormat::Auto);
        assert_eq!(
            parser.parse("13/12/2010 08:26", 1).unwrap(),
            at("2010-12-13 08:26:00")
        );
        assert_eq!(
            parser.parse("01/12/2010 08:26", 2).unwrap(),
            at("2010-12-01 08:26:00")
        );
        assert_eq!(parser.settled(), "dmy (detected)");
    }

    #[test]
    fn auto_refuses_to_switch_after_assuming_month_first() {
        let mut parser = DateParser::new(DateFormat::Auto);
        assert_eq!(
            parser.parse("12/1/2010 8:26", 1).unwrap(),
            at("2010-12-01 08:26:00")
        );
        assert_eq!(
            parser.parse("13/1/2010 8:26", 7).unwrap_err(),
            DateError::Ambiguous { assumed_at: 1 }
        );
    }

    #[test]
    fn auto_month_first_then_day_over_twelve_in_second_place() {
        let mut parser = DateParser::new(DateFormat::Auto);
        parser.parse("12/1/2010 8:26", 1).unwrap();
        assert_eq!(
            parser.parse("12/13/2010 8:26", 2).unwrap(),
            at("2010-12-13 08:26:00")
        );
        assert_eq!(parser.settled(), "mdy (detected)");
    }

    #[test]
    fn twelve_hour_clock_is_understood() {
        let mut parser = DateParser::new(DateFormat::Mdy);
        assert_eq!(
            parser.parse("12/1/2010 8:26 PM", 1).unwrap(),
            at("2010-12-01 20:26:00")
        );
        assert_eq!(
            parser.parse("12/1/2010 12:05 AM", 1).unwrap(),
            at("2010-12-01 00:05:00")
        );
    }

    #[test]
    fn garbage_and_impossible_dates_fail() {
        let mut parser = DateParser::new(DateFormat::Auto);
        assert!(parser.parse("yesterday", 1).is_err());
        assert!(parser.parse("2010-02-30 10:00", 1).is_err());
        let mut mdy = DateParser::new(DateFormat::Mdy);
        assert!(mdy.parse("13/13/2010", 1).is_err());
    }

    #[test]
    fn chrono_pattern_is_honoured() {
        let mut parser = DateParser::new("%d %b %Y %H:%M".parse().unwrap());
        assert_eq!(
            parser.parse("01 Dec 2010 08:26", 1).unwrap(),
            at("2010-12-01 08:26:00")
        );
    }

    #[test]
    fn format_names_round_trip() {
        for name in ["auto", "iso", "mdy", "dmy", "excel", "%Y%m%d"] {
            let format: DateFormat = name.parse().unwrap();
            assert_eq!(format.to_string(), name);
        }
        assert!("weekly".parse::<DateFormat>().is_err());
    }
}
