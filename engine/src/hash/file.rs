//! Streamed digests of one file or byte string. Files are read in fixed chunks and
//! never loaded whole, so memory use does not grow with the file.
//!
//! - `md5`: MD5 of the raw bytes (DVC 3).
//! - `md5-dos2unix`: DVC 2's hash, still checked by DVC 3 for old lock entries. The
//!   file is read in 1 MiB chunks. A chunk counts as text when its first 512 bytes
//!   contain no NUL byte and at most 30% bytes outside printable ASCII and
//!   `\n \r \t \f \b`. In text chunks every `\r\n` becomes `\n` before hashing.
//!   Because each chunk is judged and converted on its own, a `\r\n` split across
//!   two chunks is kept as is. This follows `Dos2UnixHashStreamFile` and
//!   `istextblock` in dvc-data 3.18.
//! - `blake3`: BLAKE3 of the raw bytes, using several threads for large files.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use md5::{Digest, Md5};

use crate::fsutil::IoResultExt;
use crate::hash::HashError;
use crate::hash_info::HashAlgorithm;

/// Chunk size of DVC's hashing loop (`fobj_md5`), which the `md5-dos2unix` rule
/// depends on. The other algorithms use it as their read size too.
pub const DVC_CHUNK_SIZE: usize = 1 << 20;

/// How many leading bytes of a chunk DVC inspects to decide whether it is text.
const TEXT_SNIFF_SIZE: usize = 512;

/// Read size for BLAKE3. Its multi-threaded mode only pays off on large inputs,
/// and bigger reads hand each thread more work per call.
const BLAKE3_READ_SIZE: usize = 8 << 20;

/// Below this size BLAKE3 hashes on the calling thread.
const BLAKE3_PARALLEL_MIN: usize = 256 << 10;

/// The digest of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDigest {
    /// Lowercase hex digest.
    pub value: String,
    /// Bytes read, which is the file size.
    pub size: u64,
}

/// Hashes an in-memory byte string.
pub fn hash_bytes(bytes: &[u8], algorithm: HashAlgorithm) -> String {
    let mut hasher = StreamHasher::new(algorithm);
    for chunk in bytes.chunks(DVC_CHUNK_SIZE) {
        hasher.update_chunk(chunk);
    }
    hasher.finish()
}

/// Hashes the file at `path`, calling `on_bytes` with the number of bytes read
/// after each chunk.
pub fn hash_file(
    path: &Path,
    algorithm: HashAlgorithm,
    on_bytes: &mut dyn FnMut(u64),
) -> Result<FileDigest, HashError> {
    let mut file = File::open(path).with_path("open", path)?;
    let digest = hash_reader(&mut file, algorithm, on_bytes).with_path("read", path)?;
    Ok(digest)
}

/// Hashes everything `reader` yields.
pub fn hash_reader(
    reader: &mut dyn Read,
    algorithm: HashAlgorithm,
    on_bytes: &mut dyn FnMut(u64),
) -> io::Result<FileDigest> {
    let read_size = match algorithm {
        HashAlgorithm::Blake3 => BLAKE3_READ_SIZE,
        HashAlgorithm::Md5 | HashAlgorithm::Md5Dos2Unix => DVC_CHUNK_SIZE,
    };
    let mut buffer = take_buffer(read_size);
    let mut hasher = StreamHasher::new(algorithm);
    let mut size = 0u64;
    let result = loop {
        // md5-dos2unix needs whole chunks; the other algorithms accept any split,
        // and filling the buffer keeps the number of hasher calls low.
        let filled = match read_full(reader, &mut buffer[..read_size]) {
            Ok(filled) => filled,
            Err(error) => break Err(error),
        };
        if filled > 0 {
            hasher.update_chunk(&buffer[..filled]);
            size += filled as u64;
            on_bytes(filled as u64);
        }
        if filled < read_size {
            break Ok(());
        }
    };
    return_buffer(buffer);
    result?;
    Ok(FileDigest {
        value: hasher.finish(),
        size,
    })
}

thread_local! {
    /// One read buffer per thread, reused across files: allocating and zeroing a
    /// megabyte per file would cost more than hashing a small file.
    static READ_BUFFER: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Takes this thread's buffer, at least `len` bytes long. The cell is left empty
/// while the buffer is out, so a nested call on the same thread (rayon may run
/// another file's job while BLAKE3 waits) allocates its own.
fn take_buffer(len: usize) -> Vec<u8> {
    let mut buffer = READ_BUFFER.with(|cell| cell.take());
    if buffer.len() < len {
        buffer.resize(len, 0);
    }
    buffer
}

fn return_buffer(buffer: Vec<u8>) {
    READ_BUFFER.with(|cell| {
        let current = cell.take();
        // Keep the larger one, so a thread that hashed BLAKE3 input keeps its
        // larger buffer for later files.
        cell.set(if current.len() > buffer.len() {
            current
        } else {
            buffer
        });
    });
}

/// Reads until `buffer` is full or the input ends, like Python's `read(n)` on a
/// file. Returns the number of bytes read.
fn read_full(reader: &mut dyn Read, buffer: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(count) => filled += count,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        }
    }
    Ok(filled)
}

/// One hash computation in progress.
enum StreamHasher {
    Md5(Md5),
    Md5Dos2Unix(Md5, Vec<u8>),
    Blake3(Box<blake3::Hasher>),
}

