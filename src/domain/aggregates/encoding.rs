//! The stored forms of a bucket: the compact text (`x1:` then hexadecimal LEB128 varints) that
//! [`BucketCounts::encode`] writes and [`ScoreShape::decode`] reads — also the JSON object
//! buckets were first stored as — and the packed bytes kept in memory.

use serde::{Deserialize, Serialize};

use super::{BucketCounts, BucketError, ScoreShape};
use crate::stats::{Moments, StatsError};

impl ScoreShape {
    /// Reads a stored bucket: the compact form [`BucketCounts::encode`] writes, or the JSON
    /// object of integers buckets were first stored as (read until a rebuild rewrites them).
    ///
    /// # Errors
    /// When the text is not a bucket of this shape (a form version's items never change, so
    /// this means corruption).
    pub fn decode(&self, text: &str) -> Result<BucketCounts, BucketError> {
        let stored = match text.strip_prefix(COMPACT) {
            Some(hex) => self.decode_compact(hex).ok_or(BucketError)?,
            None => serde_json::from_str(text).map_err(|_| BucketError)?,
        };
        let moments = Moments::from_counts(self.n_items(), self.subsets.clone(), &stored.m)
            .map_err(|_: StatsError| BucketError)?;
        let levels_fit = stored.l.len() == self.levels.len()
            && stored
                .l
                .iter()
                .zip(&self.levels)
                .all(|(a, b)| a.len() == b.len());
        if !levels_fit {
            return Err(BucketError);
        }
        Ok(BucketCounts {
            valid: stored.v,
            invalid: stored.i,
            dissatisfied: stored.d,
            levels: stored.l,
            moments,
        })
    }

    /// Adds a stored bucket to `into` (a bucket of this shape): what `into.merge(&decode(text))`
    /// does, without building the decoded bucket — a province's year merges thousands.
    ///
    /// # Errors
    /// As [`ScoreShape::decode`]; `into` is then partly added to, and to be discarded.
    pub fn add_stored(&self, text: &str, into: &mut BucketCounts) -> Result<(), BucketError> {
        let Some(hex) = text.strip_prefix(COMPACT) else {
            return into.merge(&self.decode(text)?);
        };
        let mut numbers = HexVarints {
            hex: hex.as_bytes(),
            at: 0,
            bad: false,
        };
        self.add_numbers(&mut numbers, into)?;
        if numbers.bad {
            return Err(BucketError);
        }
        Ok(())
    }

    /// Adds a bucket packed by [`BucketCounts::pack`] to `into` (a bucket of this shape).
    ///
    /// # Errors
    /// When the bytes are not a bucket of this shape; `into` is then to be discarded.
    pub fn add_packed(&self, bytes: &[u8], into: &mut BucketCounts) -> Result<(), BucketError> {
        self.add_numbers(&mut Varints { bytes, at: 0 }, into)
    }

    /// Reads a bucket packed by [`BucketCounts::pack`] (the stored form of a roll-up).
    ///
    /// # Errors
    /// When the bytes are not a bucket of this shape.
    pub fn unpack(&self, bytes: &[u8]) -> Result<BucketCounts, BucketError> {
        let mut counts = self.empty();
        self.add_packed(bytes, &mut counts)?;
        Ok(counts)
    }

    /// Adds the numbers of a bucket, in the order [`BucketCounts::encode`] writes them.
    fn add_numbers(
        &self,
        numbers: &mut impl VarintSource,
        into: &mut BucketCounts,
    ) -> Result<(), BucketError> {
        if into.levels.len() != self.levels.len() {
            return Err(BucketError);
        }
        let mut next = || numbers.next_number().ok_or(BucketError);
        into.valid += next()?;
        into.invalid += next()?;
        for d in &mut into.dissatisfied {
            *d += next()?;
        }
        for (counts, levels) in into.levels.iter_mut().zip(&self.levels) {
            if counts.len() != levels.len() {
                return Err(BucketError);
            }
            for c in counts.iter_mut() {
                *c += next()?;
            }
        }
        into.moments
            .add_each(|| numbers.next_number())
            .map_err(|_: StatsError| BucketError)?;
        if numbers.done() {
            Ok(())
        } else {
            Err(BucketError)
        }
    }

    /// The numbers of a compact bucket, in the order [`BucketCounts::encode`] writes them.
    fn decode_compact(&self, hex: &str) -> Option<Stored> {
        let bytes = hex_bytes(hex.as_bytes())?;
        let mut numbers = Varints {
            bytes: &bytes,
            at: 0,
        };
        let v = numbers.next()?;
        let i = numbers.next()?;
        let d = [numbers.next()?, numbers.next()?, numbers.next()?];
        let l = self
            .levels
            .iter()
            .map(|levels| levels.iter().map(|_| numbers.next()).collect())
            .collect::<Option<Vec<Vec<u64>>>>()?;
        let mut m = Vec::with_capacity(bytes.len() - numbers.at.min(bytes.len()));
        while numbers.at < bytes.len() {
            m.push(numbers.next()?);
        }
        Some(Stored { v, i, d, l, m })
    }
}

/// The numbers of a bucket; also its first stored form (JSON, short names, integers only),
/// still read.
#[derive(Serialize, Deserialize)]
pub(super) struct Stored {
    pub(super) v: u64,
    pub(super) i: u64,
    pub(super) d: [u64; 3],
    pub(super) l: Vec<Vec<u64>>,
    pub(super) m: Vec<u64>,
}

