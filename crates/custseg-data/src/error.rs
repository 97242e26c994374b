use std::path::PathBuf;

/// Where in an input a problem is: the file, and where it applies the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The input as the user named it (path or URL), plus the archive member if any.
    pub file: String,
    /// 1-based data record number (the header is not counted), as in `source_row`.
    pub row: Option<u64>,
    /// The physical line in a text file, or the sheet row in a workbook.
    pub line: Option<u64>,
    /// The column as named in the input.
    pub column: Option<String>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`", self.file)?;
        if let Some(row) = self.row {
            write!(f, ", row {row}")?;
            if let Some(line) = self.line {
                write!(f, " (line {line})")?;
            }
        }
        if let Some(column) = &self.column {
            write!(f, ", column `{column}`")?;
        }
        Ok(())
    }
}

/// Errors of ingestion, cleaning and feature building.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is unusable at a known place.
    #[error("{location}: {message}")]
    Input {
        /// Where.
        location: Location,
        /// What is wrong, and what was expected.
        message: String,
    },
    /// A file could not be read or written.
    #[error("`{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// Downloading an input failed.
    #[error("downloading `{url}`: {message}")]
    Download {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A file's content does not match the checksum recorded or required for it.
    #[error(
        "`{}`: checksum changed: expected sha256 `{expected}`, found `{actual}`{hint}",
        path.display()
    )]
    Checksum {
        /// The file.
        path: PathBuf,
        /// The recorded or pinned SHA-256.
        expected: String,
        /// The SHA-256 of the file now.
        actual: String,
        /// What the user can do about it.
        hint: String,
    },
    /// A setting is invalid.
    #[error("invalid setting: {0}")]
    Config(String),
    /// A query needed more memory than `--memory-limit` allows, in an operator that cannot spill.
    #[error("the query engine needs more than its memory limit of {} (`--memory-limit` / `[engine] memory_limit`): raise the limit or leave it out; the engine said: {message}", human_bytes(*limit))]
    MemoryLimit {
        /// The limit, in bytes.
        limit: u64,
        /// The first line of what DataFusion said.
        message: String,
    },
    /// The Ballista scheduler of `--engine` cannot be reached.
    #[error(
        "the Ballista scheduler at `{url}` does not answer ({message}); start one with `custseg cluster scheduler`, or leave out `--engine` to run here"
    )]
    Cluster {
        /// The `df://` URL.
        url: String,
        /// What failed.
        message: String,
    },
    /// A check the program makes on its own results failed.
    #[error("internal check failed: {0}")]
    Invariant(String),
    /// The query engine failed.
    #[error("query engine: {0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Arrow failed.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// Parquet failed.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// A shared filesystem helper failed.
    #[error(transparent)]
    Files(#[from] custseg_io::Error),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An input error at the file level.
    pub fn in_file(file: &str, message: impl Into<String>) -> Error {
        Error::Input {
            location: Location {
                file: file.to_owned(),
                row: None,
                line: None,
                column: None,
            },
            message: message.into(),
        }
    }

    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Names in backticks, comma-separated, for error messages: `` `a`, `b` ``.
pub(crate) fn quoted<S: AsRef<str>>(names: &[S]) -> String {
    names
        .iter()
        .map(|name| format!("`{}`", name.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

impl Error {
    /// A DataFusion "resources exhausted" under a memory limit, said as the limit being too
    /// small; any other error as it is.
    pub fn name_the_limit(self, limit: Option<u64>) -> Error {
        match (self, limit) {
            (Error::DataFusion(error), Some(limit))
                if error.to_string().contains("Resources exhausted") =>
            {
                let text = error.to_string();
                Error::MemoryLimit {
                    limit,
                    message: text.lines().next().unwrap_or_default().to_owned(),
                }
            }
            (other, _) => other,
        }
    }
}
