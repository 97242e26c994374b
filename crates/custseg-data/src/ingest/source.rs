//! What an input names, decided once where it enters (the command line) and passed down as
//! that type: an http(s) URL, an object-store URL, or a local path.

use std::fmt;
use std::path::{Path, PathBuf};

use super::download::is_url;
use super::object_store_input::is_object_store_url;

/// Where a transaction log comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSource {
    /// An http(s) URL: downloaded once into the data directory's cache and checksummed.
    Url(String),
    /// An object-store URL (`s3://`, `gs://`, `file://`): its objects are listed and copied.
    ObjectStore(String),
    /// A local path: a file, or a directory of Parquet or CSV files. Which of the two is
    /// decided when it is read, so that a path missing then is reported by the stage reading
    /// it, with the path.
    Local(PathBuf),
}

impl InputSource {
    /// Classifies the input as written by the user.
    pub fn classify(text: &str) -> Self {
        if is_url(text) {
            Self::Url(text.to_owned())
        } else if is_object_store_url(text) {
            Self::ObjectStore(text.to_owned())
        } else {
            Self::Local(PathBuf::from(text))
        }
    }

    /// Whether reading it goes over the network (and is worth retrying).
    pub fn is_remote(&self) -> bool {
        !matches!(self, Self::Local(_))
    }

    /// The local path, for a local input.
    pub fn local_path(&self) -> Option<&Path> {
        match self {
            Self::Local(path) => Some(path),
            Self::Url(_) | Self::ObjectStore(_) => None,
        }
    }
}

impl fmt::Display for InputSource {
    /// The input as the user wrote it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Url(url) | Self::ObjectStore(url) => f.write_str(url),
            Self::Local(path) => write!(f, "{}", path.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_classified_by_their_scheme() {
        let url = InputSource::classify("HTTPS://archive.ics.uci.edu/retail.xlsx");
        assert!(matches!(url, InputSource::Url(_)) && url.is_remote());
        let store = InputSource::classify("s3://retail-logs/2011/");
        assert!(matches!(store, InputSource::ObjectStore(_)) && store.is_remote());
        assert_eq!(store.to_string(), "s3://retail-logs/2011/");
        let local = InputSource::classify("data/online_retail.csv.gz");
        assert_eq!(
            local.local_path(),
            Some(Path::new("data/online_retail.csv.gz"))
        );
        assert!(!local.is_remote());
        // A name that merely contains a scheme is a path.
        assert!(matches!(
            InputSource::classify("exports/http://x.csv"),
            InputSource::Local(_)
        ));
    }
}