/// The responses a packed bucket counts (valid and invalid, its first two numbers), without
/// decoding the rest; `None` when the bytes do not start with two varints.
pub fn packed_responses(bytes: &[u8]) -> Option<u64> {
    let mut numbers = Varints { bytes, at: 0 };
    Some(numbers.next()? + numbers.next()?)
}

impl BucketCounts {
    /// The stored text, in the compact form (see [`COMPACT`]).
    pub fn encode(&self) -> String {
        let numbers = self.numbers();
        let mut out = String::with_capacity(COMPACT.len() + 4 * numbers.len());
        out.push_str(COMPACT);
        for n in numbers {
            put_varint(&mut out, n);
        }
        out
    }

    /// The same numbers as [`BucketCounts::encode`], as bytes (half the size, for keeping in
    /// memory; read with [`ScoreShape::add_packed`]).
    pub fn pack(&self) -> Vec<u8> {
        let numbers = self.numbers();
        let mut out = Vec::with_capacity(2 * numbers.len());
        for mut n in numbers {
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                if n == 0 {
                    out.push(b);
                    break;
                }
                out.push(b | 0x80);
            }
        }
        out
    }

    /// Every count, in the stored order: valid, invalid, the three Decision 766 counts, each
    /// item's level counts, `Moments::to_counts`.
    fn numbers(&self) -> Vec<u64> {
        let moments = self.moments.to_counts();
        let mut out =
            Vec::with_capacity(5 + self.levels.iter().map(Vec::len).sum::<usize>() + moments.len());
        out.extend([self.valid, self.invalid]);
        out.extend(self.dissatisfied);
        out.extend(self.levels.iter().flatten());
        out.extend(moments);
        out
    }
}

/// Prefix of the compact form of a bucket: then, in hexadecimal, every count as an unsigned
/// LEB128 varint — valid, invalid, the three Decision 766 counts, each item's level counts,
/// and `Moments::to_counts`. A year of a busy agency reads 36 buckets of some 3,000 counts;
/// this form decodes several times faster than a JSON list of the same numbers.
const COMPACT: &str = "x1:";

/// The value of each lowercase hexadecimal digit; `0xff` for any other byte.
const HEX_VALUE: [u8; 256] = {
    let mut table = [0xff_u8; 256];
    let mut d = 0;
    while d < 10 {
        table[b'0' as usize + d] = d as u8;
        d += 1;
    }
    let mut d = 0;
    while d < 6 {
        table[b'a' as usize + d] = 10 + d as u8;
        d += 1;
    }
    table
};

/// The bytes of lowercase hexadecimal text; `None` for an odd length or another character.
fn hex_bytes(hex: &[u8]) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let mut out = Vec::with_capacity(hex.len() / 2);
    let mut invalid = 0_u8;
    for pair in hex.chunks_exact(2) {
        let (high, low) = (
            HEX_VALUE[usize::from(pair[0])],
            HEX_VALUE[usize::from(pair[1])],
        );
        invalid |= (high | low) & 0xf0;
        out.push(high << 4 | (low & 0x0f));
    }
    (invalid == 0).then_some(out)
}

/// LEB128 varints read one after the other.
trait VarintSource {
    fn next_number(&mut self) -> Option<u64>;
    /// Whether every number has been read.
    fn done(&self) -> bool;
}

impl VarintSource for Varints<'_> {
    fn next_number(&mut self) -> Option<u64> {
        self.next()
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }
}

impl VarintSource for HexVarints<'_> {
    fn next_number(&mut self) -> Option<u64> {
        self.next()
    }

    fn done(&self) -> bool {
        self.at >= self.hex.len()
    }
}

/// Reads LEB128 varints from bytes.
struct Varints<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Varints<'_> {
    #[inline]
    fn next(&mut self) -> Option<u64> {
        // Most counts are below 128: one byte, no loop.
        let first = *self.bytes.get(self.at)?;
        if first < 0x80 {
            self.at += 1;
            return Some(u64::from(first));
        }
        varint(|| {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            Some(b)
        })
    }
}

/// Reads LEB128 varints straight from their lowercase hexadecimal text.
struct HexVarints<'a> {
    hex: &'a [u8],
    at: usize,
    /// A character that is no lowercase hexadecimal digit was read.
    bad: bool,
}

impl HexVarints<'_> {
    fn byte(&mut self) -> Option<u8> {
        let pair = self.hex.get(self.at..self.at + 2)?;
        self.at += 2;
        let (high, low) = (
            HEX_VALUE[usize::from(pair[0])],
            HEX_VALUE[usize::from(pair[1])],
        );
        self.bad |= (high | low) & 0xf0 != 0;
        Some(high << 4 | (low & 0x0f))
    }

    fn next(&mut self) -> Option<u64> {
        varint(|| self.byte())
    }
}

/// Reads one LEB128 varint, a byte at a time from `byte`; `None` when the bytes end first or
/// the number does not fit in 64 bits.
#[inline]
fn varint(mut byte: impl FnMut() -> Option<u8>) -> Option<u64> {
    let mut value = 0_u64;
    let mut shift = 0_u32;
    loop {
        let b = byte()?;
        if shift >= 64 {
            return None;
        }
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
        shift += 7;
    }
}

/// Appends `n` as an unsigned LEB128 varint in lowercase hexadecimal.
fn put_varint(out: &mut String, mut n: u64) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    loop {
        let mut b = (n & 0x7f) as u8;
        n >>= 7;
        if n != 0 {
            b |= 0x80;
        }
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
        if n == 0 {
            return;
        }
    }
}
