use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{IoContext, Result};

/// SHA-256 of a file's bytes, as lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).at(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer).at(path)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Builds a stable content hash from labelled parts.
///
/// Unlike `std::hash::Hash`, the result does not depend on the Rust version or the
/// platform, so it can key caches and lock files that outlive one process. Each part
/// is length-prefixed, so `("ab", "c")` and `("a", "bc")` hash differently.
#[derive(Default)]
pub struct ContentHasher {
    inner: Sha256,
}

impl ContentHasher {
    /// An empty hasher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one labelled byte string.
    pub fn part(&mut self, label: &str, bytes: &[u8]) -> &mut Self {
        for piece in [label.as_bytes(), bytes] {
            self.inner.update((piece.len() as u64).to_le_bytes());
            self.inner.update(piece);
        }
        self
    }

    /// The hash as lower-case hex.
    pub fn finish(&self) -> String {
        hex::encode(self.inner.clone().finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_length_prefixed() {
        let a = ContentHasher::new()
            .part("x", b"ab")
            .part("y", b"c")
            .finish();
        let b = ContentHasher::new()
            .part("x", b"a")
            .part("y", b"bc")
            .finish();
        assert_ne!(a, b);
        let again = ContentHasher::new()
            .part("x", b"ab")
            .part("y", b"c")
            .finish();
        assert_eq!(a, again);
    }

    #[test]
    fn file_hash_matches_known_digest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc.txt");
        std::fs::write(&path, b"abc").unwrap();
        assert_eq!(
            sha256_file(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
