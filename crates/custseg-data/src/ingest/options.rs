//! How to read an input: the `[ingest]` section of `custseg.toml`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::dates::DateFormat;
use super::decimals::DecimalSeparator;

/// Text encoding of CSV input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// Strict UTF-8: an invalid byte is an error naming the row and column.
    #[default]
    #[serde(alias = "utf8")]
    Utf8,
    /// Latin-1, read as Windows-1252 (its superset, as browsers and pandas' `cp1252` do).
    #[serde(
        alias = "latin1",
        alias = "iso-8859-1",
        alias = "windows-1252",
        alias = "cp1252"
    )]
    Latin1,
    /// UTF-8 until the first byte that is not, then Windows-1252 (with a warning).
    Auto,
}

impl std::str::FromStr for Encoding {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" => Ok(Encoding::Utf8),
            "latin-1" | "latin1" | "iso-8859-1" | "windows-1252" | "cp1252" => Ok(Encoding::Latin1),
            "auto" => Ok(Encoding::Auto),
            other => Err(format!(
                "unknown encoding `{other}`: expected utf-8, latin-1 (windows-1252) or auto"
            )),
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Latin1 => "latin-1",
            Encoding::Auto => "auto",
        })
    }
}

/// Settings for reading one input. Every field can come from `custseg.toml`
/// (`[ingest]`) or the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestOptions {
    /// Worksheets of a workbook to read, in this order, as one log (`source_row` counts on
    /// from one sheet to the next): one name (`sheet = "Year 2010-2011"`), a list, or `"*"`
    /// for every sheet in workbook order (Online Retail II keeps its two years on two
    /// sheets). Default: the first sheet.
    #[serde(
        deserialize_with = "one_or_many",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sheet: Vec<String>,
    /// File inside a zip archive to read. Default: the only CSV, xlsx, xls, ods or Parquet file in it.
    pub member: Option<String>,
    /// Text encoding of CSV input. Default: `utf-8`.
    pub encoding: Encoding,
    /// How timestamps in text are written. Default: `auto`.
    pub date_format: DateFormat,
    /// CSV field delimiter. Default: detected from the header (comma, semicolon or tab).
    pub delimiter: Option<char>,
    /// Decimal separator of numbers in text: `point` (`2.55`), `comma` (`2,55`, thousands
    /// points allowed: `1.234,50`) or `auto` (settled per file by its first telling number;
    /// never the comma in a comma-delimited file). Default: `auto`.
    pub decimal: DecimalSeparator,
    /// Input column name -> canonical column name, for names the aliases do not know.
    pub columns: BTreeMap<String, String>,
    /// Expected SHA-256 of the input (hex). Default: not checked.
    pub sha256: Option<String>,
    /// Re-download a URL input even when it is cached. Default: false.
    pub refresh: bool,
    /// Root of downloaded inputs (`raw/`) and parsed-input cache (`parsed/`). Default: `datasets`.
    pub data_dir: PathBuf,
    /// Reuse and write the parsed-input cache. Default: true.
    pub cache: bool,
    /// Settings of `s3://` and `gs://` inputs, by `object_store` configuration key
    /// (`aws_region`, `aws_endpoint`, `google_service_account`, ...; `allow_http = "true"`
    /// for a plain-http endpoint). They win over the environment's. Default: none.
    pub object_store: BTreeMap<String, String>,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            sheet: Vec::new(),
            member: None,
            encoding: Encoding::Utf8,
            date_format: DateFormat::Auto,
            delimiter: None,
            decimal: DecimalSeparator::Auto,
            columns: BTreeMap::new(),
            sha256: None,
            refresh: false,
            data_dir: PathBuf::from("datasets"),
            cache: true,
            object_store: BTreeMap::new(),
        }
    }
}

/// The `sheet` setting that names every sheet of a workbook. Excel does not allow `*` in a
/// sheet name, so it cannot be taken for one.
pub const EVERY_SHEET: &str = "*";

/// A sheet setting written as one name or as a list of names.
fn one_or_many<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(name) => vec![name],
        OneOrMany::Many(names) => names,
    })
}

impl IngestOptions {
    /// The settings that change what a parse produces, as a stable string for cache keys.
    pub fn parse_fingerprint(&self) -> String {
        format!(
            "sheet={:?};member={:?};encoding={};dates={};delimiter={:?};decimal={};columns={:?}",
            self.sheet,
            self.member,
            self.encoding,
            self.date_format,
            self.delimiter,
            self.decimal,
            self.columns
        )
    }
}
