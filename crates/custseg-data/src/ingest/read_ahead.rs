//! Reading a slow source, such as a gzip decompressor, on a thread of its own, ahead of the
//! code that parses its bytes.
//!
//! Decompressing the UCI CSV.gz (45 MB of text) takes about as long as tokenising and
//! converting it; one after the other on one thread they leave the second core idle. Here
//! the decompressor fills chunks on a scoped thread and the parser reads them through a
//! channel. Written by hand: the standard library's channel and scoped threads do the work,
//! and no crate offers a read-ahead wrapper for a borrowed, non-`'static` reader.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, sync_channel};

/// Bytes handed over at a time.
const CHUNK_BYTES: usize = 256 * 1024;

/// Chunks read ahead of the parser, at most.
const CHUNKS_AHEAD: usize = 4;

/// Runs `consume` with a reader of `source`'s bytes, which another thread reads ahead.
/// An error of `source` reaches `consume`'s reader as that same error, at the point where
/// the bytes stop.
pub(crate) fn read_ahead<R: Read + Send, T>(
    mut source: R,
    consume: impl FnOnce(AheadReader) -> T,
) -> T {
    let (sender, receiver) = sync_channel::<io::Result<Vec<u8>>>(CHUNKS_AHEAD);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            loop {
                let mut chunk = vec![0; CHUNK_BYTES];
                let (filled, error) = fill(&mut source, &mut chunk);
                chunk.truncate(filled);
                let done = error.is_some() || filled < CHUNK_BYTES;
                if filled > 0 && sender.send(Ok(chunk)).is_err() {
                    return; // the parser stopped early
                }
                if let Some(error) = error {
                    let _ = sender.send(Err(error));
                }
                if done {
                    return;
                }
            }
        });
        consume(AheadReader {
            receiver,
            chunk: Vec::new(),
            position: 0,
        })
    })
}

/// Reads into `buffer` until it is full, the source ends or fails; returns the bytes read
/// and the error, if any.
fn fill(source: &mut impl Read, buffer: &mut [u8]) -> (usize, Option<io::Error>) {
    let mut filled = 0;
    while filled < buffer.len() {
        match source.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return (filled, Some(error)),
        }
    }
    (filled, None)
}

/// The parser's side of [`read_ahead`].
pub(crate) struct AheadReader {
    receiver: Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    position: usize,
}

impl Read for AheadReader {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.position == self.chunk.len() {
            match self.receiver.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.position = 0;
                }
                Ok(Err(error)) => return Err(error),
                // The reading thread has finished: the source ended.
                Err(_) => return Ok(0),
            }
        }
        let count = buffer.len().min(self.chunk.len() - self.position);
        buffer[..count].copy_from_slice(&self.chunk[self.position..self.position + count]);
        self.position += count;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_arrive_whole_and_in_order() {
        let source: Vec<u8> = (0..(3 * CHUNK_BYTES + 123))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut read = Vec::new();
        read_ahead(source.as_slice(), |mut reader| {
            reader.read_to_end(&mut read).unwrap();
        });
        assert_eq!(read, source);
    }

    /// Yields `good` bytes, then fails.
    struct FailsAfter {
        good: usize,
    }

    impl Read for FailsAfter {
        fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
            if self.good == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "corrupt deflate stream",
                ));
            }
            let count = buffer.len().min(self.good).min(1000);
            buffer[..count].fill(b'x');
            self.good -= count;
            Ok(count)
        }
    }

    #[test]
    fn an_error_of_the_source_reaches_the_reader_after_its_good_bytes() {
        let good = CHUNK_BYTES + 5_000;
        let (bytes, error) = read_ahead(FailsAfter { good }, |mut reader| {
            let mut read = Vec::new();
            let error = reader.read_to_end(&mut read).unwrap_err();
            (read.len(), error)
        });
        assert_eq!(bytes, good);
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert_eq!(error.to_string(), "corrupt deflate stream");
    }

    #[test]
    fn a_parser_that_stops_early_does_not_hang_the_reading_thread() {
        let source = vec![7u8; 20 * CHUNK_BYTES];
        let first = read_ahead(source.as_slice(), |mut reader| {
            let mut byte = [0u8; 1];
            reader.read_exact(&mut byte).unwrap();
            byte[0]
        });
        assert_eq!(first, 7);
    }
}