impl StreamHasher {
    fn new(algorithm: HashAlgorithm) -> StreamHasher {
        match algorithm {
            HashAlgorithm::Md5 => StreamHasher::Md5(Md5::new()),
            HashAlgorithm::Md5Dos2Unix => StreamHasher::Md5Dos2Unix(Md5::new(), Vec::new()),
            HashAlgorithm::Blake3 => StreamHasher::Blake3(Box::new(blake3::Hasher::new())),
        }
    }

    /// Adds one chunk. For `md5-dos2unix` a chunk must be exactly
    /// `DVC_CHUNK_SIZE` bytes unless it is the last one.
    fn update_chunk(&mut self, chunk: &[u8]) {
        match self {
            StreamHasher::Md5(hasher) => hasher.update(chunk),
            StreamHasher::Md5Dos2Unix(hasher, scratch) => {
                for dvc_chunk in chunk.chunks(DVC_CHUNK_SIZE) {
                    let sniffed = &dvc_chunk[..dvc_chunk.len().min(TEXT_SNIFF_SIZE)];
                    if is_text_block(sniffed) {
                        crlf_to_lf(dvc_chunk, scratch);
                        hasher.update(&scratch[..]);
                    } else {
                        hasher.update(dvc_chunk);
                    }
                }
            }
            StreamHasher::Blake3(hasher) => {
                if chunk.len() >= BLAKE3_PARALLEL_MIN {
                    hasher.update_rayon(chunk);
                } else {
                    hasher.update(chunk);
                }
            }
        }
    }

    fn finish(self) -> String {
        match self {
            StreamHasher::Md5(hasher) | StreamHasher::Md5Dos2Unix(hasher, _) => {
                to_hex(&hasher.finalize())
            }
            StreamHasher::Blake3(hasher) => hasher.finalize().to_hex().to_string(),
        }
    }
}

/// Applies DVC's text heuristic (`istextblock`). An empty block is text, and a
/// block with a NUL byte is binary. Any other block is text when at most 30% of
/// its bytes are outside printable ASCII and `\n \r \t \f \b`.
pub fn is_text_block(block: &[u8]) -> bool {
    if block.is_empty() {
        return true;
    }
    if block.contains(&0) {
        return false;
    }
    let non_text = block
        .iter()
        .filter(|&&byte| !matches!(byte, 32..=126 | b'\n' | b'\r' | b'\t' | 0x0c | 0x08))
        .count();
    // Same float comparison as DVC, so borderline blocks are judged alike.
    (non_text as f64) / (block.len() as f64) <= 0.30
}

/// Writes `input` to `output` with every `\r\n` replaced by `\n`, scanning left to
/// right without overlap like Python's `bytes.replace`.
fn crlf_to_lf(input: &[u8], output: &mut Vec<u8>) {
    output.clear();
    output.reserve(input.len());
    let mut rest = input;
    while let Some(position) = rest.windows(2).position(|pair| pair == b"\r\n") {
        output.extend_from_slice(&rest[..position]);
        output.push(b'\n');
        rest = &rest[position + 2..];
    }
    output.extend_from_slice(rest);
}

/// Lowercase hex of a digest.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        hex.push(DIGITS[(byte >> 4) as usize] as char);
        hex.push(DIGITS[(byte & 0x0f) as usize] as char);
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_of_spec_example() {
        // dvc-formats spec: `a\n` hashes to this value under DVC 3.
        assert_eq!(
            hash_bytes(b"a\n", HashAlgorithm::Md5),
            "60b725f10c9c85c70d97880dfe8191b3"
        );
    }

    #[test]
    fn text_block_rules() {
        assert!(is_text_block(b""));
        assert!(is_text_block(b"plain text\r\n"));
        assert!(!is_text_block(b"nul\0byte"));
        // 3 of 10 bytes outside the text set is exactly 30%: still text.
        assert!(is_text_block(b"abcdefg\x80\x81\x82"));
        assert!(!is_text_block(b"abcdef\x80\x81\x82\x83"));
    }

    #[test]
    fn crlf_replacement_does_not_overlap() {
        let mut out = Vec::new();
        crlf_to_lf(b"a\r\r\nb\r\n\r\n\rc", &mut out);
        assert_eq!(out, b"a\r\nb\n\n\rc");
    }

    #[test]
    fn dos2unix_equals_md5_of_converted_text() {
        let converted = hash_bytes(b"x\r\ny\r\n", HashAlgorithm::Md5Dos2Unix);
        assert_eq!(converted, hash_bytes(b"x\ny\n", HashAlgorithm::Md5));

        let binary = b"\0x\r\ny\r\n";
        assert_eq!(
            hash_bytes(binary, HashAlgorithm::Md5Dos2Unix),
            hash_bytes(binary, HashAlgorithm::Md5)
        );
    }

    #[test]
    fn reader_and_bytes_agree_across_chunks() {
        let data: Vec<u8> = (0..(3 * DVC_CHUNK_SIZE + 17))
            .map(|index| (index % 251) as u8)
            .collect();
        for algorithm in [
            HashAlgorithm::Md5,
            HashAlgorithm::Md5Dos2Unix,
            HashAlgorithm::Blake3,
        ] {
            let mut seen = 0u64;
            let digest =
                hash_reader(&mut &data[..], algorithm, &mut |bytes| seen += bytes).unwrap();
            assert_eq!(digest.value, hash_bytes(&data, algorithm), "{algorithm}");
            assert_eq!(digest.size, data.len() as u64);
            assert_eq!(seen, data.len() as u64);
        }
    }

    #[test]
    fn blake3_matches_reference_crate() {
        let data = vec![7u8; 5 << 20];
        assert_eq!(
            hash_bytes(&data, HashAlgorithm::Blake3),
            blake3::hash(&data).to_hex().to_string()
        );
    }
}
