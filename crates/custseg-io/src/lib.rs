//! Filesystem primitives every custseg crate shares: outputs that appear whole or
//! not at all, and stable content hashes; and the process's peak memory per phase.
//!
//! This crate owns no data format and no customer vocabulary; it must not depend on
//! DataFusion or any other custseg crate.

mod error;
mod hash;
mod peak_memory;
mod staged;

pub use error::{Error, Result};
pub use hash::{ContentHasher, sha256_file};
pub use peak_memory::PhaseMemory;
pub use staged::{StagedOutput, write_atomic};
