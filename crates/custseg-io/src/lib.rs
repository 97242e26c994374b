//! Filesystem primitives every custseg crate shares: outputs that appear whole or
//! not at all, and stable content hashes.
//!
//! This crate owns no data format and no customer vocabulary; it must not depend on
//! DataFusion or any other custseg crate.

mod error;
mod hash;
mod staged;

pub use error::{Error, Result};
pub use hash::{ContentHasher, sha256_file};
pub use staged::{StagedOutput, write_atomic};
